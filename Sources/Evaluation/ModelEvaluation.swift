/// A model's reply to one test prompt, as an `AnswerSource` gives it.
public struct ModelAnswer: Sendable, Codable, Equatable {
    /// The reply; nil when the call failed.
    public var text: String?
    /// Why the call failed (after the client's retries).
    public var failure: String?
    public var completionTokens: Int?
    /// `stop`, `length`, … as the model reports it.
    public var finishReason: String?
    /// Wall time of the call, in seconds.
    public var seconds: Double

    public init(text: String?, failure: String? = nil, completionTokens: Int? = nil, finishReason: String? = nil, seconds: Double) {
        self.text = text
        self.failure = failure
        self.completionTokens = completionTokens
        self.finishReason = finishReason
        self.seconds = seconds
    }

    enum CodingKeys: String, CodingKey {
        case text, failure, seconds
        case completionTokens = "completion_tokens"
        case finishReason = "finish_reason"
    }
}

/// One model's result on one example (see `Scoring.score`).
public struct ExampleScore: Sendable, Codable, Equatable {
    /// The model's reply; nil when the call failed.
    public var answer: String?
    /// The answer `--extract` (or trimming) pulled out of it.
    public var extracted: String?
    /// Numeric tasks: the number in the extracted answer.
    public var value: Double?
    /// Numeric tasks: value − the expected value.
    public var error: Double?
    /// The trimmed reply equals the trimmed expected answer.
    public var exact: Bool
    /// The normalised answers are equal (numeric: the numbers are).
    public var normalized: Bool
    /// The reply has the expected form (see `Scoring`).
    public var inFormat: Bool
    /// Counts as right for the flips: numeric within the tolerance, else a normalized match.
    public var right: Bool
    public var failure: String?
    public var seconds: Double
    public var completionTokens: Int?
    public var finishReason: String?

    public init(answer: String?, extracted: String?, value: Double?, error: Double?, exact: Bool, normalized: Bool,
                inFormat: Bool, right: Bool, failure: String?, seconds: Double, completionTokens: Int?, finishReason: String?) {
        self.answer = answer
        self.extracted = extracted
        self.value = value
        self.error = error
        self.exact = exact
        self.normalized = normalized
        self.inFormat = inFormat
        self.right = right
        self.failure = failure
        self.seconds = seconds
        self.completionTokens = completionTokens
        self.finishReason = finishReason
    }

    enum CodingKeys: String, CodingKey {
        case answer, extracted, value, error, exact, normalized, right, failure, seconds
        case inFormat = "in_format"
        case completionTokens = "completion_tokens"
        case finishReason = "finish_reason"
    }
}

/// Precision, recall and F1 of one label (a true class of the test set).
public struct ClassScore: Sendable, Codable, Equatable {
    /// The normalised label.
    public var label: String
    /// Right predictions of the label / all predictions of it (0 when it was never predicted).
    public var precision: Double
    /// Right predictions of the label / its examples.
    public var recall: Double
    /// 2PR / (P + R), 0 when both are 0.
    public var f1: Double
    /// Examples whose expected answer is the label.
    public var support: Int

    public init(label: String, precision: Double, recall: Double, f1: Double, support: Int) {
        self.label = label
        self.precision = precision
        self.recall = recall
        self.f1 = f1
        self.support = support
    }
}

/// Counts of true label × predicted label.
public struct ConfusionMatrix: Sendable, Codable, Equatable {
    /// The name of the column for predictions outside the labels (and failed calls).
    public static let other = "(other)"

    /// True classes (rows), in first-seen order of the test set.
    public var labels: [String]
    /// Columns: `labels`, then `(other)` when any prediction is outside them.
    public var predicted: [String]
    /// `counts[true][predicted]`.
    public var counts: [[Int]]

    public init(labels: [String], predicted: [String], counts: [[Int]]) {
        self.labels = labels
        self.predicted = predicted
        self.counts = counts
    }
}

/// The training run a model comes from, when known.
public struct RunReference: Sendable, Codable, Equatable, Hashable {
    /// The run's name.
    public var name: String
    /// The run record's path.
    public var recordFile: String
    public var jobID: String?

    public init(name: String, recordFile: String, jobID: String?) {
        self.name = name
        self.recordFile = recordFile
        self.jobID = jobID
    }

    enum CodingKeys: String, CodingKey {
        case name
        case recordFile = "record_file"
        case jobID = "job_id"
    }
}

/// One model's evaluation on a test set: its metrics and counts.
public struct ModelEvaluation: Sendable, Codable, Equatable {
    /// The model as the user named it.
    public var model: String
    /// `local`, `openai`, `together`, …
    public var provider: String
    /// "this process" or the provider's base URL.
    public var location: String
    /// The training run whose model this is, when known.
    public var run: RunReference?
    public var metrics: [MetricValue]
    /// Label tasks: per-class scores, in the order of `confusion.labels`.
    public var classes: [ClassScore]?
    public var confusion: ConfusionMatrix?
    /// Examples with an answer (no failure).
    public var answered: Int
    /// Numeric tasks: answers holding a number.
    public var parsed: Int?
    public var failures: Int
    /// Wall time of this model's pass, in seconds.
    public var seconds: Double

    public init(model: String, provider: String, location: String, run: RunReference?, metrics: [MetricValue],
                classes: [ClassScore]?, confusion: ConfusionMatrix?, answered: Int, parsed: Int?, failures: Int, seconds: Double) {
        self.model = model
        self.provider = provider
        self.location = location
        self.run = run
        self.metrics = metrics
        self.classes = classes
        self.confusion = confusion
        self.answered = answered
        self.parsed = parsed
        self.failures = failures
        self.seconds = seconds
    }

    /// The value of the metric with `key` (nil when absent or not computable).
    public func value(of key: String) -> Double? {
        metrics.first { $0.key == key }?.value
    }
}
