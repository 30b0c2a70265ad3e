/// Everything that stops a dataset command from running at all (as opposed to findings about the
/// data, which `ValidationReport` collects). Each case says what happened, where, and what to do.
public enum DatasetError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file cannot be opened or read.
    case cannotRead(path: String, reason: String)
    /// The file is not text (NUL bytes or mostly invalid UTF-8).
    case notText(path: String, offset: Int)
    /// A write failed; the destination was left as it was.
    case cannotWrite(path: String, reason: String)
    /// Input that cannot be used at all, with the line (1-based) when one is known.
    case invalidInput(path: String, line: Int?, message: String)
    /// An option or template is inconsistent with the data.
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .cannotRead(let path, let reason):
            "cannot read \(path): \(reason)"
        case .notText(let path, let offset):
            "\(path) is not a text file (binary data at byte \(offset)); expected UTF-8 text (JSON Lines, JSON or CSV)"
        case .cannotWrite(let path, let reason):
            "cannot write \(path): \(reason); nothing was written there"
        case .invalidInput(let path, let line, let message):
            line.map { "\(path):\($0): \(message)" } ?? "\(path): \(message)"
        case .invalidArgument(let message):
            message
        }
    }
}
