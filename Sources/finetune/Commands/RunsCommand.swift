import ArgumentParser
import FineTuningProviders
import Foundation
import OpenAIAPI

/// `finetune runs list|show`: the run records `finetune train` keeps.
struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List and show the records of fine-tuning runs (runs/<name>_finetune_<timestamp>.json).",
        subcommands: [List.self, Show.self]
    )

    struct Location: ParsableArguments {
        @Option(name: .customLong("runs-dir"), help: ArgumentHelp("Where run records are (default: FINETUNE_RUNS_DIR, else ./runs).", valueName: "dir"))
        var runsDir: String?

        var store: ExperimentRecordStore { ExperimentRecordStore(explicit: runsDir) }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List run records, oldest first.")

        @OptionGroup var location: Location

        @Flag(help: "Print the records as JSON.")
        var json = false

        func run() throws {
            let store = location.store
            let (records, unreadable) = store.list()
            for (url, reason) in unreadable { Console.err(Console.paint("skipped \(url.lastPathComponent): \(reason)", .yellow)) }
            if json { try Console.printJSON(records.map(\.record)); return }
            guard !records.isEmpty else {
                Console.err("No run records in \(store.directory.path); `finetune train` writes one per run.")
                return
            }
            let rows = records.map { url, record in
                [url.deletingPathExtension().lastPathComponent, record.provider.rawValue, record.status, record.baseModel,
                 record.finalTrainLoss.map { String(format: "%.4f", $0) } ?? "-",
                 record.finalValidLoss.map { String(format: "%.4f", $0) } ?? "-",
                 (record.cost.actualUSD ?? record.cost.estimatedUSD).map { String(format: "$%.2f", $0) } ?? "-",
                 record.outputName ?? "-"]
            }
            Table.print([["RUN", "PROVIDER", "STATUS", "BASE MODEL", "TRAIN LOSS", "VALID LOSS", "COST", "FINE-TUNED MODEL"]] + rows)
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one run record: by file name, job id or run name (the newest of that name).")

        @Argument(help: "The record: its file name (with or without .json), a path, a job id or a run name.")
        var record: String

        @OptionGroup var location: Location

        @Flag(help: "Print the record itself (JSON).")
        var json = false

        func run() throws {
            let (url, record) = try Console.reportingProviderErrors { try location.store.find(self.record) }
            if json {
                Console.out(String(decoding: try Data(contentsOf: url), as: UTF8.self).trimmingCharacters(in: .newlines))
                return
            }
            var lines = ["run:         \(record.name)  (\(url.path))",
                         "provider:    \(record.provider.rawValue) (\(record.location))",
                         "job:         \(record.jobID ?? "-")  \(record.status)" + (record.providerStatus.map { $0 != record.status ? " (\($0))" : "" } ?? ""),
                         "base model:  \(record.baseModel)",
                         "fine-tuned:  \(record.outputName ?? "-")",
                         "started:     \(record.timestamp)" + (record.finishedAt.map { "; finished \($0)" } ?? "")]
            if !record.hyperparameters.isEmpty {
                lines.append("hyperparameters: " + record.hyperparameters.keys.sorted()
                    .map { "\($0)=\(JobsCommand.text(record.hyperparameters[$0]!))" }.joined(separator: ", "))
            }
            let stats = record.trainingStats
            lines.append("data:        \(stats.processedConversations) of \(stats.totalConversations) conversations used"
                         + (stats.tokensPerEpoch.map { ", \($0.grouped) tokens per epoch" } ?? ""))
            for dataset in record.datasets {
                lines.append("  \(dataset.role): \(dataset.path)  sha256 \(dataset.sha256.prefix(16))…" + (dataset.fileID.map { "  → \($0)" } ?? ""))
            }
            if let loss = record.finalTrainLoss { lines.append(String(format: "final training loss:   %.4f", loss)) }
            if let loss = record.finalValidLoss { lines.append(String(format: "final validation loss: %.4f", loss)) }
            lines.append("metrics:     \(record.metrics.count) steps recorded; \(record.checkpoints.count) checkpoints")
            var cost: [String] = []
            if let usd = record.cost.estimatedUSD { cost.append(String(format: "estimated $%.2f", usd)) }
            if let usd = record.cost.quotedUSD { cost.append(String(format: "quoted $%.2f", usd)) }
            if let usd = record.cost.actualUSD { cost.append(String(format: "charged $%.2f", usd)) }
            if !cost.isEmpty { lines.append("cost:        " + cost.joined(separator: ", ")) }
            if let error = record.error { lines.append("error:       " + error.message) }
            if let run = record.runDirectory { lines.append("run folder:  \(run)") }
            lines.append("finetune:    \(record.finetuneVersion)")
            for line in lines { Console.out(line) }
            let history = MetricsHistory(record.metrics)
            let chart = TerminalLossChart.render(train: history.trainSeries, valid: history.validSeries)
            if !chart.isEmpty {
                Console.out("")
                for line in chart { Console.out(line) }
            }
        }
    }
}
