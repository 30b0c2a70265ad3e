import Foundation

/// One `--where` condition on a record: `FIELD OP VALUE`, such as `price > 10`, `category == "Books"`
/// or `title ~ usb`.
///
/// - `OP` is one of `==`, `!=`, `>`, `>=`, `<`, `<=` and `~` (the field contains the value,
///   ignoring case).
/// - `VALUE` may be wrapped in double or single quotes (needed for values with leading or trailing
///   spaces, or an empty value `""`); nothing inside the quotes is unescaped.
/// - When both the field's value and `VALUE` read as decimal numbers, the comparison is numeric
///   (`10` equals `10.0`, `9 < 10`); otherwise strings are compared as they are.
/// - `FIELD` may be a dotted path into nested JSON objects (`item.price`).
///
/// ```swift
/// let filter = try RecordFilter(parsing: "price >= 10")
/// filter.evaluate(record)   // .passed, .rejected or .missingField
/// ```
public struct RecordFilter: Sendable, Equatable, CustomStringConvertible {
    /// A comparison operator.
    public enum Operator: String, Sendable, CaseIterable {
        case equal = "=="
        case notEqual = "!="
        case greaterOrEqual = ">="
        case lessOrEqual = "<="
        case greater = ">"
        case less = "<"
        case contains = "~"
    }

    /// What a filter makes of one record.
    public enum Outcome: Sendable, Equatable {
        /// The record satisfies the condition.
        case passed
        /// The record has the field but does not satisfy the condition.
        case rejected
        /// The record has no such field (or it is null); the record does not pass.
        case missingField
    }

    /// The field path the condition reads.
    public let field: String
    /// How the field is compared with `value`.
    public let op: Operator
    /// The value to compare with, without its quotes.
    public let value: String
    /// The expression as the user wrote it, trimmed, for messages.
    public let expression: String

    public var description: String { expression }

    /// Parses `FIELD OP VALUE`.
    /// - Throws: `DatasetError.invalidArgument` stating the accepted form with an example.
    public init(parsing text: String) throws(DatasetError) {
        let expression = text.trimmingCharacters(in: .whitespaces)
        func invalid(_ problem: String) -> DatasetError {
            .invalidArgument("--where '\(expression)': \(problem); expected FIELD OP VALUE with OP one of ==, !=, >, >=, <, <=, ~ (contains, ignoring case), for example --where 'price > 10' or --where 'title ~ \"usb\"'")
        }
        let operatorCharacters: Set<Character> = ["=", "!", "<", ">", "~"]
        guard let opStart = expression.firstIndex(where: { operatorCharacters.contains($0) }) else {
            throw invalid("no comparison operator")
        }
        let field = expression[..<opStart].trimmingCharacters(in: .whitespaces)
        let rest = expression[opStart...]
        guard let op = Operator.allCases.first(where: { rest.hasPrefix($0.rawValue) }) else {
            if rest.hasPrefix("=>") || rest.hasPrefix("=<") {
                throw invalid("'\(rest.prefix(2))' is not an operator (write '\(rest.dropFirst().prefix(1))=')")
            }
            if rest.hasPrefix("=") { throw invalid("'=' is not an operator (write '==' to test equality)") }
            throw invalid("'\(rest.prefix(2))' is not an operator")
        }
        guard !field.isEmpty else { throw invalid("the field name before '\(op.rawValue)' is missing") }
        guard !field.contains(where: \.isWhitespace) else {
            throw invalid("the field name '\(field)' contains a space")
        }
        var value = rest.dropFirst(op.rawValue.count).trimmingCharacters(in: .whitespaces)
        if value.count >= 2, let quote = value.first, quote == "\"" || quote == "'", value.last == quote {
            value = String(value.dropFirst().dropLast())
        } else if value.isEmpty {
            throw invalid("the value after '\(op.rawValue)' is missing (write \"\" to compare with an empty value)")
        } else if value.hasPrefix("=") {
            throw invalid("'\(op.rawValue)=' is not an operator (quote a value that starts with '=')")
        }
        self.field = field
        self.op = op
        self.value = value
        self.expression = expression
    }

    /// Tests `record` (a JSON object) against the condition.
    public func evaluate(_ record: JSONValue) -> Outcome {
        guard let found = lookUpField(field, in: record), let text = found.textValue else {
            return .missingField
        }
        let order: ComparisonResult
        if op == .contains {
            return text.range(of: value, options: .caseInsensitive) != nil ? .passed : .rejected
        } else if let left = decimalNumber(text), let right = decimalNumber(value) {
            order = left < right ? .orderedAscending : left > right ? .orderedDescending : .orderedSame
        } else {
            order = text < value ? .orderedAscending : text > value ? .orderedDescending : .orderedSame
        }
        let passed = switch op {
        case .equal: order == .orderedSame
        case .notEqual: order != .orderedSame
        case .greater: order == .orderedDescending
        case .greaterOrEqual: order != .orderedAscending
        case .less: order == .orderedAscending
        case .lessOrEqual: order != .orderedDescending
        case .contains: false  // handled above
        }
        return passed ? .passed : .rejected
    }
}

/// The value of `path` in `record`: a top-level key spelled exactly like `path` first (CSV columns
/// and JSON keys may contain dots), then the dotted path into nested objects and arrays.
func lookUpField(_ path: String, in record: JSONValue) -> JSONValue? {
    record[path] ?? (path.contains(".") ? record.value(atPath: path) : nil)
}

/// `text` as a finite decimal number (`12`, `-3.5`, `1e3`, surrounding spaces allowed), or nil.
/// Stricter than `Double(_:)`, which also reads hexadecimal, `nan` and `inf`.
func decimalNumber(_ text: String) -> Double? {
    var bytes = Substring(text).utf8
    while let first = bytes.first, first == 0x20 || first == 0x09 { bytes.removeFirst() }
    while let last = bytes.last, last == 0x20 || last == 0x09 { bytes.removeLast() }
    guard let first = bytes.first, bytes.count <= 64,
          first == UInt8(ascii: "-") || first == UInt8(ascii: "+") || first == UInt8(ascii: ".")
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first),
          bytes.allSatisfy({ byte in
              (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: ".")
                  || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+")
                  || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")
          }),
          let number = Double(Substring(bytes)), number.isFinite else { return nil }
    return number
}
