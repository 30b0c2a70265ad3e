import ArgumentParser
import ChatDataset
import Foundation
import GGUF
import LanguageModel
import Tokenization

/// `finetune tokenize MODEL (TEXT | --file F) [--chat] [--json]`: token ids and pieces, for
/// debugging data and prompts.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Show how a model's tokenizer splits text.",
        discussion: """
        Prints each token's id and piece. With --chat, TEXT is first rendered by the model's chat \
        template as one user message followed by the assistant's turn opening. With --file, each \
        line of the file is a JSON string and the output is one JSON array of ids per line.
        """
    )

    @Argument(help: "A model name (`finetune models list`) or a path to a .gguf file.")
    var model: String

    @Argument(help: "The text to tokenize.")
    var text: String?

    @Option(help: "A file of JSON lines, one string each.")
    var file: String?

    @Flag(help: "Render TEXT as a user message with the model's chat template first.")
    var chat = false

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func validate() throws {
        try CommandLineText.requireValidUTF8()
        switch (text, file) {
        case (nil, nil): throw ValidationError("Give TEXT to tokenize, or --file with JSON lines.")
        case (.some, .some): throw ValidationError("Give either TEXT or --file, not both.")
        default: break
        }
    }

    func run() throws {
        let url = try ModelOptions.resolve(model)
        let formatter = try Console.reportingErrors(exitStatus: 1) { () throws -> ChatFormatter in
            do {
                return try ChatFormatter(file: try GGUFFile(contentsOf: url))
            } catch let error as GGUFError {
                throw CLIError("\(error)")
            } catch {
                throw CLIError("\(error)")
            }
        }
        if let file {
            try tokenizeLines(of: file, formatter: formatter)
            return
        }
        let ids = try Console.reportingErrors(exitStatus: 1) {
            do { return try encode(text ?? "", formatter: formatter) } catch { throw CLIError("\(error)") }
        }
        let tokenizer = formatter.tokenizer
        let pieces = ids.map { tokenizer.piece(for: $0) ?? "" }
        if json {
            try Console.printJSON(Output(count: ids.count, ids: ids, pieces: pieces))
            return
        }
        for (id, piece) in zip(ids, pieces) {
            let shown = tokenizer.isSpecial(id) ? Console.paint(piece, .yellow) : Self.visible(String(decoding: tokenizer.bytes(for: id), as: UTF8.self))
            Console.out("\(String(id).padding(toLength: 7, withPad: " ", startingAt: 0)) \(shown)")
        }
        Console.err("\(ids.count) tokens")
    }

    private func encode(_ text: String, formatter: ChatFormatter) throws(LanguageModelError) -> [Int] {
        guard chat else { return formatter.tokenizer.encode(text, parseSpecialTokens: true) }
        return try formatter.prompt([ChatMessage(role: .user, content: text)])
    }

    private func tokenizeLines(of path: String, formatter: ChatFormatter) throws {
        try Console.reportingErrors(exitStatus: 1) {
            let reader = try LineReader(path: path)
            try reader.forEachLine { (bytes, number) throws(DatasetError) in
                guard !isBlankLine(bytes) else { return }
                let value: JSONValue
                do throws(JSONSyntaxError) {
                    value = try JSONValue(parsing: bytes)
                } catch {
                    throw .invalidInput(path: path, line: number, message: "not JSON (\(error.message)); each line must be one JSON string.")
                }
                guard case .string(let string) = value else {
                    throw .invalidInput(path: path, line: number, message: "expected a JSON string, found \(value.kind.noun).")
                }
                let ids: [Int]
                do throws(LanguageModelError) {
                    ids = try encode(string, formatter: formatter)
                } catch {
                    throw .invalidInput(path: path, line: number, message: error.description)
                }
                Console.out("[" + ids.map(String.init).joined(separator: ",") + "]")
            }
        }
    }

    /// Whitespace made visible: space as ␣, newline as ↵, tab as ⇥.
    static func visible(_ text: String) -> String {
        text.replacingOccurrences(of: " ", with: "␣").replacingOccurrences(of: "\n", with: "↵")
            .replacingOccurrences(of: "\t", with: "⇥").replacingOccurrences(of: "\r", with: "␍")
    }

    struct Output: Encodable {
        let count: Int
        let ids: [Int]
        let pieces: [String]
    }
}
