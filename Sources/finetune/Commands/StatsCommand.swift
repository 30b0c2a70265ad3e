import ArgumentParser
import ChatDataset
import Foundation

/// `finetune stats FILE`: the training_stats block, distributions of messages and tokens, and what
/// training would cost.
struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Summarise a chat JSONL file: conversations, messages, tokens and estimated cost."
    )

    @Argument(help: "The chat JSONL file to summarise.")
    var file: String

    @OptionGroup var providerOptions: ProviderOptions

    @Option(help: "Epochs to price the training run for.")
    var epochs: Int = 3

    @Option(help: ArgumentHelp("A pricing table (YAML) to use instead of your own or the built-in one.", valueName: "file"))
    var pricing: String?

    @Flag(help: "Print the statistics as JSON on standard output.")
    var json = false

    func validate() throws {
        guard epochs >= 1 else { throw ValidationError("--epochs must be 1 or more") }
    }

    func run() throws {
        let progress = ProgressBar(label: "reading \(file)")
        defer { progress.finish() }
        let (stats, table, tableSource) = try Console.reportingErrors(exitStatus: 2) {
            let stats = try DatasetStatistics.compute(path: file, options: providerOptions.scanOptions, progress: progress.update)
            let (table, source) = try PricingTable.load(explicitPath: pricing)
            return (stats, table, source)
        }
        progress.finish()
        let costs = CostEstimate.estimates(tokensPerEpoch: stats.tokensPerEpoch, epochs: epochs, table: table)
        if json {
            let report = StatsJSON(statistics: stats, epochs: epochs,
                                   pricing: .init(asOf: table.asOf, source: tableSource), costEstimates: costs)
            try Console.printJSON(report)
        } else {
            Console.out(StatsTable.render(stats, costs: costs, epochs: epochs, asOf: table.asOf, tableSource: tableSource))
        }
    }
}

/// The `--json` report of `stats`.
struct StatsJSON: Encodable {
    var statistics: DatasetStatistics
    var epochs: Int
    var pricing: PricingInfo
    var costEstimates: [CostEstimate]

    struct PricingInfo: Encodable {
        var asOf: String
        var source: String
    }

    enum CodingKeys: String, CodingKey { case epochs, pricing, costEstimates }

    func encode(to encoder: any Encoder) throws {
        try statistics.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(epochs, forKey: .epochs)
        try container.encode(pricing, forKey: .pricing)
        try container.encode(costEstimates, forKey: .costEstimates)
    }
}

/// The readable report of `stats`.
enum StatsTable {
    static func render(_ s: DatasetStatistics, costs: [CostEstimate], epochs: Int, asOf: String, tableSource: String) -> String {
        var lines: [String] = []
        let t = s.trainingStats
        lines.append("\(s.file)")
        lines.append("")
        lines.append("training_stats")
        for (name, value) in [("total_conversations", t.totalConversations), ("processed_conversations", t.processedConversations),
                              ("skipped_conversations", t.skippedConversations), ("total_messages", t.totalMessages),
                              ("training_messages", t.trainingMessages)] {
            lines.append("  " + pad(name, 26) + lpad(value.grouped, 12))
        }
        lines.append("")
        lines.append(pad("per example", 24) + ["min", "mean", "p50", "p95", "max"].map { lpad($0, 10) }.joined())
        for (name, d) in [("messages", s.messagesPerExample), ("tokens", s.tokensPerExample), ("trained tokens", s.trainedTokensPerExample)] {
            let cells = [d.min.grouped, String(format: "%.1f", d.mean), d.p50.grouped, d.p95.grouped, d.max.grouped]
            lines.append(pad("  " + name, 24) + cells.map { lpad($0, 10) }.joined())
        }
        lines.append("")
        lines.append("tokens per epoch: \(s.tokensPerEpoch.grouped) (loss computed on \(s.trainedTokensPerEpoch.grouped))")
        if s.duplicates > 0 { lines.append("duplicate examples: \(s.duplicates.grouped)") }
        if s.tokenCounts != "exact" { lines.append("Token counts are \(s.tokenCounts).") }
        lines.append("")
        lines.append("Estimated training cost for \(epochs) epoch\(epochs == 1 ? "" : "s") (prices as of \(asOf), from \(tableSource); `finetune pricing --init` to edit):")
        lines.append("  " + pad("provider", 10) + pad("model", 30) + lpad("tokens", 14) + lpad("USD", 12))
        for cost in costs {
            lines.append("  " + pad(cost.provider, 10) + pad(cost.model, 30) + lpad(cost.billedTokens.grouped, 14)
                         + lpad(dollars(cost.usd), 12))
        }
        if !s.skipped.isEmpty {
            lines.append("")
            lines.append("Skipped conversations (run `finetune validate` for every finding):")
            for skip in s.skipped.prefix(10) { lines.append("  line \(skip.line): \(skip.reason)") }
            if t.skippedConversations > 10 { lines.append("  … and \((t.skippedConversations - 10).grouped) more (--json lists up to \(DatasetStatistics.skippedListLimit.grouped))") }
        }
        return lines.joined(separator: "\n")
    }

    /// "$12.34", or "<$0.01" for a non-zero amount that rounds to nothing.
    static func dollars(_ amount: Double) -> String {
        amount > 0 && amount < 0.005 ? "<$0.01" : String(format: "$%.2f", amount)
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }

    static func lpad(_ text: String, _ width: Int) -> String {
        text.count >= width ? " " + text : String(repeating: " ", count: width - text.count) + text
    }
}
