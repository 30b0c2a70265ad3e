import Foundation

/// Scores answers against the expected ones and computes the metrics.
///
/// Per example (`score`):
/// - **exact**: the trimmed reply equals the trimmed expected answer.
/// - **normalized**: `normalize(extract(answer)) == normalize(reference)`, where the reference is
///   `extract(expected)` (the whole trimmed expected answer when the pattern does not match it); for
///   numeric tasks, where both hold numbers, the numbers are equal (|a − b| ≤ 1e-9·max(1, |b|)).
/// - **inFormat**: with `--extract`, the pattern matches the reply; numeric tasks, the trimmed reply
///   matches the expected answer with each number replaced by a number pattern (`FormatTemplate`);
///   labels, the normalised answer is one of the labels; text, the reply is not blank.
/// - **right** (for the flips): numeric, the number is within the tolerance; label and text, normalized.
///
/// Over a model's examples (`evaluate`), with n the number of examples:
/// - **exact**, **normalized**, **accuracy** (= normalized), **format**: the share of the n examples.
/// - **f1**: macro F1 over the expected labels (classes = distinct normalised references); a
///   prediction outside them (or a failed call) is a false negative of the true class and a false
///   positive of no class; a class never predicted has precision 0.
/// - **mae** = mean |p − t|, **rmse** = √(mean (p − t)²), over the examples whose answer holds a number
///   (`count` says how many); **mape** = mean |p − t| / |t| over those with t ≠ 0, as a fraction.
/// - **within**: share of all n examples with |p − t| ≤ tol (relative: ≤ tol·|t|); an answer without a
///   number is a miss.
public enum Scoring {
    /// Scores one reply.
    /// - Parameters:
    ///   - tolerance: what counts as right for a numeric task (the first `within` metric's, default 10 %).
    ///   - labels: the normalised labels of a label task (`labels(of:extractor:)`); unused otherwise.
    public static func score(_ answer: ModelAnswer, for example: EvalExample, task: TaskKind, extractor: AnswerExtractor,
                             tolerance: Tolerance, labels: Set<String>) -> ExampleScore {
        guard let text = answer.text else {
            return ExampleScore(answer: nil, extracted: nil, value: nil, error: nil, exact: false, normalized: false,
                                inFormat: false, right: false, failure: answer.failure ?? "no answer", seconds: answer.seconds,
                                completionTokens: answer.completionTokens, finishReason: answer.finishReason)
        }
        let reference = Self.reference(example.expected, extractor: extractor)
        let extracted = extractor.extract(text)
        let exact = text.trimmingCharacters(in: .whitespacesAndNewlines)
            == example.expected.trimmingCharacters(in: .whitespacesAndNewlines)

        var value: Double?
        var error: Double?
        var normalized = extracted.map { Normalizer.normalize($0) == Normalizer.normalize(reference) } ?? false
        var right = normalized
        if task == .numeric {
            value = extracted.flatMap(AnswerExtractor.number(in:))
            if let value, let truth = AnswerExtractor.number(in: reference) {
                error = value - truth
                normalized = abs(value - truth) <= 1e-9 * max(1, abs(truth))
                right = tolerance.contains(value, truth: truth)
            } else {
                right = false
            }
        }

        let inFormat: Bool
        if extractor.pattern != nil {
            inFormat = extractor.matches(text)
        } else {
            switch task {
            case .numeric: inFormat = FormatTemplate(expected: example.expected).matches(text)
            case .label: inFormat = extracted.map { labels.contains(Normalizer.normalize($0)) } ?? false
            case .text: inFormat = !text.allSatisfy(\.isWhitespace)
            }
        }
        return ExampleScore(answer: text, extracted: extracted, value: value, error: error, exact: exact, normalized: normalized,
                            inFormat: inFormat, right: right, failure: nil, seconds: answer.seconds,
                            completionTokens: answer.completionTokens, finishReason: answer.finishReason)
    }

    /// The expected answer that replies are compared with: `extract(expected)`, or the whole trimmed
    /// expected answer when the pattern does not match it.
    public static func reference(_ expected: String, extractor: AnswerExtractor) -> String {
        extractor.extract(expected) ?? expected.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The number in an example's reference answer (numeric tasks).
    public static func expectedValue(_ example: EvalExample, extractor: AnswerExtractor) -> Double? {
        AnswerExtractor.number(in: reference(example.expected, extractor: extractor))
    }

    /// The distinct normalised reference answers, in first-seen order: a label task's classes.
    public static func labels(of examples: [EvalExample], extractor: AnswerExtractor) -> [String] {
        var seen = Set<String>()
        return examples.compactMap { example in
            let label = Normalizer.normalize(reference(example.expected, extractor: extractor))
            return seen.insert(label).inserted ? label : nil
        }
    }

    /// Scores every reply of one model and computes its metrics: one call per model.
    ///
    /// ```swift
    /// let scores = zip(set.examples, answers).map { Scoring.score($1, for: $0, task: task, extractor: x, tolerance: tol, labels: labels) }
    /// let result = Scoring.evaluate(model: "base", provider: "local", location: "this process", run: nil,
    ///                               examples: set.examples, scores: scores, metrics: specs, task: task, extractor: x, seconds: 12.5)
    /// ```
    /// - Parameters:
    ///   - examples: the test examples, in order; `scores[i]` is the model's score on `examples[i]`.
    ///   - metrics: the metrics to compute, in the order to report them.
    ///   - seconds: wall time of the model's pass.
    /// - Precondition: `scores.count == examples.count`.
    public static func evaluate(model: String, provider: String, location: String, run: RunReference?,
                                examples: [EvalExample], scores: [ExampleScore], metrics: [MetricSpec], task: TaskKind,
                                extractor: AnswerExtractor, seconds: Double) -> ModelEvaluation {
        precondition(scores.count == examples.count, "one score per example")
        let truths = examples.map { expectedValue($0, extractor: extractor) }
        let needsLabels = task == .label || metrics.contains { $0.kind == .f1 }
        let labelMetrics = needsLabels ? LabelMetrics(examples: examples, scores: scores, extractor: extractor) : nil
        let values = metrics.map { metricValue($0, scores: scores, truths: truths, labels: labelMetrics) }
        return ModelEvaluation(model: model, provider: provider, location: location, run: run, metrics: values,
                               classes: task == .label ? labelMetrics?.classes : nil,
                               confusion: task == .label ? labelMetrics?.confusion : nil,
                               answered: scores.count { $0.answer != nil },
                               parsed: task == .numeric ? scores.count { $0.value != nil } : nil,
                               failures: scores.count { $0.answer == nil }, seconds: seconds)
    }

    /// One metric over the scores (see the type's documentation for the definitions).
    static func metricValue(_ spec: MetricSpec, scores: [ExampleScore], truths: [Double?],
                            labels: LabelMetrics?) -> MetricValue {
        let n = scores.count
        func share(_ hits: Int) -> MetricValue {
            MetricValue(spec, value: n == 0 ? nil : Double(hits) / Double(n), count: n)
        }
        let pairs = zip(scores, truths).compactMap { score, truth in score.value.flatMap { p in truth.map { (p, $0) } } }
        switch spec.kind {
        case .exact: return share(scores.count(where: \.exact))
        case .normalized, .accuracy: return share(scores.count(where: \.normalized))
        case .format: return share(scores.count(where: \.inFormat))
        case .f1: return MetricValue(spec, value: labels?.macroF1, count: n)
        case .mae:
            let total = pairs.reduce(0) { $0 + abs($1.0 - $1.1) }
            return MetricValue(spec, value: pairs.isEmpty ? nil : total / Double(pairs.count), count: pairs.count)
        case .rmse:
            let total = pairs.reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
            return MetricValue(spec, value: pairs.isEmpty ? nil : (total / Double(pairs.count)).squareRoot(), count: pairs.count)
        case .mape:
            let nonZero = pairs.filter { $0.1 != 0 }
            let total = nonZero.reduce(0) { $0 + abs($1.0 - $1.1) / abs($1.1) }
            return MetricValue(spec, value: nonZero.isEmpty ? nil : total / Double(nonZero.count), count: nonZero.count)
        case .within:
            let tolerance = spec.tolerance ?? .relative(0.1)
            return share(pairs.count { tolerance.contains($0.0, truth: $0.1) })
        }
    }
}
