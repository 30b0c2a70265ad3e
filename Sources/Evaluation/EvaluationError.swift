/// Everything that stops an evaluation: a test set that cannot be read or used, a bad `--extract`
/// pattern or `--metric` name, an evaluation record that cannot be read or written. Each case says
/// what happened, where (file and line, field), and what to do.
public enum EvaluationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A file cannot be opened or read.
    case cannotRead(path: String, reason: String)
    /// A test example that cannot be used: `path:line: field: message`.
    case invalidExample(path: String, line: Int, field: String?, message: String)
    /// A test file without a single example.
    case emptyTestSet(path: String)
    /// `--extract` is not a regular expression.
    case invalidPattern(pattern: String, reason: String)
    /// A `--metric` name (or tolerance) that is not one of the accepted ones.
    case invalidMetric(name: String, reason: String)
    /// An evaluation record or its examples file that cannot be decoded.
    case invalidRecord(path: String, line: Int?, reason: String)
    /// A write failed; the destination was left as it was.
    case cannotWrite(path: String, reason: String)
    /// An option value that cannot be used (a limit below 1, …).
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .cannotRead(let path, let reason):
            "cannot read \(path): \(reason)"
        case .invalidExample(let path, let line, let field, let message):
            "\(path):\(line): " + (field.map { "\($0): " } ?? "") + message
        case .emptyTestSet(let path):
            "\(path): no test examples; give a chat JSONL file with one {\"messages\": [...]} example per line, "
                + "each ending with the expected assistant answer"
        case .invalidPattern(let pattern, let reason):
            "--extract '\(pattern)' is not a valid regular expression (\(reason)); "
                + "give a pattern whose first capture group is the answer, e.g. --extract 'Price is \\$([0-9.,]+)'"
        case .invalidMetric(let name, let reason):
            "--metric '\(name)': \(reason)"
        case .invalidRecord(let path, let line, let reason):
            (line.map { "\(path):\($0)" } ?? path) + " is not a finetune evaluation record: \(reason)"
        case .cannotWrite(let path, let reason):
            "cannot write \(path): \(reason); nothing was written there"
        case .invalidArgument(let message):
            message
        }
    }
}
