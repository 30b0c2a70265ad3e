import Foundation
import Testing
@testable import ChatDataset

enum ValidateFixtures {
    static func path(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/validate/\(name)").path
    }

    static func scan(_ name: String, provider: Provider = .openai, tokenLimit: Int? = nil) throws -> ScanResult {
        try DatasetScanner(options: ScanOptions(provider: provider, tokenLimit: tokenLimit)).scan(path: path(name))
    }
}

/// One check: the fixture `<code>.jsonl` holds ten good examples and one that triggers the check.
struct CheckCase: CustomTestStringConvertible, Sendable {
    var code: String
    var severity: Severity
    var line: Int?
    var field: String
    var message: String
    var provider: Provider = .openai
    var column: Int? = nil

    var testDescription: String { "\(code) (\(provider.rawValue))" }
}

@Suite("validate: every check, with its line, field and message")
struct ValidationCheckTests {
    static let cases: [CheckCase] = [
        CheckCase(code: "invalid-json", severity: .error, line: 4, field: "",
                  message: "invalid JSON: unexpected end of line inside a JSON value (is the line truncated?)", column: 90),
        CheckCase(code: "invalid-utf8", severity: .error, line: 4, field: "", message: "invalid UTF-8 (byte 0xE9); re-save the file as UTF-8", column: 47),
        CheckCase(code: "not-an-object", severity: .error, line: 4, field: "", message: "expected a JSON object like {\"messages\": [...]}, found an array"),
        CheckCase(code: "missing-messages", severity: .error, line: 4, field: "", message: "no \"messages\" key"),
        CheckCase(code: "messages-not-array", severity: .error, line: 4, field: "messages", message: "expected an array of messages, found a string"),
        CheckCase(code: "empty-messages", severity: .error, line: 4, field: "messages", message: "the messages array is empty"),
        CheckCase(code: "message-not-object", severity: .error, line: 4, field: "messages[0]", message: "expected a message object {\"role\": …, \"content\": …}, found a string"),
        CheckCase(code: "missing-role", severity: .error, line: 4, field: "messages[0]", message: "the message has no \"role\"; add one of system, developer, user, assistant, tool"),
        CheckCase(code: "invalid-role", severity: .error, line: 4, field: "messages[0].role", message: "expected a string, found a number"),
        CheckCase(code: "unknown-role", severity: .error, line: 4, field: "messages[0].role", message: "unknown role \"bot\"; use one of system, developer, user, assistant, tool"),
        CheckCase(code: "unsupported-role", severity: .error, line: 4, field: "messages[2].role",
                  message: "Together does not accept tool messages; use system, user, assistant or choose another --provider", provider: .together),
        CheckCase(code: "invalid-turn-order", severity: .error, line: 4, field: "messages[2].role",
                  message: "Together needs user and assistant messages to alternate, starting with user (after an optional system message); found user where assistant was expected", provider: .together),
        CheckCase(code: "misplaced-system", severity: .warning, line: 4, field: "messages[1].role", message: "a system message after the conversation started; put instructions at the start"),
        CheckCase(code: "assistant-first", severity: .warning, line: 4, field: "messages[0].role", message: "the conversation starts with an assistant message; start with the user's message"),
        CheckCase(code: "trailing-message", severity: .warning, line: 4, field: "messages[2]", message: "the last message is a user message and is never trained on"),
        CheckCase(code: "missing-content", severity: .error, line: 4, field: "messages[0]", message: "the user message has no \"content\"; add the message text"),
        CheckCase(code: "invalid-content", severity: .error, line: 4, field: "messages[0].content", message: "content must be a string or a list of text parts, found a number"),
        CheckCase(code: "invalid-content-part", severity: .error, line: 4, field: "messages[0].content[0]", message: "unknown part type \"audio\"; use \"text\" (or \"image_url\" for OpenAI)"),
        CheckCase(code: "unknown-message-key", severity: .error, line: 4, field: "messages[1].confidence", message: "unknown key \"confidence\" in a message; allowed keys are role, content, name, weight, tool_calls, tool_call_id, function_call"),
        CheckCase(code: "unknown-key", severity: .warning, line: 4, field: "source", message: "unknown top-level key \"source\""),
        CheckCase(code: "invalid-weight", severity: .error, line: 4, field: "messages[1].weight", message: "weight must be 0 (context only) or 1 (train on it), found 0.5"),
        CheckCase(code: "weight-not-on-assistant", severity: .error, line: 4, field: "messages[0].weight", message: "weight is only allowed on assistant messages; remove it from this user message"),
        CheckCase(code: "no-trained-assistant", severity: .error, line: 4, field: "messages", message: "no assistant message is trained on: every assistant message has weight 0"),
        CheckCase(code: "empty-content", severity: .error, line: 4, field: "messages[1].content", message: "the assistant message's content is empty"),
        CheckCase(code: "invalid-tool-call", severity: .error, line: 4, field: "messages[1].tool_calls[0].function.arguments",
                  message: "the arguments string is not valid JSON (unexpected 's'; expected a quoted object key at character 2)"),
        CheckCase(code: "misplaced-tool-calls", severity: .error, line: 4, field: "messages[0].tool_calls", message: "tool_calls is only allowed on assistant messages"),
        CheckCase(code: "missing-tool-call-id", severity: .error, line: 4, field: "messages[2]", message: "a tool message needs \"tool_call_id\" naming the call it answers"),
        CheckCase(code: "unmatched-tool-call-id", severity: .error, line: 4, field: "messages[2].tool_call_id", message: "answers tool call \"call_9\", but no earlier assistant message made a call with that id"),
        CheckCase(code: "unanswered-tool-call", severity: .warning, line: 4, field: "messages", message: "tool call \"call_1\" has no tool message answering it"),
        CheckCase(code: "unknown-tool", severity: .warning, line: 4, field: "messages[1].tool_calls[0].function.name", message: "calls \"get_weather\", which the example's tools do not define"),
        CheckCase(code: "invalid-tool-definition", severity: .error, line: 4, field: "tools[0].function.name", message: "a function needs a non-empty \"name\" string"),
        CheckCase(code: "misplaced-tool-call-id", severity: .error, line: 4, field: "messages[0].tool_call_id", message: "tool_call_id belongs on tool messages only"),
        CheckCase(code: "invalid-name", severity: .error, line: 4, field: "messages[0].name", message: "expected a string, found a number"),
        CheckCase(code: "long-example", severity: .warning, line: 4, field: "messages", message: "(estimated at ~4 bytes per token (no tokenizer loaded)), over 4096"),
        CheckCase(code: "too-many-tokens", severity: .error, line: 4, field: "messages", message: "over Together's limit of 8192 per example", provider: .together),
        CheckCase(code: "duplicate-example", severity: .warning, line: 6, field: "", message: "repeats the example on line 2"),
        CheckCase(code: "too-few-examples", severity: .error, line: nil, field: "", message: "only 3 examples; fine-tuning needs at least 10"),
        CheckCase(code: "too-few-examples", severity: .warning, line: nil, field: "", message: "only 3 examples", provider: .local),
        CheckCase(code: "blank-line", severity: .warning, line: 3, field: "", message: "blank line"),
        CheckCase(code: "invalid-parallel-tool-calls", severity: .error, line: 4, field: "parallel_tool_calls", message: "expected true or false, found a string"),
        CheckCase(code: "missing-user-message", severity: .warning, line: 4, field: "messages", message: "the conversation has no user message"),
        CheckCase(code: "file-extension", severity: .warning, line: nil, field: "", message: "the file name does not end in .jsonl"),
    ]

    @Test("the fixture triggers the check at the right line and field, with the message", arguments: cases)
    func check(_ expected: CheckCase) throws {
        let name = expected.code == "file-extension" ? "clean.json.txt" : "\(expected.code).jsonl"
        let result = try ValidateFixtures.scan(name, provider: expected.provider)
        let found = result.findings.kept.filter { $0.code == expected.code }
        let finding = try #require(found.first, "no \(expected.code) finding; got \(result.findings.kept.map(\.code))")
        #expect(found.count == 1)
        #expect(finding.severity == expected.severity)
        #expect(finding.line == expected.line)
        #expect(finding.field == expected.field)
        #expect(finding.message.contains(expected.message), "message was: \(finding.message)")
        if let column = expected.column { #expect(finding.column == column) }
        #expect(result.isClean == (result.findings.errorCount == 0))
        if expected.severity == .error { #expect(!result.isClean) }
    }

    @Test("a clean file with content parts, weights, tool calls and a developer message has no findings")
    func clean() throws {
        let result = try ValidateFixtures.scan("clean.jsonl")
        #expect(result.findings.kept.isEmpty, "\(result.findings.kept.map { $0.formatted(file: "clean.jsonl") })")
        #expect(result.exampleCount == 10)
        #expect(result.usableCount == 10)
    }

    @Test("a byte-order mark is reported and CRLF line endings read like LF")
    func bomAndCRLF() throws {
        let result = try ValidateFixtures.scan("bom-crlf.jsonl")
        #expect(result.findings.kept.map(\.code) == ["byte-order-mark"])
        #expect(result.usableCount == 10)
        #expect(result.isClean)
    }

    @Test("trailing blank lines at the end of the file are not findings")
    func trailingBlankLines() throws {
        let result = try ValidateFixtures.scan("blank-line.jsonl")
        #expect(result.findings.kept.filter { $0.code == "blank-line" }.map(\.line) == [3])
        #expect(result.blankLineCount == 2)
    }

    @Test("an empty file is an error, not a crash")
    func emptyFile() throws {
        let result = try ValidateFixtures.scan("empty.jsonl")
        #expect(result.findings.kept.map(\.code) == ["no-examples"])
        #expect(!result.isClean)
    }

    @Test("a line with two problems reports both, and the first one becomes the skip reason")
    func twoProblems() throws {
        var analyzer = ExampleAnalyzer(provider: .openai)
        var collector = FindingCollector()
        let line = Array(#"{"messages":[{"role":"bot","content":"x"},{"role":"assistant","content":"y","weight":2}]}"#.utf8)
        let outcome = line.withUnsafeBufferPointer { analyzer.analyze(line: $0, number: 7, into: &collector) }
        guard case .example(let summary) = outcome else {
            Issue.record("expected an example")
            return
        }
        #expect(collector.kept.map(\.code) == ["unknown-role", "invalid-weight", "assistant-first", "missing-user-message"])
        #expect(summary.skipCode == "unknown-role")
        #expect(summary.skipReason == "messages[0].role: unknown role \"bot\"; use one of system, developer, user, assistant, tool")
    }
}
