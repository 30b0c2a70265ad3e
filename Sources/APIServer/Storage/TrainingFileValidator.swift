import ChatDataset
import Foundation
import OpenAIAPI

/// The verdict on an uploaded training file (API.md §6.0).
public struct FileValidation: Sendable, Equatable {
    /// `processed` when every line is a usable chat example, `error` otherwise.
    public var status: FileStatus
    /// For `error`: the first problems, each as `Line N: <what is wrong>`; nil when processed.
    public var details: String?
    /// Non-blank lines (examples, usable or not).
    public var exampleCount: Int

    public init(status: FileStatus, details: String?, exampleCount: Int) {
        self.status = status
        self.details = details
        self.exampleCount = exampleCount
    }
}

/// Checks a chat JSONL training file with ChatDataset's `DatasetScanner` (the local engine's rules)
/// and turns its errors into `status_details`. Warnings are ignored, and so is the minimum number
/// of examples: uploads are never refused for having few lines (the job creation checks that).
///
/// Flags, naming the 1-based line: invalid JSON or UTF-8, a line that is not an object, missing or
/// empty `messages`, an unknown role, non-text content, no trained assistant message, and the
/// scanner's other errors (bad weights, misplaced tool calls, too many tokens).
///
/// ```swift
/// let verdict = TrainingFileValidator.validate(url: storage.url(id: file.id))
/// // verdict.details == "Line 2: invalid JSON: …; Line 5: messages[1].role: unknown role \"bot\"; …"
/// ```
///
/// Reads the whole file on the calling thread; run it off the request path for large files.
public enum TrainingFileValidator {
    /// Codes of scanner errors that do not make an upload invalid.
    static let ignoredCodes: Set<String> = ["too-few-examples"]

    /// Validates the file at `url`.
    /// - Parameters:
    ///   - listed: how many problems `details` names before "and N more".
    ///   - tokenLimit: tokens allowed per example; nil uses the local engine's limit.
    public static func validate(url: URL, listed: Int = 5, tokenLimit: Int? = nil) -> FileValidation {
        let scanner = DatasetScanner(options: ScanOptions(provider: .local, tokenLimit: tokenLimit,
                                                          findingsPerCode: max(listed, 1)))
        let result: ScanResult
        do {
            result = try scanner.scan(path: url.path)
        } catch {
            return FileValidation(status: .error, details: describe(error), exampleCount: 0)
        }
        // By line, file-level findings last; the scanner's order breaks ties.
        let errors = result.findings.kept
            .filter { $0.severity == .error && !ignoredCodes.contains($0.code) }
            .enumerated()
            .sorted { ($0.element.line ?? Int.max, $0.offset) < ($1.element.line ?? Int.max, $1.offset) }
            .map(\.element)
        // The ignored checks are file-level and report once, so `kept` holds all of them.
        let ignored = result.findings.kept.filter { $0.severity == .error && ignoredCodes.contains($0.code) }.count
        let errorCount = result.findings.errorCount - ignored
        guard errorCount > 0, !errors.isEmpty else {
            return FileValidation(status: .processed, details: nil, exampleCount: result.exampleCount)
        }
        var parts = errors.prefix(listed).map(describe)
        let more = errorCount - parts.count
        if more > 0 { parts.append("and \(more) more error\(more == 1 ? "" : "s")") }
        return FileValidation(status: .error, details: parts.joined(separator: "; "), exampleCount: result.exampleCount)
    }

    /// `Line 4: messages[1].role: unknown role "bot"; use one of …`.
    static func describe(_ finding: Finding) -> String {
        let field = finding.field.isEmpty ? "" : "\(finding.field): "
        guard let line = finding.line else {
            return field + capitalizedFirst(finding.message)
        }
        return "Line \(line): \(field)\(finding.message)"
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case DatasetError.notText(_, let offset):
            "The file is not text (binary data at byte \(offset)); upload UTF-8 JSON Lines, one {\"messages\": [...]} object per line"
        case DatasetError.cannotRead(_, let reason):
            "The file could not be read: \(reason)"
        default:
            // Other errors name server paths; the client only learns that reading failed.
            "The file could not be read as a training file"
        }
    }

    private static func capitalizedFirst(_ text: String) -> String {
        guard let first = text.first else { return text }
        return first.uppercased() + text.dropFirst()
    }
}
