/// What one line of a chat JSONL file turned out to be.
public enum LineOutcome: Sendable {
    /// An empty or whitespace-only line.
    case blank
    /// A line that holds (or tried to hold) an example.
    case example(ExampleSummary)
}

/// The figures of one example that statistics and file-level checks need.
public struct ExampleSummary: Sendable {
    public var line: Int
    /// Messages in the example (0 when the line could not be read as an example).
    public var messageCount = 0
    /// Assistant messages that are trained on (weight absent or 1).
    public var trainedMessageCount = 0
    /// Tokens of the whole example, chat formatting included.
    public var tokenCount = 0
    /// Tokens of the trained assistant messages: what the loss is computed on.
    public var trainedTokenCount = 0
    /// Hash of the conversation's roles and contents, for duplicate detection.
    public var contentHash: UInt64 = 0
    /// Why the example cannot be trained on (its first error), or nil when it can.
    public var skipReason: String?
    /// The check that produced `skipReason`.
    public var skipCode: String?

    public var isUsable: Bool { skipReason == nil }
}

/// Checks one line of chat JSONL against everything OpenAI's and Together's data checks look for,
/// and measures it. Reuses its buffers from line to line; one analyzer per thread.
///
/// ```swift
/// var analyzer = ExampleAnalyzer(provider: .openai)
/// var findings = FindingCollector()
/// let outcome = analyzer.analyze(line: bytes, number: 12, into: &findings)
/// ```
public struct ExampleAnalyzer {
    public let provider: Provider
    public let tokenCounter: any TokenCounter
    /// Examples above this many tokens are errors.
    public let tokenLimit: Int
    /// Examples above this many tokens (but within the limit) get a warning.
    public static let longExampleTokens = 4_096

    var tape = JSONTape()
    var argumentsTape = JSONTape()
    var scratch: [UInt8] = []
    /// Per-message facts for the order checks, reused between lines.
    var turns: [Turn] = []
    /// Tool call ids of the current example that no tool message answered yet.
    var openCallIDs: [String] = []
    /// Function names declared in the example's top-level `tools`.
    var declaredTools: [String] = []

    struct Turn {
        var role: Role
        var hasToolCalls: Bool
    }

    public init(provider: Provider, tokenCounter: any TokenCounter = EstimatedTokenCounter(), tokenLimit: Int? = nil) {
        self.provider = provider
        self.tokenCounter = tokenCounter
        self.tokenLimit = tokenLimit ?? provider.exampleTokenLimit
    }

    /// Checks and measures one line (without its line ending).
    /// - Parameters:
    ///   - line: the line's bytes.
    ///   - number: its 1-based line number, used in findings.
    ///   - collector: receives every finding.
    public mutating func analyze(line: UnsafeBufferPointer<UInt8>, number: Int,
                                 into collector: inout FindingCollector) -> LineOutcome {
        var report = LineReport(line: number)
        defer { for finding in report.findings { collector.add(finding) } }
        if isBlankLine(line) { return .blank }

        do {
            try tape.parse(line)
        } catch {
            let column = characterColumn(ofByte: error.offset, in: line)
            if error.isInvalidUTF8 {
                report.error("invalid-utf8", column: column, "\(error.message); re-save the file as UTF-8")
            } else {
                report.error("invalid-json", column: column, "invalid JSON: \(error.message); each line must be one complete JSON object")
            }
            return .example(report.summary)
        }
        tape.nodes.withUnsafeBufferPointer { nodes in
            let document = JSONDocument(nodes: nodes, bytes: line)
            checkExample(document, &report)
        }
        return .example(report.summary)
    }

    /// Top level: `{"messages": [...], "tools": [...], "parallel_tool_calls": bool}`.
    private mutating func checkExample(_ doc: JSONDocument, _ report: inout LineReport) {
        guard doc[0].kind == .object else {
            report.error("not-an-object", "expected a JSON object like {\"messages\": [...]}, found \(doc[0].kind.noun)")
            return
        }
        var messagesIndex: Int?
        var toolsIndex: Int?
        doc.forEachMember(of: 0) { key, value in
            if doc.string(key, equals: "messages") {
                messagesIndex = value
            } else if doc.string(key, equals: "tools") {
                toolsIndex = value
            } else if doc.string(key, equals: "parallel_tool_calls") {
                if doc[value].kind != .true && doc[value].kind != .false {
                    report.error("invalid-parallel-tool-calls", field: "parallel_tool_calls",
                                 "expected true or false, found \(doc[value].kind.noun)")
                }
            } else if doc.string(key, equals: "functions") || doc.string(key, equals: "metadata") {
                // Legacy function definitions and free-form metadata: accepted as they are.
            } else {
                let name = doc.string(key)
                report.warning("unknown-key", field: name,
                               "unknown top-level key \"\(name)\"; providers ignore or reject it — keep only \"messages\" (and \"tools\")")
            }
        }
        declaredTools.removeAll(keepingCapacity: true)
        if let toolsIndex { checkToolDefinitions(doc, toolsIndex, &report) }

        guard let messages = messagesIndex else {
            report.error("missing-messages", "no \"messages\" key; each line needs {\"messages\": [{\"role\": …, \"content\": …}, …]}")
            return
        }
        guard doc[messages].kind == .array else {
            report.error("messages-not-array", field: "messages", "expected an array of messages, found \(doc[messages].kind.noun)")
            return
        }
        guard doc[messages].count > 0 else {
            report.error("empty-messages", field: "messages", "the messages array is empty; add the conversation's messages")
            return
        }
        checkMessages(doc, messages, &report)
    }

    private mutating func checkMessages(_ doc: JSONDocument, _ messages: Int, _ report: inout LineReport) {
        turns.removeAll(keepingCapacity: true)
        openCallIDs.removeAll(keepingCapacity: true)
        var hasher = ContentHasher()
        var tokens = tokenCounter.tokensPerExample
        var trainedTokens = 0
        var trainedMessages = 0
        var assistantMessages = 0

        doc.forEachElement(of: messages) { position, index in
            let facts = checkMessage(doc, index, position: position, hasher: &hasher, &report)
            guard let role = facts.role else { return }
            hasher.combine(UInt64(role.ordinal))
            turns.append(Turn(role: role, hasToolCalls: facts.hasToolCalls))
            let messageTokens = tokenCounter.tokensPerMessage + facts.contentTokens
            tokens += messageTokens
            if role == .assistant {
                assistantMessages += 1
                if facts.trained {
                    trainedMessages += 1
                    trainedTokens += messageTokens
                }
            }
        }
        checkTurnOrder(&report)

        if trainedMessages == 0, !report.hasError {
            let hint = assistantMessages > 0
                ? "every assistant message has weight 0; set weight 1 on the reply to learn"
                : "add the assistant reply the model should learn"
            report.error("no-trained-assistant", field: "messages", "no assistant message is trained on: \(hint)")
        }
        for id in openCallIDs {
            report.warning("unanswered-tool-call", field: "messages",
                           "tool call \"\(id)\" has no tool message answering it; add a {\"role\": \"tool\", \"tool_call_id\": \"\(id)\"} message")
        }
        if tokens > tokenLimit {
            report.error("too-many-tokens", field: "messages",
                         "about \(tokens) tokens, over \(provider.displayName)'s limit of \(tokenLimit) per example (\(tokenCounter.description)); shorten or split the conversation")
        } else if tokens > Self.longExampleTokens, tokenLimit > Self.longExampleTokens {
            report.warning("long-example", field: "messages",
                           "about \(tokens) tokens (\(tokenCounter.description)), over \(Self.longExampleTokens); long examples cost more and may be truncated by some models")
        }
        report.summary.messageCount = Int(doc[messages].count)
        report.summary.trainedMessageCount = trainedMessages
        report.summary.tokenCount = tokens
        report.summary.trainedTokenCount = trainedTokens
        report.summary.contentHash = hasher.finalize()
    }

    /// Role order: system/developer first; Together needs strict user/assistant alternation; the
    /// last message should be the assistant's, or it is never trained on.
    private func checkTurnOrder(_ report: inout LineReport) {
        guard let last = turns.last else { return }
        if provider.requiresAlternatingTurns {
            var expected: Role = .user
            for (position, turn) in turns.enumerated() where !(position == 0 && turn.role == .system) {
                if turn.role != expected {
                    report.error("invalid-turn-order", field: "messages[\(position)].role",
                                 "\(provider.displayName) needs user and assistant messages to alternate, starting with user (after an optional system message); found \(turn.role.rawValue) where \(expected.rawValue) was expected")
                    return
                }
                expected = expected == .user ? .assistant : .user
            }
        } else {
            var conversationStarted = false
            for (position, turn) in turns.enumerated() {
                if turn.role == .system || turn.role == .developer {
                    if conversationStarted {
                        report.warning("misplaced-system", field: "messages[\(position)].role",
                                       "a \(turn.role.rawValue) message after the conversation started; put instructions at the start")
                    }
                } else {
                    if !conversationStarted, turn.role == .assistant {
                        report.warning("assistant-first", field: "messages[\(position)].role",
                                       "the conversation starts with an assistant message; start with the user's message")
                    }
                    conversationStarted = true
                }
            }
        }
        if !turns.contains(where: { $0.role == .user }) {
            report.warning("missing-user-message", field: "messages",
                           "the conversation has no user message; add the user's turn that the assistant answers")
        }
        if last.role != .assistant {
            report.warning("trailing-message", field: "messages[\(turns.count - 1)]",
                           "the last message is a \(last.role.rawValue) message and is never trained on; end each example with the assistant's reply")
        }
    }
}

/// Findings of one line, with the example's summary; the first error becomes the skip reason.
struct LineReport {
    var summary: ExampleSummary
    /// Usually empty: a clean line allocates nothing.
    var findings: [Finding] = []
    var hasError = false

    init(line: Int) {
        summary = ExampleSummary(line: line)
    }

    mutating func error(_ code: String, column: Int? = nil, field: String = "", _ message: String) {
        if !hasError {
            hasError = true
            summary.skipCode = code
            summary.skipReason = field.isEmpty ? message : "\(field): \(message)"
        }
        findings.append(Finding(.error, code, line: summary.line, column: column, field: field, message))
    }

    mutating func warning(_ code: String, field: String = "", _ message: String) {
        findings.append(Finding(.warning, code, line: summary.line, field: field, message))
    }

    mutating func add(_ severity: Severity, _ code: String, field: String, _ message: String) {
        if severity == .error { error(code, field: field, message) } else { warning(code, field: field, message) }
    }
}
