import Foundation
import GGUF
import Testing
@testable import LanguageModel

/// The real SmolLM2-135M-Instruct file, when present (`make test` fetches it).
enum RealModel {
    static var url: URL? {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["FINETUNE_TEST_MODEL"] { return URL(fileURLWithPath: path) }
        let home = environment["FINETUNE_HOME"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/finetune")
        let url = home.appendingPathComponent("models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf")
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }
    static var isAvailable: Bool { url.map { FileManager.default.fileExists(atPath: $0.path) } ?? false }
}

/// The fixture written by scripts/reference/make_logits_fixtures.py (transformers, fp32, same GGUF).
struct LogitsFixture: Decodable {
    struct Position: Decodable {
        let top_ids: [Int]
        let top_logits: [Float]
        let fixed_logits: [Float]
        let logsumexp: Float
    }
    struct Case: Decodable {
        let name: String
        let input_ids: [Int]
        let positions: [Position]
        let greedy: [Int]
    }
    let fixed_ids: [Int]
    let cases: [Case]

    static func load() throws -> LogitsFixture {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/smollm2_logits.json")
        return try JSONDecoder().decode(LogitsFixture.self, from: Data(contentsOf: url))
    }
}

/// finetune's engine against transformers on SmolLM2-135M-Instruct (Q4_1), both computing in f32
/// from the same dequantized weights. They differ only in the order of floating-point sums, so the
/// tolerance is tight: every logit within 0.001 of the reference (logits here span about ±30; the
/// differences measured are below 1e-4), the
/// log-sum-exp within 0.001, the same most likely token wherever the reference's top two are more
/// than 0.05 apart, and the same 64 greedy tokens.
@Suite("SmolLM2 against the transformers reference", .enabled(if: RealModel.isAvailable, "needs the SmolLM2 model (make test fetches it)"))
struct LlamaReferenceTests {
    static let logitTolerance: Float = 1e-3
    static let logSumExpTolerance: Float = 1e-3

    @Test("logits at every position agree with the reference")
    func logitsAgree() throws {
        let fixture = try LogitsFixture.load()
        let model = try LlamaModel(file: try GGUFFile(contentsOf: try #require(RealModel.url)))
        let V = model.configuration.vocabularySize
        for item in fixture.cases {
            let logits = try model.forward(item.input_ids, session: model.makeSession(), logits: .all)
            var worst: (difference: Float, position: Int, id: Int) = (0, 0, 0)
            var worstLSE: Float = 0
            for (t, expected) in item.positions.enumerated() {
                let row = Array(logits[(t * V)..<((t + 1) * V)])
                for (id, value) in zip(expected.top_ids + fixture.fixed_ids, expected.top_logits + expected.fixed_logits) {
                    let difference = abs(row[id] - value)
                    if difference > worst.difference { worst = (difference, t, id) }
                }
                var copy = row
                let lse = copy.withUnsafeMutableBufferPointer { softmaxLSE($0) }
                worstLSE = max(worstLSE, abs(lse - expected.logsumexp))
                if expected.top_logits[0] - expected.top_logits[1] > 0.05 {
                    #expect(Sampler.argmax(row) == expected.top_ids[0], "\(item.name) position \(t): most likely token differs")
                }
            }
            print("\(item.name): \(item.input_ids.count) positions, worst logit difference \(worst.difference) (position \(worst.position), token \(worst.id)), worst log-sum-exp difference \(worstLSE)")
            #expect(worst.difference < Self.logitTolerance, "\(item.name): logit of token \(worst.id) at position \(worst.position) differs by \(worst.difference)")
            #expect(worstLSE < Self.logSumExpTolerance, "\(item.name): log-sum-exp differs by \(worstLSE)")
        }
    }

    @Test("decoding token by token (the decode kernels) gives the reference logits at every position")
    func decodeLogitsAgree() throws {
        let fixture = try LogitsFixture.load()
        let model = try LlamaModel(file: try GGUFFile(contentsOf: try #require(RealModel.url)))
        let item = try #require(fixture.cases.first { $0.name == "chat_capital" })
        let session = model.makeSession()
        var worst: Float = 0
        for (token, expected) in zip(item.input_ids, item.positions) {
            let row = try model.forward([token], session: session)
            for (id, value) in zip(expected.top_ids + fixture.fixed_ids, expected.top_logits + expected.fixed_logits) {
                worst = max(worst, abs(row[id] - value))
            }
        }
        print("\(item.name), token by token: worst logit difference \(worst)")
        #expect(worst < Self.logitTolerance)
    }

    @Test("64 greedy tokens match the reference token for token")
    func greedyTokensMatch() throws {
        let fixture = try LogitsFixture.load()
        let model = try LlamaModel(file: try GGUFFile(contentsOf: try #require(RealModel.url)))
        for item in fixture.cases {
            let session = model.makeSession(capacity: item.input_ids.count + item.greedy.count)
            var logits = try model.forward(item.input_ids, session: session)
            var tokens: [Int] = []
            while tokens.count < item.greedy.count {
                let next = Sampler.argmax(logits)
                tokens.append(next)
                if tokens.count < item.greedy.count { logits = try model.forward([next], session: session) }
            }
            let firstMismatch = zip(tokens, item.greedy).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            #expect(tokens == item.greedy, "\(item.name): first different token at \(firstMismatch ?? -1)")
        }
    }
}

private func softmaxLSE(_ buffer: UnsafeMutableBufferPointer<Float>) -> Float {
    let m = buffer.max() ?? 0
    return m + Float(log(buffer.reduce(0.0) { $0 + exp(Double($1 - m)) }))
}
