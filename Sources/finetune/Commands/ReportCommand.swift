import ArgumentParser
import Evaluation
import FineTuningProviders
import Foundation
import Reporting

/// `finetune report RUN`: the experiment document (the reference template) of a run, filled from its
/// record and its latest evaluation, as Markdown and self-contained HTML.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write the experiment report of a run (Markdown and self-contained HTML).",
        discussion: """
        Fills the experiment template from the run record (dates, models, data and its preparation \
        steps, hyperparameters, platform, duration, losses) and the run's latest evaluation \
        (`finetune eval RUN --test … --baseline …`): the metrics before and after, the flipped \
        examples, sample answers of both models, and the charts. The sections only you can write \
        (purpose, observations, conclusions, next steps) are left as prompts with hints drawn from \
        the numbers. Writes runs/reports/<run record>/report.md, report.html (one file to share) and \
        the charts as SVG (and PNG where rsvg-convert is installed).

        Examples:
          finetune report pricer
          finetune report pricer_finetune_20261122_101500 --output ~/reports/pricer
        """
    )

    @Argument(help: ArgumentHelp("The run: its name, record file or job id (`finetune runs list`).", valueName: "run"))
    var reference: String

    @Option(help: ArgumentHelp("The folder to write to (default: runs/reports/<run record>/).", valueName: "dir"))
    var output: String?

    @OptionGroup var location: RunsCommand.Location

    func run() throws {
        let store = location.store
        let (url, record) = try Console.reportingProviderErrors { try store.find(reference) }
        let input = RunReport.input(run: record, file: url, store: store)
        let files = try Console.reportingErrors(exitStatus: 1) {
            do throws(ReportError) {
                return try RunReport.write(input, to: output.map { URL(fileURLWithPath: $0) }, store: store)
            } catch { throw CLIError(error.description) }
        }
        if input.evaluation == nil {
            Console.err(Console.paint("The run has not been evaluated yet: the report's evaluation is empty. Run "
                                      + "`finetune eval \(record.name) --test TEST.jsonl --baseline \(record.baseModel)` first.", .yellow))
        }
        Console.out("Report of \(record.name):")
        for file in files where ["md", "html"].contains(file.pathExtension) { Console.out("  \(file.path)") }
        let charts = files.filter { $0.pathExtension == "svg" }.map(\.lastPathComponent)
        if !charts.isEmpty { Console.out("  charts: " + charts.joined(separator: ", ")) }
        Console.out("Purpose, objective, observations, conclusions and next steps are yours to write: the report holds hints from the numbers.")
    }
}

/// A run's report input: its record, its data's preparation steps, its latest evaluation (one with a
/// baseline preferred) and the machine it ran on.
enum RunReport {
    /// `runs/reports/<record file's stem>/`.
    static func folder(for recordFile: URL, store: ExperimentRecordStore) -> URL {
        store.directory.appendingPathComponent("reports", isDirectory: true)
            .appendingPathComponent(recordFile.deletingPathExtension().lastPathComponent, isDirectory: true)
    }

    /// Writes the report into `folder`, else `runs/reports/<record>/`; returns the files written.
    static func write(_ input: ReportInput, to folder: URL? = nil, store: ExperimentRecordStore) throws(ReportError) -> [URL] {
        try ExperimentReport.write(input, to: folder ?? self.folder(for: input.runFile, store: store))
    }

    static func input(run: ExperimentRecord, file: URL, store: ExperimentRecordStore) -> ReportInput {
        let evaluations = EvaluationStore(runsDirectory: store.directory).evaluations(of: run, recordFile: file)
        let chosen = evaluations.last { $0.record.baseline != nil } ?? evaluations.last
        let evaluation = chosen.flatMap { entry -> ReportEvaluation? in
            guard let lines = try? EvaluationStore.readExamples(entry.folder) else { return nil }
            return reportEvaluation(entry.record, lines: lines, folder: entry.folder)
        }
        let steps = (run.dataPreparation ?? []).map { PreparationStep(command: $0.command, summary: $0.summary, at: $0.at) }
        return ReportInput(run: run, runFile: file, preparation: steps, evaluation: evaluation, compute: compute(of: run))
    }

    static func reportEvaluation(_ record: EvaluationRecord, lines: [ExampleLine], folder: URL) -> ReportEvaluation {
        let rows: [ReportMetricRow] = record.comparison.map { rows in
            rows.map { ReportMetricRow(name: $0.name, baseline: $0.baseline, model: $0.model, improvement: $0.improvement,
                                       relativeImprovement: $0.relativeImprovement, isFraction: $0.isFraction, higherIsBetter: $0.higherIsBetter) }
        } ?? record.model.metrics.map {
            ReportMetricRow(name: $0.name, baseline: nil, model: $0.value, improvement: nil, relativeImprovement: nil,
                            isFraction: $0.isFraction, higherIsBetter: $0.higherIsBetter)
        }
        let charts = EvalCharts.charts(record, lines: lines).map { ReportChart(title: $0.title, fileName: $0.fileName, svg: $0.svg) }
        var result = ReportEvaluation(
            testPath: record.test.path, testExamples: record.test.examples, testSHA256: record.test.sha256, task: record.task.rawValue,
            modelName: record.model.model, baselineName: record.baseline?.model, rows: rows, samples: samples(lines, task: record.task),
            rightToWrong: record.flips?.rightToWrong.count ?? 0, wrongToRight: record.flips?.wrongToRight.count ?? 0,
            charts: charts, evaluationFolder: folder.path)
        if record.task == .numeric {
            func largest(_ scores: [ExampleScore]) -> Double? { scores.compactMap { $0.error.map(abs) }.max() }
            func outliers(_ scores: [ExampleScore]) -> Double? {
                let pairs = zip(lines, scores).compactMap { line, score in
                    line.expectedValue.flatMap { truth in score.value.map { (truth, $0) } }
                }
                guard !pairs.isEmpty else { return nil }
                let far = pairs.filter { truth, prediction in abs(prediction - truth) > 2 * record.tolerance.allowance(for: truth) }
                return Double(far.count) / Double(pairs.count)
            }
            let model = lines.map(\.model), baseline = lines.compactMap(\.baseline)
            result.maxAbsError = (largest(model), baseline.isEmpty ? nil : largest(baseline))
            result.outlierShare = (outliers(model), baseline.isEmpty ? nil : outliers(baseline))
        }
        return result
    }

    /// Up to three prompts answered by both models: for numbers, the largest improvement, the largest
    /// regression and a typical one; otherwise a wrong → right flip, a right → wrong flip and the first
    /// example.
    static func samples(_ lines: [ExampleLine], task: TaskKind) -> [ReportSample] {
        func sample(_ line: ExampleLine, _ note: String) -> ReportSample {
            ReportSample(prompt: line.prompt.last { $0.role == "user" }?.content ?? line.prompt.last?.content ?? "",
                         expected: line.expected, baseline: line.baseline.map { $0.answer ?? "(no answer: \($0.failure ?? "failed"))" },
                         model: line.model.answer ?? "(no answer: \(line.model.failure ?? "failed"))", note: note)
        }
        var chosen: [(ExampleLine, String)] = []
        func add(_ line: ExampleLine?, _ note: String) {
            guard let line, !chosen.contains(where: { $0.0.index == line.index }) else { return }
            chosen.append((line, note))
        }
        if task == .numeric, lines.contains(where: { $0.baseline != nil }) {
            // How much closer the model came than the baseline (a missing number counts as the truth's size off).
            func miss(_ score: ExampleScore?, _ line: ExampleLine) -> Double {
                score?.error.map(abs) ?? abs(line.expectedValue ?? 0)
            }
            let gains = lines.map { ($0, miss($0.baseline, $0) - miss($0.model, $0)) }
            add(gains.max { $0.1 < $1.1 }?.0, "largest improvement")
            add(gains.min { $0.1 < $1.1 }?.0, "largest regression")
            let byError = lines.sorted { miss($0.model, $0) < miss($1.model, $1) }
            if !byError.isEmpty { add(byError[byError.count / 2], "typical (median error)") }
        } else {
            add(lines.first { $0.flip == .wrongToRight }, "wrong → right")
            add(lines.first { $0.flip == .rightToWrong }, "right → wrong")
            add(lines.first, "first test example")
        }
        return chosen.map { sample($0.0, $0.1) }
    }

    /// The run's compute in words.
    static func compute(of run: ExperimentRecord) -> String {
        guard run.location == "this process" else { return "\(run.provider.displayName) (hosted): \(run.location)" }
        var parts: [String] = []
        if let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first(where: { $0.hasPrefix("model name") })?.split(separator: ":", maxSplits: 1).last {
            parts.append(cpu.trimmingCharacters(in: .whitespaces))
        }
        parts.append("\(ProcessInfo.processInfo.activeProcessorCount) cores")
        parts.append(String(format: "%.0f GiB memory", Double(ProcessInfo.processInfo.physicalMemory) / 1_073_741_824))
        return "this machine (CPU only): " + parts.joined(separator: ", ") + "; finetune's in-process LoRA engine"
    }
}
