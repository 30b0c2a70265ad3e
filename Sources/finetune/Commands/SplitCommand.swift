import ArgumentParser
import ChatDataset
import Foundation

/// `finetune split FILE --valid 0.1 [--test 0.1] --seed 42 [--stratify-by KEY]`.
struct SplitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "split",
        abstract: "Split a chat JSONL file into train, validation and test files.",
        discussion: """
        Deterministic for a seed. Identical examples always go to the same file, so none is in two \
        splits. Writes FILE_train.jsonl, FILE_valid.jsonl and (with --test) FILE_test.jsonl.
        """
    )

    @Argument(help: "The chat JSONL file to split.")
    var file: String

    @Option(help: ArgumentHelp("Fraction of examples for validation.", valueName: "fraction"))
    var valid: Double = 0.1

    @Option(help: ArgumentHelp("Fraction of examples for test.", valueName: "fraction"))
    var test: Double = 0

    @Option(help: "Seed of the shuffle; the same seed gives the same split.")
    var seed: UInt64 = 42

    @Option(help: ArgumentHelp("Keep the proportions of this key's values in every split: a dotted path into each example, e.g. metadata.category or messages.-1.content.", valueName: "key"))
    var stratifyBy: String?

    @Option(help: ArgumentHelp("Directory for the split files (default: next to FILE).", valueName: "dir"))
    var outputDir: String?

    @Flag(help: "Print the report as JSON on standard output.")
    var json = false

    func validate() throws {
        guard (0..<1).contains(valid), (0..<1).contains(test) else {
            throw ValidationError("--valid and --test are fractions of the data, e.g. --valid 0.1 for 10%")
        }
        guard valid + test < 1 else {
            throw ValidationError("--valid \(valid) and --test \(test) leave nothing for training; keep their sum below 1")
        }
        guard valid > 0 || test > 0 else {
            throw ValidationError("nothing to split off: give --valid or --test a fraction above 0")
        }
    }

    func run() throws {
        let options = SplitOptions(validFraction: valid, testFraction: test, seed: seed,
                                   stratifyBy: stratifyBy, outputDirectory: outputDir)
        let progress = ProgressBar(label: "splitting \(file)")
        defer { progress.finish() }
        let report = try Console.reportingErrors(exitStatus: 1) {
            try DatasetSplitter.split(path: file, options: options, progress: progress.update)
        }
        progress.finish()
        recordProvenance(report)
        if json {
            try Console.printJSON(report)
            return
        }
        let total = report.counts.train + report.counts.valid + report.counts.test
        for part in SplitPart.allCases {
            guard let path = report.files[part.rawValue] else { continue }
            let count = report.counts[keyPath: part.countPath]
            let share = total > 0 ? Double(count) / Double(total) * 100 : 0
            Console.out(StatsTable.pad(part.rawValue, 7) + StatsTable.lpad(count.grouped, 10) + String(format: "  %5.1f%%  ", share) + path)
        }
        if !report.strata.isEmpty {
            Console.out("")
            Console.out("by \(stratifyBy ?? "key"):" + StatsTable.lpad("train", 10) + StatsTable.lpad("valid", 8) + StatsTable.lpad("test", 8))
            for (name, counts) in report.strata.sorted(by: { $0.value.train + $0.value.valid + $0.value.test > $1.value.train + $1.value.valid + $1.value.test }).prefix(20) {
                let label = Table.clip(name, 30)
                Console.out("  " + StatsTable.pad(label, 30) + StatsTable.lpad(counts.train.grouped, 8) + StatsTable.lpad(counts.valid.grouped, 8) + StatsTable.lpad(counts.test.grouped, 8))
            }
            if report.strata.count > 20 { Console.out("  … \(report.strata.count - 20) more values (--json lists all)") }
        }
        if report.duplicatesKeptTogether > 0 {
            Console.err("\(report.duplicatesKeptTogether.grouped) duplicate examples were kept in the same split as their originals; `finetune validate` lists them")
        }
        if report.blankLinesDropped > 0 {
            Console.err("\(report.blankLinesDropped.grouped) blank lines were dropped")
        }
    }
}

extension SplitCommand {
    /// Writes each split file's provenance: the input's steps, then this split.
    func recordProvenance(_ report: SplitReport) {
        let counts = SplitPart.allCases.compactMap { part -> String? in
            report.files[part.rawValue] == nil ? nil : "\(part.rawValue) \(report.counts[keyPath: part.countPath].grouped)"
        }
        let total = report.counts.train + report.counts.valid + report.counts.test
        var summary = "Split \(total.grouped) examples into " + counts.joined(separator: ", ") + " (seed \(seed)"
        summary += stratifyBy.map { ", stratified by \($0))" } ?? ")"
        let input = URL(fileURLWithPath: file)
        let step = DataProvenance.Step(command: CommandLineText.typed, summary: summary, input: file,
                                       inputSHA256: try? DataProvenance.sha256(of: input))
        for part in SplitPart.allCases {
            guard let path = report.files[part.rawValue] else { continue }
            do {
                try DataProvenance.record(step, producing: URL(fileURLWithPath: path),
                                          examples: report.counts[keyPath: part.countPath], inheritingFrom: input)
            } catch {
                Console.err("warning: \(error); the data's preparation steps won't appear in run reports")
            }
        }
    }
}

extension SplitPart {
    var countPath: KeyPath<SplitReport.Counts, Int> {
        switch self {
        case .train: \.train
        case .valid: \.valid
        case .test: \.test
        }
    }
}
