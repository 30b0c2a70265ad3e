import Evaluation
import FineTuningProviders
import Foundation

/// What `finetune eval` computes: the task, how answers are extracted and scored, which metrics.
struct EvalPlan {
    let task: TaskKind
    let extractor: AnswerExtractor
    /// What counts as right for numbers (the first `within` metric's tolerance, else --tolerance).
    let tolerance: Tolerance
    let metrics: [MetricSpec]
    /// The labels of a label task, normalised.
    let labels: Set<String>
    let examples: [EvalExample]
    let maxTokens: Int
    let seed: Int

    /// - Throws: `CLIError` for a bad --extract, --tolerance or --metric.
    init(command: EvalCommand, set: EvalSet) throws {
        extractor = try evaluation { () throws(EvaluationError) in try AnswerExtractor(pattern: command.extract) }
        let defaultTolerance = try evaluation { () throws(EvaluationError) in try Tolerance(parsing: command.tolerance) }
        task = command.task ?? TaskKind.infer(expected: set.examples.map(\.expected), extractor: extractor)
        let requested = try command.metrics.map { text in
            try evaluation { () throws(EvaluationError) in try MetricSpec(parsing: text, defaultTolerance: defaultTolerance) }
        }
        metrics = requested.isEmpty ? MetricSpec.defaults(for: task, tolerance: defaultTolerance) : requested
        tolerance = metrics.first { $0.kind == .within }?.tolerance ?? defaultTolerance
        labels = Set(Scoring.labels(of: set.examples, extractor: extractor))
        examples = set.examples
        maxTokens = command.maxTokens
        seed = command.seed
        if task == .numeric, let bad = set.examples.first(where: { Scoring.expectedValue($0, extractor: extractor) == nil }) {
            throw CLIError("\(set.url.path):\(bad.line): the expected answer \"\(bad.expected)\" holds no number, but the task is numeric; "
                           + "fix the example, give --extract to find the number, or choose --task label|text")
        }
    }

    func score(_ answer: ModelAnswer, for example: EvalExample) -> ExampleScore {
        Scoring.score(answer, for: example, task: task, extractor: extractor, tolerance: tolerance, labels: labels)
    }

    /// One model's figures.
    func evaluate(_ target: EvalTarget, scores: [ExampleScore], seconds: Double) -> ModelEvaluation {
        Scoring.evaluate(model: target.name, provider: target.provider, location: target.location, run: target.run,
                         examples: examples, scores: scores, metrics: metrics, task: task, extractor: extractor, seconds: seconds)
    }

    /// The evaluation record (without its chart files).
    func record(name: String, set: EvalSet, model: ModelEvaluation, baseline: ModelEvaluation?,
                modelScores: [ExampleScore], baselineScores: [ExampleScore]?) -> EvaluationRecord {
        let comparison = baseline.map { Comparison.rows(model: model, baseline: $0) }
        let flips = baselineScores.map { Comparison.flips(model: modelScores, baseline: $0) }
        return EvaluationRecord(
            finetuneVersion: FineTune.configuration.version, name: name, createdAt: ExperimentRecord.localISOString(Date()),
            command: CommandLine.arguments, test: TestSetInfo(set), task: task, extract: extractor.pattern, tolerance: tolerance,
            decoding: .init(temperature: 0, maxTokens: maxTokens, seed: seed), model: model, baseline: baseline,
            comparison: comparison, flips: flips)
    }

    func lines(model: [ExampleScore], baseline: [ExampleScore]?) -> [ExampleLine] {
        ExampleLine.lines(examples: examples, model: model, baseline: baseline, task: task, extractor: extractor)
    }
}
