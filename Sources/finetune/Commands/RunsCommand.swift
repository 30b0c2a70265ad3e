import ArgumentParser
import Evaluation
import FineTuningProviders
import Foundation
import OpenAIAPI

/// `finetune runs list|show`: the run records `finetune train` keeps.
struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List and show the records of fine-tuning runs (runs/<name>_finetune_<timestamp>.json).",
        subcommands: [List.self, Show.self, LeaderboardCommand.self]
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

extension RunsCommand {
    /// `finetune runs leaderboard [--metric mae]`: every evaluated model on each test set, best first.
    struct LeaderboardCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "leaderboard",
            abstract: "Rank every evaluated model on each test set, best first (from runs/evals).",
            discussion: """
            One table per test file (the same bytes: evaluations are grouped by the file's SHA-256), with \
            each model's latest evaluation; a baseline counts as a model. Ranked by --metric, else the \
            task's first metric (MAE for numbers, accuracy for labels, exact match for text).
            """
        )

        @Option(help: ArgumentHelp("The metric to rank by: mae, rmse, mape, within:10%, accuracy, f1, exact, normalized, format.", valueName: "name"))
        var metric: String?

        @Option(help: ArgumentHelp("Only this test file's table.", valueName: "file"))
        var test: String?

        @OptionGroup var location: Location

        @Flag(help: "Print the tables as JSON.")
        var json = false

        func run() throws {
            let store = EvaluationStore(runsDirectory: location.store.directory)
            let (evaluations, unreadable) = store.list()
            for (url, reason) in unreadable { Console.err(Console.paint("skipped \(url.path): \(reason)", .yellow)) }
            var groups = Leaderboard.groups(evaluations, metric: metric)
            if let test {
                let sha = try Console.reportingProviderErrors { try ExperimentRecordStore.sha256(of: URL(fileURLWithPath: test)) }
                groups = groups.filter { $0.test.sha256 == sha }
            }
            guard !groups.isEmpty else {
                Console.err("No evaluations in \(store.directory.path)\(test.map { " of \($0)" } ?? ""); `finetune eval MODEL --test FILE` makes them.")
                return
            }
            if json {
                try Console.printJSON(groups.map(Entry.init))
                return
            }
            for (number, group) in groups.enumerated() {
                if number > 0 { Console.out("") }
                let direction = group.metric.higherIsBetter ? "higher is better" : "lower is better"
                Console.out("\(group.test.path) (\(group.test.examples) examples, sha256 \(group.test.sha256.prefix(12))…): "
                            + "\(group.task.rawValue) answers, ranked by \(group.metric.name) (\(direction))")
                let others = (group.rows.first?.metrics ?? []).filter { $0.key != group.metric.key }.map(\.key)
                let header = ["#", "MODEL", group.metric.name.uppercased()]
                    + others.compactMap { key in group.rows.first?.metrics.first { $0.key == key }?.name.uppercased() }
                    + ["PROVIDER", "RUN", "EVALUATED"]
                let rows = group.rows.enumerated().map { rank, row in
                    [row.value == nil ? "-" : "\(rank + 1)", Table.clip(row.model, 48) + (row.isBaseline ? " (baseline)" : ""),
                     EvalSummary.value(row.value, fraction: group.metric.isFraction)]
                        + others.map { key in
                            let metric = row.metrics.first { $0.key == key }
                            return EvalSummary.value(metric?.value, fraction: metric?.isFraction ?? false)
                        }
                        + [row.provider, row.run?.name ?? "-", String(row.evaluatedAt.prefix(16)).replacingOccurrences(of: "T", with: " ")]
                }
                Table.print([header] + rows, rightAligned: Set(2..<(3 + others.count)))
            }
        }

        /// A table as JSON.
        struct Entry: Encodable {
            var test: TestSetInfo
            var task: String
            var metric: String
            var higherIsBetter: Bool
            var rows: [Row]

            struct Row: Encodable {
                var rank: Int?
                var model: String
                var provider: String
                var run: RunReference?
                var value: Double?
                var metrics: [String: Double?]
                var baseline: Bool
                var evaluatedAt: String
                var folder: String
            }

            init(_ group: Leaderboard.Group) {
                test = group.test
                task = group.task.rawValue
                metric = group.metric.key
                higherIsBetter = group.metric.higherIsBetter
                rows = group.rows.enumerated().map { rank, row in
                    Row(rank: row.value == nil ? nil : rank + 1, model: row.model, provider: row.provider, run: row.run, value: row.value,
                        metrics: Dictionary(row.metrics.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first }),
                        baseline: row.isBaseline, evaluatedAt: row.evaluatedAt, folder: row.folder.path)
                }
            }
        }
    }
}
