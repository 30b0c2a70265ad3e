import Foundation

/// The record of one `finetune eval`: `runs/evals/<name>_eval_<yyyyMMdd_HHmmss>/evaluation.json`.
/// JSON keys are snake_case, dates ISO-8601.
public struct EvaluationRecord: Sendable, Codable, Equatable {
    /// The record format; bumped when a field changes meaning.
    public var formatVersion = 1
    public var finetuneVersion: String
    /// The evaluation's name (the folder name's first part).
    public var name: String
    /// When the evaluation started (ISO-8601).
    public var createdAt: String
    /// The command line that made it.
    public var command: [String]
    public var test: TestSetInfo
    public var task: TaskKind
    /// The `--extract` pattern.
    public var extract: String?
    /// What counts as right for a numeric task (the flips).
    public var tolerance: Tolerance
    public var decoding: Decoding
    public var model: ModelEvaluation
    public var baseline: ModelEvaluation?
    /// The model's metrics against the baseline's.
    public var comparison: [ComparisonRow]?
    public var flips: Flips?
    public var files: Files

    public init(finetuneVersion: String, name: String, createdAt: String, command: [String], test: TestSetInfo, task: TaskKind,
                extract: String?, tolerance: Tolerance, decoding: Decoding, model: ModelEvaluation, baseline: ModelEvaluation? = nil,
                comparison: [ComparisonRow]? = nil, flips: Flips? = nil, files: Files = Files()) {
        self.finetuneVersion = finetuneVersion
        self.name = name
        self.createdAt = createdAt
        self.command = command
        self.test = test
        self.task = task
        self.extract = extract
        self.tolerance = tolerance
        self.decoding = decoding
        self.model = model
        self.baseline = baseline
        self.comparison = comparison
        self.flips = flips
        self.files = files
    }

    /// How the answers were generated.
    public struct Decoding: Sendable, Codable, Equatable {
        /// 0: greedy, deterministic.
        public var temperature: Double
        /// The most tokens per answer.
        public var maxTokens: Int
        public var seed: Int?

        public init(temperature: Double = 0, maxTokens: Int, seed: Int? = nil) {
            self.temperature = temperature
            self.maxTokens = maxTokens
            self.seed = seed
        }

        enum CodingKeys: String, CodingKey {
            case temperature, seed
            case maxTokens = "max_tokens"
        }
    }

    /// The files beside `evaluation.json`, relative to its folder.
    public struct Files: Sendable, Codable, Equatable {
        public var examples: String
        /// Chart files (SVG, PNG) the CLI adds.
        public var charts: [String]

        public init(examples: String = EvaluationStore.examplesFileName, charts: [String] = []) {
            self.examples = examples
            self.charts = charts
        }
    }

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version"
        case finetuneVersion = "finetune_version"
        case name
        case createdAt = "created_at"
        case command, test, task, extract, tolerance, decoding, model, baseline, comparison, flips, files
    }
}

/// Which way an example flipped between the baseline and the model.
public enum Flip: String, Sendable, Codable, Equatable {
    case rightToWrong = "right_to_wrong"
    case wrongToRight = "wrong_to_right"
}

/// One line of `examples.jsonl`: an example, the expected answer and both models' results on it.
public struct ExampleLine: Sendable, Codable, Equatable {
    /// 0-based position among the examples.
    public var index: Int
    /// 1-based line in the test file.
    public var line: Int
    public var prompt: [EvalMessage]
    public var expected: String
    /// Numeric tasks: the number in the expected answer.
    public var expectedValue: Double?
    public var model: ExampleScore
    public var baseline: ExampleScore?
    public var flip: Flip?

    public init(index: Int, line: Int, prompt: [EvalMessage], expected: String, expectedValue: Double?,
                model: ExampleScore, baseline: ExampleScore?, flip: Flip?) {
        self.index = index
        self.line = line
        self.prompt = prompt
        self.expected = expected
        self.expectedValue = expectedValue
        self.model = model
        self.baseline = baseline
        self.flip = flip
    }

    /// The lines of an evaluation: `model[i]` (and `baseline[i]`) are the scores of `examples[i]`; the
    /// flips come from `Comparison.flips` when there is a baseline.
    /// - Precondition: one score per example on each side.
    public static func lines(examples: [EvalExample], model: [ExampleScore], baseline: [ExampleScore]?,
                             task: TaskKind, extractor: AnswerExtractor) -> [ExampleLine] {
        precondition(model.count == examples.count && (baseline?.count ?? examples.count) == examples.count, "one score per example")
        let flips = baseline.map { Comparison.flips(model: model, baseline: $0) }
        let rightToWrong = Set(flips?.rightToWrong ?? [])
        let wrongToRight = Set(flips?.wrongToRight ?? [])
        return examples.enumerated().map { position, example in
            ExampleLine(index: example.index, line: example.line, prompt: example.prompt, expected: example.expected,
                        expectedValue: task == .numeric ? Scoring.expectedValue(example, extractor: extractor) : nil,
                        model: model[position], baseline: baseline?[position],
                        flip: rightToWrong.contains(position) ? .rightToWrong : wrongToRight.contains(position) ? .wrongToRight : nil)
        }
    }

    enum CodingKeys: String, CodingKey {
        case index, line, prompt, expected, model, baseline, flip
        case expectedValue = "expected_value"
    }
}

/// The test file an evaluation ran on.
public struct TestSetInfo: Sendable, Codable, Equatable, Hashable {
    public var path: String
    /// Hex SHA-256 of the file: evaluations with the same one ran on the same examples.
    public var sha256: String
    /// Examples evaluated (fewer than the file holds with `--limit`).
    public var examples: Int

    /// What identifies the examples evaluated: the file's bytes and how many of its examples were used.
    public var groupKey: String { "\(sha256):\(examples)" }

    public init(path: String, sha256: String, examples: Int) {
        self.path = path
        self.sha256 = sha256
        self.examples = examples
    }

    /// The file of `set` and its example count.
    public init(_ set: EvalSet) {
        self.init(path: set.url.isFileURL ? set.url.relativePath : set.url.absoluteString, sha256: set.sha256, examples: set.examples.count)
    }
}
