import Foundation
import Testing
@testable import Evaluation

@Suite("Loading test sets")
struct EvalSetTests {
    @Test("reads prompts, the last assistant answer, text parts and line numbers; skips blank lines")
    func loadsExamples() throws {
        let text = """
        {"messages":[{"role":"system","content":"Price it."},{"role":"user","content":"A lamp"},{"role":"assistant","content":"Price is $12.00"}]}

        {"messages":[{"role":"user","content":[{"type":"text","text":"Two "},{"type":"text","text":"chairs"}]},{"role":"assistant","content":"first"},{"role":"user","content":"again"},{"role":"assistant","content":[{"type":"text","text":"Price is $80"}]}]}
        """
        let url = try writeFile("test.jsonl", text + "\n")
        let set = try EvalSet.load(url)
        #expect(set.examples.count == 2)
        #expect(set.examples[0] == EvalExample(index: 0, line: 1, prompt: [EvalMessage(role: "system", content: "Price it."),
                                                                         EvalMessage(role: "user", content: "A lamp")],
                                               expected: "Price is $12.00"))
        #expect(set.examples[1].index == 1)
        #expect(set.examples[1].line == 3)
        #expect(set.examples[1].prompt.map(\.content) == ["Two chairs", "first", "again"])
        #expect(set.examples[1].expected == "Price is $80")
    }

    @Test("limit reads only the first examples but fingerprints the whole file")
    func limit() throws {
        let line = #"{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}]}"#
        let url = try writeFile("test.jsonl", [line, line, line, "not json"].joined(separator: "\n"))
        let set = try EvalSet.load(url, limit: 2)
        #expect(set.examples.map(\.line) == [1, 2])
        // `sha256sum` of the four lines (joined by "\n", no final newline).
        #expect(set.sha256 == "a477769e57ea67a223fd0140c084bdf242f0238365fe9dd7fa769ea27b5d1dda")
        #expect(throws: EvaluationError.self) { try EvalSet.load(url, limit: 0) }
    }

    @Test("errors name the file, the line and the field", arguments: [
        (#"{"messages":[{"role":"user","content":"q"}]}"#,
         "test.jsonl:2: messages: no assistant message to compare the answer with; end each test example with the expected assistant answer"),
        (#"{"messages":[{"role":"user","content":"q"},"#, "test.jsonl:2: not JSON"),
        (#"[1, 2]"#, "test.jsonl:2: not a JSON object"),
        (#"{"prompt":"q"}"#, "test.jsonl:2: messages: missing"),
        (#"{"messages":"q"}"#, "test.jsonl:2: messages: expected a list"),
        (#"{"messages":[{"role":"assistant","content":"a"}]}"#, "test.jsonl:2: messages: nothing before the assistant message"),
        (#"{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"  "}]}"#, "test.jsonl:2: messages[1].content: the expected assistant answer is empty"),
        (#"{"messages":[{"role":"robot","content":"q"},{"role":"assistant","content":"a"}]}"#, "test.jsonl:2: messages[0].role: expected one of"),
    ])
    func lineErrors(line: String, message: String) throws {
        let good = #"{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}]}"#
        let url = try writeFile("test.jsonl", good + "\n" + line + "\n")
        // A path relative to the folder, so the message reads as the user typed it.
        let relative = URL(fileURLWithPath: "test.jsonl", relativeTo: url.deletingLastPathComponent())
        let error = #expect(throws: EvaluationError.self) { try EvalSet.load(relative) }
        #expect(error?.description.hasPrefix(message) == true, "\(error?.description ?? "no error")")
    }

    @Test("an empty file and a missing file are errors that say what to do")
    func fileErrors() throws {
        let empty = try writeFile("empty.jsonl", "\n  \n")
        let emptyError = #expect(throws: EvaluationError.self) { try EvalSet.load(empty) }
        #expect(emptyError == .emptyTestSet(path: empty.path))
        #expect(emptyError?.description.contains("no test examples") == true)

        let missing = empty.deletingLastPathComponent().appendingPathComponent("missing.jsonl")
        let missingError = #expect(throws: EvaluationError.self) { try EvalSet.load(missing) }
        #expect(missingError?.description == "cannot read \(missing.path): no such file; check the path")
    }
}
