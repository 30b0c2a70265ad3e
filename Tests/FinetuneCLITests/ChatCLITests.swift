import Foundation
import Testing

@Suite("finetune chat / tokenize / bench on SmolLM2", .needsRealModel)
struct ChatCLITests {
    let model = CLI.realModel ?? ""

    @Test("chat answers on standard output and reports speed on standard error")
    func chatAnswers() throws {
        let result = try CLI.run(["chat", model, "What is the capital of France?", "--temperature", "0", "--threads", "2"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Paris"), "answer: \(result.stdout)")
        #expect(!result.stdout.contains("tokens/s"))
        #expect(result.stderr.contains("tokens/s"))
    }

    @Test("the same seed gives the same sampled answer")
    func seededSampling() throws {
        let arguments = ["chat", model, "Write one sentence about the sea.", "--temperature", "0.9", "--seed", "7", "--max-tokens", "24", "--quiet"]
        let first = try CLI.run(arguments), second = try CLI.run(arguments)
        #expect(first.status == 0)
        #expect(!first.stdout.isEmpty)
        #expect(first.stdout == second.stdout)
    }

    @Test("a stop sequence ends the answer before it")
    func stopSequence() throws {
        let result = try CLI.run(["chat", model, "What is the capital of France?", "--temperature", "0", "--stop", "Paris", "--quiet"])
        #expect(result.status == 0)
        #expect(!result.stdout.contains("Paris"))
        #expect(result.stdout.contains("capital"))
    }

    @Test("a conversation on standard input keeps the history; /reset and /exit work")
    func interactive() throws {
        let input = "My name is Ada.\nWhat is my name?\n/reset\n/exit\nnever read\n"
        let result = try CLI.run(["chat", model, "--temperature", "0", "--max-tokens", "40", "--quiet"], input: Data(input.utf8))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Ada"))
    }

    @Test("invalid UTF-8 on standard input is an error naming the line")
    func invalidUTF8Input() throws {
        let result = try CLI.run(["chat", model, "--quiet"], input: Data([0x68, 0x69, 0x0A, 0xFF, 0xFE, 0x0A]))
        #expect(result.status == 1)
        #expect(result.stderr.contains("standard input, line 2: the text is not valid UTF-8"))
    }

    @Test("a prompt longer than the context is refused with what to do")
    func promptTooLong() throws {
        let message = String(repeating: "word ", count: 9_000)
        let result = try CLI.run(["chat", model, message])
        #expect(result.status == 1)
        #expect(result.stderr.contains("context holds 8192"))
    }

    @Test("an empty message is refused")
    func emptyMessage() throws {
        let result = try CLI.run(["chat", model, "   "])
        #expect(result.status != 0)
        #expect(result.stderr.contains("The message is empty"))
    }

    @Test("tokenize --chat shows the template's tokens; --json gives ids and pieces")
    func tokenizeChat() throws {
        let result = try CLI.run(["tokenize", model, "--chat", "Hi", "--json"])
        #expect(result.status == 0)
        struct Output: Decodable { let count: Int; let ids: [Int]; let pieces: [String] }
        let output = try JSONDecoder().decode(Output.self, from: Data(result.stdout.utf8))
        // <|im_start|>system … <|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n
        #expect(output.ids.first == 1)
        #expect(Array(output.ids.suffix(12)) == [2, 198, 1, 4093, 198, 26843, 2, 198, 1, 520, 9531, 198])
        #expect(output.pieces.last == "Ċ")
        #expect(output.count == output.ids.count)
    }

    @Test("tokenize --file prints one JSON array per line and names a bad line")
    func tokenizeFile() throws {
        let directory = try CLI.scratchDirectory()
        let good = directory + "/lines.jsonl", bad = directory + "/bad.jsonl"
        try "\"Hello world\"\n\"<|im_end|>\"\n".write(toFile: good, atomically: true, encoding: .utf8)
        try "\"ok\"\n{\"text\": 1}\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let result = try CLI.run(["tokenize", model, "--file", good])
        #expect(result.status == 0)
        #expect(result.stdout == "[19556,905]\n[2]\n")
        let failure = try CLI.run(["tokenize", model, "--file", bad])
        #expect(failure.status == 1)
        #expect(failure.stderr.contains("bad.jsonl:2: expected a JSON string, found an object"))
    }

    @Test("bench generate --json reports both speeds")
    func benchJSON() throws {
        let result = try CLI.run(["bench", "generate", model, "--prompt-tokens", "16", "--decode-tokens", "4", "--repetitions", "1", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect((object["prefill_tokens_per_second"] as? Double ?? 0) > 0)
        #expect((object["decode_tokens_per_second"] as? Double ?? 0) > 0)
    }
}

@Suite("finetune chat without a model")
struct ChatMissingModelTests {
    @Test("an unknown model name says how to get one")
    func unknownModel() throws {
        let home = try CLI.scratchDirectory()
        let process = try CLI.run(["chat", "no-such-model", "hi"], environment: ["FINETUNE_HOME": home])
        #expect(process.status == 1)
        #expect(process.stderr.contains("no-such-model"))
    }

    @Test("a file that is not GGUF is refused by name")
    func notGGUF() throws {
        let directory = try CLI.scratchDirectory()
        let path = directory + "/model.gguf"
        try "not a model".write(toFile: path, atomically: true, encoding: .utf8)
        let result = try CLI.run(["chat", path, "hi"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("model.gguf"))
    }
}
