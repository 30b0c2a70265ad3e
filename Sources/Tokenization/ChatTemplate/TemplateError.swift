/// Why a chat template could not be parsed or rendered, and where in the template.
///
/// `message` is the bare reason; for `.raised` it is exactly the text the template passed to
/// `raise_exception(...)`, so callers can show the model's own words. `line` and `column` are 1-based
/// positions in the template source (0 when the error is not tied to a place, e.g. bad JSON input).
public struct TemplateError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What kind of failure this is.
    public enum Kind: String, Sendable, Equatable {
        /// The template is not valid Jinja.
        case syntax
        /// The template uses a Jinja construct (tag, filter, test, method, operator) this renderer does
        /// not implement. Rendering stops rather than produce a prompt that could differ from Python's.
        case unsupported
        /// The template called `raise_exception(message)`: it rejects these inputs.
        case raised
        /// Rendering failed on these inputs: an undefined value used strictly, a type mismatch, a
        /// division by zero, ... (the errors Python's Jinja raises in the same place).
        case runtime
        /// A JSON document given as template input is malformed.
        case invalidJSON
    }

    public var kind: Kind
    public var message: String
    public var line: Int
    public var column: Int

    public init(_ kind: Kind, _ message: String, line: Int = 0, column: Int = 0) {
        self.kind = kind
        self.message = message
        self.line = line
        self.column = column
    }

    public var description: String {
        let place = line > 0 ? " at line \(line), column \(column)" : ""
        switch kind {
        case .syntax:
            return "chat template syntax error\(place): \(message)"
        case .unsupported:
            return "chat template uses \(message)\(place), which this renderer does not support; "
                + "simplify the template or render it with Python's transformers"
        case .raised:
            return "the chat template rejected the input\(place): \(message)"
        case .runtime:
            return "chat template error\(place): \(message)"
        case .invalidJSON:
            return "invalid JSON\(place): \(message)"
        }
    }

    /// This error with a position, unless it already has one.
    func located(line: Int, column: Int) -> TemplateError {
        guard self.line == 0 else { return self }
        var copy = self
        copy.line = line
        copy.column = column
        return copy
    }

    static func runtime(_ message: String) -> TemplateError { TemplateError(.runtime, message) }
    static func unsupported(_ message: String) -> TemplateError { TemplateError(.unsupported, message) }
}
