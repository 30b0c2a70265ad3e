import ArgumentParser
import ChatDataset
import Foundation
import LanguageModel

/// `finetune chat MODEL ["message"] [--adapter PATH]`: one answer, or a conversation when no
/// message is given; MODEL may be a fine-tuned model, and --adapter puts a LoRA adapter on it.
struct ChatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "Chat with a local model.",
        discussion: """
        With a message, prints one answer on standard output as it is generated, then the speed on \
        standard error. Without one, starts a conversation: type a message and press Enter; \
        /reset starts over, /exit or Ctrl-D ends. A fine-tuned model (`finetune models list`) or a \
        training run folder loads its base model with its adapter; --adapter puts any LoRA adapter \
        (PEFT folder, llama.cpp .gguf adapter or run folder) on the model.
        """
    )

    @OptionGroup var model: ModelOptions

    @Argument(help: "The user message. Omit it for an interactive conversation.")
    var message: String?

    @Option(help: "A system message (default: the model's own, if its template has one).")
    var system: String?

    @OptionGroup var sampling: SamplingOptions

    @Flag(help: "Don't print the speed after the answer.")
    var quiet = false

    func validate() throws {
        try CommandLineText.requireValidUTF8()
        if let message, message.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw ValidationError("The message is empty; give some text, or omit it for a conversation.")
        }
    }

    func run() throws {
        let local = try model.load()
        var conversation = Conversation(local: local, system: system, parameters: sampling.parameters, showSpeed: !quiet)
        if let message {
            try conversation.reply(to: message)
            return
        }
        try Console.reportingErrors(exitStatus: 1) { try conversation.interact() }
    }
}

/// A conversation with a loaded model; keeps the history and the KV cache of what was said.
private struct Conversation {
    let local: LocalModel
    let system: String?
    let parameters: GenerationParameters
    let showSpeed: Bool
    var history: [ChatMessage] = []
    let session: LlamaSession

    init(local: LocalModel, system: String?, parameters: GenerationParameters, showSpeed: Bool) {
        self.local = local
        self.system = system
        self.parameters = parameters
        self.showSpeed = showSpeed
        session = local.model.makeSession()
        reset()
    }

    mutating func reset() {
        history = system.map { [ChatMessage(role: .system, content: $0)] } ?? []
    }

    /// Generates the assistant's answer to `text`, streaming it to standard output.
    mutating func reply(to text: String) throws {
        history.append(ChatMessage(role: .user, content: text))
        let result = try Console.reportingErrors(exitStatus: 1) { () throws -> GenerationResult in
            do {
                let prompt = try local.formatter.prompt(history)
                return try local.generator.generate(prompt: prompt, parameters: parameters, session: session) { piece in
                    Console.write(piece)
                    return true
                }
            } catch {
                history.removeLast()
                throw CLIError("\(error)")
            }
        }
        Console.write("\n")
        history.append(ChatMessage(role: .assistant, content: result.text))
        if showSpeed {
            let note = result.finishReason == FinishReason.length ? " (stopped at --max-tokens)" : ""
            Console.err(Console.paint(String(
                format: "%d tokens, %.1f tokens/s · prompt %d tokens (%d computed), %.1f tokens/s%@",
                result.tokens.count, result.decodeTokensPerSecond, result.promptTokens,
                result.promptTokensComputed, result.promptTokensPerSecond, note), .lightBlack))
        }
    }

    mutating func interact() throws {
        let interactive = isatty(STDIN_FILENO) == 1
        if interactive {
            let adapter = local.model.adapter.map { " with a LoRA adapter (rank \($0.rank))" } ?? ""
            Console.err(Console.paint("Chatting with \(local.file.url.lastPathComponent)\(adapter). /reset starts over, /exit or Ctrl-D ends.", .lightBlack))
        }
        var input = StandardInputLines()
        while true {
            if interactive { Console.errNoNewline(Console.paint("> ", .green)) }
            guard let line = try input.next() else { break }
            let text = line.trimmingCharacters(in: .whitespaces)
            switch text {
            case "": continue
            case "/exit", "/quit": return
            case "/reset":
                reset()
                Console.err(Console.paint("(conversation reset)", .lightBlack))
            default:
                try reply(to: text)
            }
        }
        if interactive { Console.err("") }
    }
}

/// Lines of standard input as strings; invalid UTF-8 is an error naming the line.
struct StandardInputLines {
    private var lineNumber = 0
    private var buffer: [UInt8] = []
    private var atEnd = false

    mutating func next() throws -> String? {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(buffer[..<newline])
                buffer.removeSubrange(...newline)
                return try decode(line)
            }
            if atEnd {
                guard !buffer.isEmpty else { return nil }
                defer { buffer = [] }
                return try decode(buffer)
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let count = read(STDIN_FILENO, &chunk, chunk.count)
            if count <= 0 { atEnd = true } else { buffer += chunk[..<count] }
        }
    }

    private mutating func decode(_ bytes: [UInt8]) throws -> String {
        lineNumber += 1
        var line = bytes
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        guard let text = String(validating: line, as: UTF8.self) else {
            throw CLIError("standard input, line \(lineNumber): the text is not valid UTF-8; save it as UTF-8 and try again.")
        }
        return text
    }
}
