import ArgumentParser
import Evaluation
import ExperimentTracking
import FineTuningProviders
import Foundation
import TensorCore

extension TaskKind: ExpressibleByArgument {}

/// `finetune eval MODEL --test TEST.jsonl [--baseline BASE]`: runs a model on held-out examples,
/// scores its answers against theirs, and compares it with a baseline.
struct EvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a model on held-out chat examples, against a baseline if you like.",
        discussion: """
        Each test example's messages up to its last assistant message are sent to the model with \
        deterministic decoding (temperature 0); the answer is compared with that assistant message. \
        The task decides the metrics (--task, else inferred from the expected answers): numeric \
        answers (prices) get MAE, RMSE, MAPE, the share within --tolerance, exact match and the \
        share of answers in the expected format; labels get accuracy, macro F1 (per class in the \
        record) and a confusion matrix; free text gets exact and normalised match. --extract pulls \
        the answer out of the text first (its first capture group).

        With --baseline the same examples go to both models, and the table shows each metric \
        before and after, the improvement, and the examples that flipped. Results go to \
        runs/evals/<name>_eval_<timestamp>/: evaluation.json (the summary), examples.jsonl (every \
        answer) and the charts (SVG, and PNG where rsvg-convert is installed).

        MODEL (and BASE) may be a run (its name, record file or job id: `finetune runs list`), a \
        local model (`finetune models list`, fine-tuned ones included), a training run folder, a \
        checkpoint folder, a .gguf file, or with --provider openai|together (or --base-url) a \
        hosted model id.

        Examples:
          finetune eval pricer --test pricer_test.jsonl --baseline smollm2-135m-instruct
          finetune eval ft:gpt-4o-mini-2024-07-18:org:pricer:abc --provider openai \\
              --test test.jsonl --baseline gpt-4o-mini-2024-07-18 --metric mae --metric within:20%
          finetune eval my-model --test sentiment.jsonl --extract 'Label: (\\w+)'
        """
    )

    @Argument(help: "The model to evaluate (see the discussion for what it may name).")
    var model: String

    @Option(help: ArgumentHelp("The test examples (chat JSONL ending in the expected assistant answer).", valueName: "file"))
    var test: String

    @Option(help: ArgumentHelp("A model to compare with, run on the same examples (usually the base model).", valueName: "model"))
    var baseline: String?

    @Option(name: .customLong("metric"), help: ArgumentHelp(
        "A metric to report (repeatable): exact, normalized, accuracy, f1, mae, rmse, mape, within:10%, within:5, format. Default: the task's.",
        valueName: "name"))
    var metrics: [String] = []

    @Option(help: ArgumentHelp("A regular expression that finds the answer in the text; its first capture group (else the whole match) is compared.", valueName: "regex"))
    var extract: String?

    @Option(help: "The kind of answers (default: inferred from the expected answers).")
    var task: TaskKind?

    @Option(help: ArgumentHelp("How close a number must be to count as right: 10% (relative) or 5 (absolute).", valueName: "tolerance"))
    var tolerance: String = "10%"

    @Option(name: .customLong("max-tokens"), help: "Most tokens per answer.")
    var maxTokens: Int = 64

    @Option(help: ArgumentHelp("Evaluate the first N examples only.", valueName: "n"))
    var limit: Int?

    @Option(help: ArgumentHelp("A LoRA adapter to put on a local MODEL (PEFT folder, .gguf adapter, run folder).", valueName: "path"))
    var adapter: String?

    @Option(help: ArgumentHelp("Requests in flight at once to a hosted model.", valueName: "n"))
    var concurrency: Int = 8

    @Option(help: "Seed sent with hosted requests (OpenAI uses it for repeatable answers).")
    var seed: Int = 42

    @Option(help: "Compute threads for a local model (default: every core).")
    var threads: Int = ThreadPool.defaultThreadCount

    @Option(help: ArgumentHelp("The evaluation's name (default: the model's).", valueName: "name"))
    var name: String?

    @OptionGroup var location: RunsCommand.Location

    @OptionGroup(title: "Provider (hosted models)") var connection: ProviderConnection

    @OptionGroup(title: "Experiment tracking") var mlflow: MLflowOptions

    @Flag(help: "Print the evaluation record (JSON) on standard output instead of the table.")
    var json = false

    func validate() throws {
        guard maxTokens >= 1 else { throw ValidationError("--max-tokens must be at least 1.") }
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1.") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1.") }
        if let limit, limit < 1 { throw ValidationError("--limit must be 1 or more (leave it out to evaluate every example).") }
    }

    func run() async throws {
        let set = try Console.reportingErrors(exitStatus: 2) {
            try evaluation { () throws(EvaluationError) in try EvalSet.load(URL(fileURLWithPath: test), limit: limit) }
        }
        let plan = try Console.reportingErrors(exitStatus: 2) { try EvalPlan(command: self, set: set) }
        let store = ExperimentRecordStore(explicit: location.runsDir)
        let target = try EvalTarget.resolve(model, adapter: adapter, connection: connection, store: store)
        let base = try baseline.map { try EvalTarget.resolve($0, adapter: nil, connection: connection, store: store) }
        Console.err("Evaluating \(target.name)" + (base.map { " against \($0.name)" } ?? "") + " on \(set.examples.count) examples of \(test) "
                    + "(\(plan.task.rawValue) answers; " + plan.metrics.map(\.name).joined(separator: ", ") + ")")

        let evaluationName = name ?? target.run?.name ?? target.name
        let tracking = try await EvalTracking.start(mlflow, name: evaluationName, model: target, baseline: base, set: set, plan: plan)

        // The baseline first: "before", then "after".
        var before: (scores: [ExampleScore], evaluation: ModelEvaluation)?
        let after: (scores: [ExampleScore], evaluation: ModelEvaluation)
        do {
            if let base { before = try await pass(of: base, on: set, plan: plan) }
            after = try await pass(of: target, on: set, plan: plan)
        } catch {
            await tracking?.finish(status: .failed, artifacts: [])
            throw error
        }

        var record = plan.record(name: evaluationName, set: set, model: after.evaluation,
                                 baseline: before?.evaluation, modelScores: after.scores, baselineScores: before?.scores)
        let lines = plan.lines(model: after.scores, baseline: before?.scores)
        let evaluations = EvaluationStore(runsDirectory: store.directory)
        let folder = try Console.reportingErrors(exitStatus: 1) {
            try evaluation { () throws(EvaluationError) in try evaluations.newFolder(name: record.name) }
        }
        record.files.charts = EvalCharts.write(EvalCharts.charts(record, lines: lines), to: folder)
        try Console.reportingErrors(exitStatus: 1) {
            try evaluation { () throws(EvaluationError) in try evaluations.write(record, examples: lines, to: folder) }
        }

        if json {
            try Console.printJSON(record)
        } else {
            EvalSummary.print(record, lines: lines, folder: folder)
        }
        if let tracking { await EvalTracking.finish(tracking, record: record, folder: folder, lines: lines, store: store) }
    }

    /// One model's pass over the test set, with a progress bar and ETA, then its scores.
    private func pass(of target: EvalTarget, on set: EvalSet, plan: EvalPlan)
        async throws -> (scores: [ExampleScore], evaluation: ModelEvaluation) {
        let source = try Console.reportingErrors(exitStatus: 1) { try target.answerSource(threads: threads, seed: seed) }
        let progress = SendableProgress(ProgressBar(label: "evaluating \(target.name)", unit: .items("examples")))
        let isLocal = if case .local = target.backend { true } else { false }
        let runner = EvaluationRunner(concurrency: isLocal ? 1 : concurrency)
        let started = Date()
        let answers = try await runner.answers(for: set, source: source, maxTokens: maxTokens) { done, total in
            progress.update(done, total)
        }
        progress.finish()
        let seconds = Date().timeIntervalSince(started)
        let failures = answers.compactMap(\.failure)
        if failures.count == answers.count, let first = failures.first {
            Console.err(Console.paint("finetune: error: every request to \(target.name) failed; the first: \(first)", .red))
            throw ExitCode(1)
        }
        if let first = failures.first {
            Console.err(Console.paint("\(failures.count) of \(answers.count) answers from \(target.name) failed (counted as wrong); the first: \(first)", .yellow))
        }
        let scores = zip(set.examples, answers).map { plan.score($1, for: $0) }
        Console.err(String(format: "%@: %d answers in %.1f s", target.name, answers.count, seconds))
        return (scores, plan.evaluate(target, scores: scores, seconds: seconds))
    }
}

/// A progress bar the evaluation runner may report to (it calls from one task at a time).
private final class SendableProgress: @unchecked Sendable {
    private let bar: ProgressBar
    private let lock = NSLock()
    init(_ bar: ProgressBar) { self.bar = bar }
    func update(_ done: Int, _ total: Int) { lock.withLock { bar.update(done, total) } }
    func finish() { lock.withLock { bar.finish() } }
}

/// Runs a throwing-`EvaluationError` body, turning the error into the CLI's.
func evaluation<T>(_ body: () throws(EvaluationError) -> T) throws -> T {
    do { return try body() } catch { throw CLIError(error.description) }
}
