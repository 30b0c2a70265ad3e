import Foundation
import Testing
@testable import ChatDataset

@Suite("stats")
struct StatisticsTests {
    @Test("training_stats counts conversations, skips with reasons, messages and trained messages")
    func trainingStats() throws {
        let path = try BadInputTests.scratch("mixed.jsonl")
        let lines = [
            #"{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"abcdefgh"},{"role":"assistant","content":"abcd"}]}"#,
            #"{"messages":[{"role":"user","content":"abcd"},{"role":"assistant","content":"abcdabcd","weight":0},{"role":"user","content":"more"},{"role":"assistant","content":"abcdabcdabcd"}]}"#,
            #"{"messages":[{"role":"user","content":"no reply"}]}"#,
            "not json",
            "",
        ]
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let stats = try DatasetStatistics.compute(path: path)
        var expected = TrainingStats()
        expected.totalConversations = 4
        expected.processedConversations = 2
        expected.skippedConversations = 2
        expected.totalMessages = 7
        expected.trainingMessages = 2
        #expect(stats.trainingStats == expected)
        #expect(stats.skipped.map(\.line) == [3, 4])
        #expect(stats.skipped[0].reason.hasPrefix("messages: no assistant message is trained on"))
        #expect(stats.skipReasons == ["no-trained-assistant": 1, "invalid-json": 1])
        // Tokens: 3 per example + per message 3 + ceil(bytes / 4).
        // Line 1: 3 + (3+3) + (3+2) + (3+1) = 18; line 2: 3 + (3+1) + (3+2) + (3+1) + (3+3) = 22.
        #expect(stats.tokensPerExample.min == 18)
        #expect(stats.tokensPerExample.max == 22)
        #expect(stats.tokensPerExample.mean == 20.0)
        #expect(stats.tokensPerEpoch == 40)
        // Trained: line 1's reply (3+1); line 2's last reply only (3+3).
        #expect(stats.trainedTokensPerEpoch == 10)
        #expect(stats.messagesPerExample == { var d = Distribution(); d.min = 3; d.mean = 3.5; d.p50 = 3; d.p95 = 4; d.max = 4; return d }())
    }

    @Test("percentiles use the nearest rank")
    func percentiles() {
        var values: [Int32] = (1...100).reversed().map { Int32($0) }
        let d = Distribution(&values)
        #expect(d.min == 1)
        #expect(d.p50 == 50)
        #expect(d.p95 == 95)
        #expect(d.max == 100)
        #expect(d.mean == 50.5)
    }

    @Test("the built-in pricing table parses and costs are tokens x epochs x price")
    func pricing() throws {
        let table = try PricingTable.parse(PricingTable.defaultYAML, source: "built-in")
        #expect(table == PricingTable.builtIn)
        #expect(table.asOf == "2025-07-01")
        let mini = try #require(table.prices.first { $0.model == "gpt-4o-mini-2024-07-18" })
        #expect(mini.usdPerMillionTrainingTokens == 3.0)
        let costs = CostEstimate.estimates(tokensPerEpoch: 500_000, epochs: 3, table: table)
        let cost = try #require(costs.first { $0.model == "gpt-4o-mini-2024-07-18" })
        #expect(cost.billedTokens == 1_500_000)
        #expect(abs(cost.usd - 4.5) < 1e-9)
    }

    @Test("a user's pricing file wins over the built-in table, and a bad one is a clear error")
    func userPricing() throws {
        let path = try BadInputTests.scratch("pricing.yaml")
        try "as_of: \"2026-01-01\"\nsource: mine\nprices:\n  - {provider: openai, model: m, usd_per_million_training_tokens: 1.25}\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        let (table, source) = try PricingTable.load(explicitPath: path, environment: [:])
        #expect(source == path)
        #expect(table.prices.map(\.usdPerMillionTrainingTokens) == [1.25])
        try "prices: 3\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: DatasetError.self) { try PricingTable.load(explicitPath: path, environment: [:]) }
        let home = (path as NSString).deletingLastPathComponent
        let (fallback, fallbackSource) = try PricingTable.load(environment: ["HOME": home])
        #expect(fallbackSource == "built-in defaults")
        #expect(fallback == PricingTable.builtIn)
    }
}
