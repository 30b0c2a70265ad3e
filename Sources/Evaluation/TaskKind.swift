/// What kind of answers a test set expects, which decides the default metrics and what counts as right.
public enum TaskKind: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// A number (a price, a score): MAE, RMSE, MAPE, share within a tolerance.
    case numeric
    /// One of a few labels (a class, a sentiment): accuracy and macro F1.
    case label
    /// Free text: exact and normalized match.
    case text

    public var description: String { rawValue }

    /// Most distinct labels a label task may have.
    public static let maximumLabels = 20

    /// Guesses the task from the expected answers (the CLI's `--task` overrides it):
    /// numeric when every expected answer (after extraction) holds a number; label when the distinct
    /// normalised answers are at most 20 and at most half the examples; text otherwise (also for none).
    public static func infer(expected: [String], extractor: AnswerExtractor) -> TaskKind {
        guard !expected.isEmpty else { return .text }
        let answers = expected.map { Scoring.reference($0, extractor: extractor) }
        if answers.allSatisfy({ AnswerExtractor.number(in: $0) != nil }) { return .numeric }
        let distinct = Set(answers.map(Normalizer.normalize))
        if distinct.count <= maximumLabels, distinct.count * 2 <= answers.count { return .label }
        return .text
    }
}
