/// Checks of function calling data: tool definitions, the calls an assistant makes and the tool
/// messages that answer them (OpenAI's chat format, `tools` / `tool_calls` / `tool_call_id`).
extension ExampleAnalyzer {
    /// Top-level `tools`: `[{"type": "function", "function": {"name": …, "parameters": {…}}}]`.
    mutating func checkToolDefinitions(_ doc: JSONDocument, _ tools: Int, _ report: inout LineReport) {
        guard doc[tools].kind == .array else {
            report.error("invalid-tool-definition", field: "tools", "expected an array of tool definitions, found \(doc[tools].kind.noun)")
            return
        }
        doc.forEachElement(of: tools) { position, tool in
            let path = "tools[\(position)]"
            guard doc[tool].kind == .object else {
                report.error("invalid-tool-definition", field: path, "expected {\"type\": \"function\", \"function\": {…}}, found \(doc[tool].kind.noun)")
                return
            }
            if let type = doc.member("type", of: tool), !doc.string(type, equals: "function") {
                report.error("invalid-tool-definition", field: path + ".type", "only \"function\" tools are supported")
            }
            guard let function = doc.member("function", of: tool), doc[function].kind == .object else {
                report.error("invalid-tool-definition", field: path + ".function", "a tool needs a \"function\" object with a \"name\"")
                return
            }
            guard let name = doc.member("name", of: function), doc[name].kind == .string, doc[name].stop > doc[name].start else {
                report.error("invalid-tool-definition", field: path + ".function.name", "a function needs a non-empty \"name\" string")
                return
            }
            declaredTools.append(doc.string(name))
            if let parameters = doc.member("parameters", of: function), doc[parameters].kind != .object {
                report.error("invalid-tool-definition", field: path + ".function.parameters",
                             "parameters must be a JSON Schema object, found \(doc[parameters].kind.noun)")
            }
        }
    }

    /// An assistant's `tool_calls`: `[{"id": …, "type": "function", "function": {"name": …, "arguments": "<JSON>"}}]`.
    mutating func checkToolCalls(_ doc: JSONDocument, _ calls: Int, position: Int,
                                 hasher: inout ContentHasher, _ report: inout LineReport) {
        guard doc[calls].kind == .array, doc[calls].count > 0 else {
            report.error("invalid-tool-call", field: field(position, "tool_calls"), "expected a non-empty array of tool calls")
            return
        }
        hasher.combine(bytes: UnsafeBufferPointer(rebasing: doc.bytes[doc[calls].start..<doc[calls].stop]))
        doc.forEachElement(of: calls) { number, call in
            let path = field(position, "tool_calls[\(number)]")
            guard doc[call].kind == .object else {
                report.error("invalid-tool-call", field: path, "expected {\"id\": …, \"type\": \"function\", \"function\": {…}}, found \(doc[call].kind.noun)")
                return
            }
            if let id = doc.member("id", of: call), doc[id].kind == .string, doc[id].stop > doc[id].start {
                openCallIDs.append(doc.string(id))
            } else {
                report.error("invalid-tool-call", field: path + ".id", "a tool call needs a non-empty \"id\" string that the tool message repeats as tool_call_id")
            }
            if let type = doc.member("type", of: call), !doc.string(type, equals: "function") {
                report.error("invalid-tool-call", field: path + ".type", "the type of a tool call must be \"function\"")
            }
            guard let function = doc.member("function", of: call), doc[function].kind == .object else {
                report.error("invalid-tool-call", field: path + ".function", "a tool call needs a \"function\" object with \"name\" and \"arguments\"")
                return
            }
            if let name = doc.member("name", of: function), doc[name].kind == .string, doc[name].stop > doc[name].start {
                let called = doc.string(name)
                if !declaredTools.isEmpty, !declaredTools.contains(called) {
                    report.warning("unknown-tool", field: path + ".function.name",
                                   "calls \"\(called)\", which the example's tools do not define; add it to \"tools\"")
                }
            } else {
                report.error("invalid-tool-call", field: path + ".function.name", "a function call needs a non-empty \"name\" string")
            }
            guard let arguments = doc.member("arguments", of: function), doc[arguments].kind == .string else {
                report.error("invalid-tool-call", field: path + ".function.arguments",
                             "arguments must be a string holding JSON, e.g. \"{\\\"sku\\\": \\\"A1\\\"}\"")
                return
            }
            checkArgumentsJSON(doc, arguments, field: path + ".function.arguments", &report)
        }
    }

    /// The arguments string must itself hold a JSON object.
    private mutating func checkArgumentsJSON(_ doc: JSONDocument, _ arguments: Int, field: String, _ report: inout LineReport) {
        scratch.removeAll(keepingCapacity: true)
        unescapeJSONString(doc.raw(arguments), into: &scratch)
        let problem = scratch.withUnsafeBufferPointer { bytes -> String? in
            do throws(JSONSyntaxError) {
                try argumentsTape.parse(bytes)
                return argumentsTape.nodes[0].kind == .object ? nil : "holds \(argumentsTape.nodes[0].kind.noun), not an object"
            } catch {
                return "is not valid JSON (\(error.message) at character \(characterColumn(ofByte: error.offset, in: bytes)))"
            }
        }
        if let problem {
            report.error("invalid-tool-call", field: field, "the arguments string \(problem); encode the arguments object as a JSON string")
        }
    }

    /// A tool message must name, in `tool_call_id`, a call made earlier in the conversation.
    mutating func checkToolAnswer(_ doc: JSONDocument, _ idIndex: Int?, role: Role, position: Int, _ report: inout LineReport) {
        guard role == .tool else {
            if idIndex != nil {
                report.error("misplaced-tool-call-id", field: field(position, "tool_call_id"),
                             "tool_call_id belongs on tool messages only; remove it from this \(role.rawValue) message")
            }
            return
        }
        guard let idIndex, doc[idIndex].kind == .string else {
            report.error("missing-tool-call-id", field: field(position),
                         "a tool message needs \"tool_call_id\" naming the call it answers")
            return
        }
        let id = doc.string(idIndex)
        if let open = openCallIDs.firstIndex(of: id) {
            openCallIDs.remove(at: open)
        } else {
            report.error("unmatched-tool-call-id", field: field(position, "tool_call_id"),
                         "answers tool call \"\(id)\", but no earlier assistant message made a call with that id")
        }
    }
}
