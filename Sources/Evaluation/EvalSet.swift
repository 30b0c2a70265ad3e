import ChatDataset
import FineTuningProviders
import Foundation

/// One message of a test prompt, as chat JSONL writes it.
public struct EvalMessage: Sendable, Codable, Equatable {
    /// `system`, `developer`, `user`, `assistant` or `tool`.
    public var role: String
    public var content: String

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}

/// One test example: the conversation up to the last assistant message, and that message as the answer
/// the model is expected to give.
public struct EvalExample: Sendable, Equatable {
    /// 0-based position among the file's examples.
    public var index: Int
    /// 1-based line in the file.
    public var line: Int
    /// Every message before the last assistant message (system, user, earlier turns).
    public var prompt: [EvalMessage]
    /// The last assistant message's content.
    public var expected: String

    public init(index: Int, line: Int, prompt: [EvalMessage], expected: String) {
        self.index = index
        self.line = line
        self.prompt = prompt
        self.expected = expected
    }
}

/// A test file in chat JSONL (`{"messages":[{"role":…,"content":…}, …]}` per line), each example
/// ending with the expected assistant answer.
///
/// ```swift
/// let set = try EvalSet.load(URL(fileURLWithPath: "test.jsonl"), limit: 100)
/// for example in set.examples { … example.prompt … example.expected … }
/// ```
public struct EvalSet: Sendable {
    /// The file as given.
    public var url: URL
    /// Hex SHA-256 of the whole file's bytes (also when `limit` reads only part of it), so evaluations
    /// on the same file can be compared.
    public var sha256: String
    public var examples: [EvalExample]

    public init(url: URL, sha256: String, examples: [EvalExample]) {
        self.url = url
        self.sha256 = sha256
        self.examples = examples
    }

    /// Reads a test file. `content` may be a string or a list of `{"type":"text","text":…}` parts
    /// (joined); blank lines are skipped.
    /// - Parameters:
    ///   - url: the chat JSONL file.
    ///   - limit: read only the first `limit` examples (at least 1); nil reads them all.
    /// - Throws: `EvaluationError` naming the file and line: unreadable file, a line that is not JSON or
    ///   not an object, `messages` missing or not a list of messages, no assistant message, nothing
    ///   before the last assistant message, an empty expected answer, a file without examples.
    public static func load(_ url: URL, limit: Int? = nil) throws(EvaluationError) -> EvalSet {
        let path = url.isFileURL ? url.relativePath : url.absoluteString
        if let limit, limit < 1 {
            throw .invalidArgument("--limit \(limit): give at least 1 example to evaluate")
        }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw .cannotRead(path: path, reason: Self.reason(error))
        }
        let sha256: String
        do { sha256 = try ExperimentRecordStore.sha256(of: url) } catch {
            throw .cannotRead(path: path, reason: "\(error)")
        }
        var examples: [EvalExample] = []
        var lineNumber = 0
        for rawLine in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if let limit, examples.count >= limit { break }
            var bytes = Substring(decoding: rawLine, as: UTF8.self)
            if lineNumber == 1, bytes.hasPrefix("\u{FEFF}") { bytes = bytes.dropFirst() }
            if bytes.allSatisfy(\.isWhitespace) { continue }
            let example = try parse(String(bytes), index: examples.count, line: lineNumber, path: path)
            examples.append(example)
        }
        guard !examples.isEmpty else { throw .emptyTestSet(path: path) }
        return EvalSet(url: url, sha256: sha256, examples: examples)
    }

    /// One line of the file as an example.
    static func parse(_ text: String, index: Int, line: Int, path: String) throws(EvaluationError) -> EvalExample {
        func fail(_ field: String?, _ message: String) -> EvaluationError {
            .invalidExample(path: path, line: line, field: field, message: message)
        }
        let json: JSONValue
        do { json = try JSONValue(parsing: text) } catch {
            throw fail(nil, "not JSON (\(error.message) at byte \(error.offset + 1)); "
                + "each line must be one JSON object like {\"messages\": [{\"role\": \"user\", …}, {\"role\": \"assistant\", …}]}")
        }
        guard case .object = json else {
            throw fail(nil, "not a JSON object; each line must be {\"messages\": [...]}")
        }
        guard let messagesValue = json["messages"] else {
            throw fail("messages", "missing; each line must be {\"messages\": [...]} ending with the expected assistant answer")
        }
        guard case .array = messagesValue else {
            throw fail("messages", "expected a list of {\"role\", \"content\"} objects")
        }
        let chat: ChatExample
        do { chat = try ChatExample(json: json) } catch {
            throw fail(nil, "\(error)")
        }
        guard let last = chat.messages.lastIndex(where: { $0.role == .assistant }) else {
            throw fail("messages", "no assistant message to compare the answer with; end each test example with the expected assistant answer")
        }
        guard last > 0 else {
            throw fail("messages", "nothing before the assistant message; put the prompt (a user message) before the expected answer")
        }
        let expected = chat.messages[last].content
        guard !expected.allSatisfy(\.isWhitespace) else {
            throw fail("messages[\(last)].content", "the expected assistant answer is empty; write the answer the model should give")
        }
        let prompt = chat.messages[..<last].map { EvalMessage(role: $0.role.rawValue, content: $0.content) }
        return EvalExample(index: index, line: line, prompt: prompt, expected: expected)
    }

    static func reason(_ error: any Error) -> String {
        let nsError = error as NSError
        if nsError.domain == NSCocoaErrorDomain, nsError.code == NSFileReadNoSuchFileError {
            return "no such file; check the path"
        }
        return nsError.localizedDescription
    }
}
