/// What the order checks and the statistics need to know about one message.
struct MessageFacts {
    var role: Role?
    var contentTokens = 0
    var trained = false
    var hasToolCalls = false
}

/// The keys a message may carry in OpenAI's chat fine-tuning format.
private enum MessageKey {
    case role, content, name, weight, toolCalls, toolCallID, functionCall, refusal

    static func of(_ doc: JSONDocument, _ key: Int) -> MessageKey? {
        if doc.string(key, equals: "role") { return .role }
        if doc.string(key, equals: "content") { return .content }
        if doc.string(key, equals: "weight") { return .weight }
        if doc.string(key, equals: "name") { return .name }
        if doc.string(key, equals: "tool_calls") { return .toolCalls }
        if doc.string(key, equals: "tool_call_id") { return .toolCallID }
        if doc.string(key, equals: "function_call") { return .functionCall }
        if doc.string(key, equals: "refusal") { return .refusal }
        return nil
    }

    static let allowedList = "role, content, name, weight, tool_calls, tool_call_id, function_call"
}

extension ExampleAnalyzer {
    /// `messages[3]` or `messages[3].content`, built only when a finding needs it.
    func field(_ position: Int, _ suffix: String = "") -> String {
        suffix.isEmpty ? "messages[\(position)]" : "messages[\(position)].\(suffix)"
    }

    mutating func checkMessage(_ doc: JSONDocument, _ index: Int, position: Int,
                               hasher: inout ContentHasher, _ report: inout LineReport) -> MessageFacts {
        var facts = MessageFacts()
        guard doc[index].kind == .object else {
            report.error("message-not-object", field: field(position),
                         "expected a message object {\"role\": …, \"content\": …}, found \(doc[index].kind.noun)")
            return facts
        }
        var roleIndex, contentIndex, weightIndex, toolCallsIndex, toolCallIDIndex, nameIndex, functionCallIndex: Int?
        doc.forEachMember(of: index) { key, value in
            switch MessageKey.of(doc, key) {
            case .role: roleIndex = value
            case .content: contentIndex = value
            case .weight: weightIndex = value
            case .name: nameIndex = value
            case .toolCalls: toolCallsIndex = value
            case .toolCallID: toolCallIDIndex = value
            case .functionCall: functionCallIndex = value
            case .refusal: break
            case nil:
                let name = doc.string(key)
                report.error("unknown-message-key", field: field(position, name),
                             "unknown key \"\(name)\" in a message; allowed keys are \(MessageKey.allowedList) — remove it")
            }
        }

        // Role.
        guard let roleIndex else {
            report.error("missing-role", field: field(position), "the message has no \"role\"; add one of \(roleList)")
            return facts
        }
        guard doc[roleIndex].kind == .string else {
            report.error("invalid-role", field: field(position, "role"), "expected a string, found \(doc[roleIndex].kind.noun)")
            return facts
        }
        guard let role = parseRole(doc, roleIndex) else {
            report.error("unknown-role", field: field(position, "role"),
                         "unknown role \"\(doc.string(roleIndex))\"; use one of \(roleList)")
            return facts
        }
        if !provider.accepts(role) {
            report.error("unsupported-role", field: field(position, "role"),
                         "\(provider.displayName) does not accept \(role.rawValue) messages; use \(provider.acceptedRoles.map(\.rawValue).joined(separator: ", ")) or choose another --provider")
        }
        facts.role = role
        facts.hasToolCalls = toolCallsIndex != nil || functionCallIndex != nil

        // Weight.
        if let weightIndex {
            if role != .assistant {
                report.error("weight-not-on-assistant", field: field(position, "weight"),
                             "weight is only allowed on assistant messages; remove it from this \(role.rawValue) message")
            } else if doc[weightIndex].kind == .number, let value = doc.number(weightIndex), value == 0 || value == 1 {
                facts.trained = value == 1
            } else {
                let shown = doc[weightIndex].kind == .number ? String(decoding: doc.raw(weightIndex), as: UTF8.self) : doc[weightIndex].kind.noun
                report.error("invalid-weight", field: field(position, "weight"),
                             "weight must be 0 (context only) or 1 (train on it), found \(shown)")
            }
        } else {
            facts.trained = role == .assistant
        }

        checkContent(doc, contentIndex, role: role, position: position, facts: &facts, hasher: &hasher, &report)

        if let nameIndex, doc[nameIndex].kind != .string {
            report.error("invalid-name", field: field(position, "name"), "expected a string, found \(doc[nameIndex].kind.noun)")
        }
        if functionCallIndex != nil, role != .assistant {
            report.error("misplaced-tool-calls", field: field(position, "function_call"),
                         "function_call is only allowed on assistant messages")
        }
        if let toolCallsIndex {
            if role == .assistant {
                checkToolCalls(doc, toolCallsIndex, position: position, hasher: &hasher, &report)
            } else {
                report.error("misplaced-tool-calls", field: field(position, "tool_calls"),
                             "tool_calls is only allowed on assistant messages; move it to the assistant message that makes the call")
            }
        }
        checkToolAnswer(doc, toolCallIDIndex, role: role, position: position, &report)
        return facts
    }

    private var roleList: String { "system, developer, user, assistant, tool" }

    private func parseRole(_ doc: JSONDocument, _ index: Int) -> Role? {
        if doc.string(index, equals: "user") { return .user }
        if doc.string(index, equals: "assistant") { return .assistant }
        if doc.string(index, equals: "system") { return .system }
        if doc.string(index, equals: "tool") { return .tool }
        if doc.string(index, equals: "developer") { return .developer }
        return nil
    }

    /// `content`: a string, or a list of `{"type": "text", "text": …}` parts; may be absent or null
    /// only on an assistant message that calls tools.
    private func checkContent(_ doc: JSONDocument, _ contentIndex: Int?, role: Role, position: Int,
                              facts: inout MessageFacts, hasher: inout ContentHasher, _ report: inout LineReport) {
        guard let contentIndex, doc[contentIndex].kind != .null else {
            if !(role == .assistant && facts.hasToolCalls) {
                report.error("missing-content", field: field(position),
                             "the \(role.rawValue) message has no \"content\"; add the message text")
            }
            return
        }
        var blank = true
        switch doc[contentIndex].kind {
        case .string:
            let span = doc.span(contentIndex)
            hasher.combine(bytes: span.raw)
            facts.contentTokens = tokenCounter.tokenCount(of: span)
            blank = span.rawCount == 0 || doc.isBlankString(contentIndex)
        case .array:
            doc.forEachElement(of: contentIndex) { part, partIndex in
                let partField = field(position, "content[\(part)]")
                guard doc[partIndex].kind == .object, let type = doc.member("type", of: partIndex),
                      doc[type].kind == .string else {
                    report.error("invalid-content-part", field: partField,
                                 "expected a part like {\"type\": \"text\", \"text\": \"…\"}")
                    return
                }
                if doc.string(type, equals: "text") {
                    guard let text = doc.member("text", of: partIndex), doc[text].kind == .string else {
                        report.error("invalid-content-part", field: partField, "a text part needs a \"text\" string")
                        return
                    }
                    let span = doc.span(text)
                    hasher.combine(bytes: span.raw)
                    facts.contentTokens += tokenCounter.tokenCount(of: span)
                    if span.rawCount > 0, !doc.isBlankString(text) { blank = false }
                } else if doc.string(type, equals: "image_url") {
                    blank = false
                    if !(provider.acceptsImageParts && role == .user) {
                        report.error("invalid-content-part", field: partField,
                                     "image parts are accepted only in user messages and only by OpenAI; remove the image or use --provider openai")
                    }
                } else {
                    report.error("invalid-content-part", field: partField,
                                 "unknown part type \"\(doc.string(type))\"; use \"text\" (or \"image_url\" for OpenAI)")
                }
            }
        default:
            report.error("invalid-content", field: field(position, "content"),
                         "content must be a string or a list of text parts, found \(doc[contentIndex].kind.noun)")
            return
        }
        if blank, !(role == .assistant && facts.hasToolCalls) {
            let severity: Severity = facts.trained ? .error : .warning
            let what = facts.trained ? "an empty reply teaches the model to say nothing; write the reply or set weight 0"
                                     : "remove the message or give it text"
            report.add(severity, "empty-content", field: field(position, "content"), "the \(role.rawValue) message's content is empty; \(what)")
        }
    }
}
