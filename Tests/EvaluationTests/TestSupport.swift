import Foundation
@testable import Evaluation

/// A fresh folder under the system's temporary directory.
func temporaryFolder(_ label: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("finetune-eval-\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Writes `text` to `name` in a fresh folder and returns the file.
func writeFile(_ name: String, _ text: String) throws -> URL {
    let url = try temporaryFolder("file").appendingPathComponent(name)
    try text.write(to: url, atomically: true, encoding: .utf8)
    return url
}

/// A user-prompt example expecting `expected`.
func example(_ index: Int, _ expected: String, prompt: String = "q") -> EvalExample {
    EvalExample(index: index, line: index + 1, prompt: [EvalMessage(role: "user", content: prompt)], expected: expected)
}

/// Scores `answers` (nil: a failed call) against examples expecting `expected`.
func scores(expected: [String], answers: [String?], task: TaskKind, pattern: String? = nil,
            tolerance: Tolerance = .relative(0.1)) throws -> (examples: [EvalExample], scores: [ExampleScore]) {
    let extractor = try AnswerExtractor(pattern: pattern)
    let examples = expected.enumerated().map { example($0.offset, $0.element) }
    let labels = Set(Scoring.labels(of: examples, extractor: extractor))
    let scores = zip(examples, answers).map { item, text in
        Scoring.score(ModelAnswer(text: text, failure: text == nil ? "HTTP 500" : nil, seconds: 0.5), for: item, task: task,
                      extractor: extractor, tolerance: tolerance, labels: labels)
    }
    return (examples, scores)
}

/// Evaluates `answers` with `metrics` (or the task's defaults).
func evaluate(expected: [String], answers: [String?], task: TaskKind, metrics: [MetricSpec]? = nil,
              pattern: String? = nil) throws -> ModelEvaluation {
    let (examples, scored) = try scores(expected: expected, answers: answers, task: task, pattern: pattern)
    return Scoring.evaluate(model: "m", provider: "local", location: "this process", run: nil, examples: examples, scores: scored,
                            metrics: metrics ?? MetricSpec.defaults(for: task), task: task,
                            extractor: try AnswerExtractor(pattern: pattern), seconds: 1)
}

extension ModelEvaluation {
    /// The metric with `key`, which the test expects to exist.
    func metric(_ key: String) -> MetricValue? { metrics.first { $0.key == key } }
}

/// |a − b| ≤ 1e-12 (both nil counts as equal).
func close(_ a: Double?, _ b: Double?, _ tolerance: Double = 1e-12) -> Bool {
    switch (a, b) {
    case let (a?, b?): abs(a - b) <= tolerance
    case (nil, nil): true
    default: false
    }
}

/// A model's evaluation with the given metric values (MetricSpec keys → values).
func modelEvaluation(_ model: String, provider: String = "local", run: RunReference? = nil,
                     _ values: [(MetricSpec, Double?)]) -> ModelEvaluation {
    ModelEvaluation(model: model, provider: provider, location: provider == "local" ? "this process" : "https://api.example.com/v1",
                    run: run, metrics: values.map { MetricValue($0.0, value: $0.1, count: 4) }, classes: nil, confusion: nil,
                    answered: 4, parsed: nil, failures: 0, seconds: 2)
}

/// An evaluation record of `model` (and `baseline`) on a test file with hash `sha256`.
func evaluationRecord(name: String = "eval", createdAt: String, sha256: String = "aaaa", path: String = "test.jsonl",
                      task: TaskKind = .numeric, model: ModelEvaluation, baseline: ModelEvaluation? = nil) -> EvaluationRecord {
    EvaluationRecord(finetuneVersion: "0.1.0", name: name, createdAt: createdAt, command: ["finetune", "eval", model.model],
                     test: TestSetInfo(path: path, sha256: sha256, examples: 4), task: task, extract: nil,
                     tolerance: .relative(0.1), decoding: .init(maxTokens: 32), model: model, baseline: baseline,
                     comparison: baseline.map { Comparison.rows(model: model, baseline: $0) }, flips: nil)
}
