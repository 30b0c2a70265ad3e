/// How serious a finding is: errors make `validate` fail (exit status 1), warnings do not.
public enum Severity: String, Sendable, Codable, Comparable {
    case warning, error

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs == .warning && rhs == .error }
}

/// One problem found in a dataset: where it is, what it is, and what to do about it.
///
/// ```
/// train.jsonl:12: error: messages[2].role: unknown role "bot"; use one of system, developer, user, assistant, tool [unknown-role]
/// ```
public struct Finding: Sendable, Equatable, Codable {
    public var severity: Severity
    /// A stable identifier of the check, e.g. `unknown-role`; `--json` consumers key on it.
    public var code: String
    /// 1-based line number in the file; nil for findings about the whole file.
    public var line: Int?
    /// 1-based column (in characters) for syntax errors, nil otherwise.
    public var column: Int?
    /// The JSON path of the offending field, e.g. `messages[2].content`; empty for the whole line.
    public var field: String
    /// What is wrong, followed by what to do, in one or two sentences.
    public var message: String

    public init(_ severity: Severity, _ code: String, line: Int?, column: Int? = nil, field: String = "", _ message: String) {
        self.severity = severity
        self.code = code
        self.line = line
        self.column = column
        self.field = field
        self.message = message
    }

    /// `FILE:LINE[:COLUMN]: severity: field: message [code]`, the format compilers use, so editors
    /// and terminals can jump to the line.
    public func formatted(file: String) -> String {
        var location = file
        if let line { location += ":\(line)" }
        if let column { location += ":\(column)" }
        let fieldPart = field.isEmpty ? "" : "\(field): "
        return "\(location): \(severity.rawValue): \(fieldPart)\(message) [\(code)]"
    }
}

/// Collects findings with exact counts per check, keeping at most `limitPerCode` of each so that a
/// file with a million bad lines reports a million in its counts without holding them all.
public struct FindingCollector: Sendable {
    public private(set) var kept: [Finding] = []
    public private(set) var countsByCode: [String: Int] = [:]
    public private(set) var errorCount = 0
    public private(set) var warningCount = 0
    public let limitPerCode: Int

    public init(limitPerCode: Int = 20) {
        self.limitPerCode = limitPerCode
    }

    public mutating func add(_ finding: Finding) {
        let count = countsByCode[finding.code, default: 0] + 1
        countsByCode[finding.code] = count
        if finding.severity == .error { errorCount += 1 } else { warningCount += 1 }
        if count <= limitPerCode { kept.append(finding) }
    }

    /// Findings of each code that were counted but not kept.
    public var omittedByCode: [String: Int] {
        countsByCode.compactMapValues { $0 > limitPerCode ? $0 - limitPerCode : nil }
    }
}
