import ArgumentParser
import Foundation

/// Checks on the raw command line that Swift's `CommandLine.arguments` hides: it silently
/// replaces invalid UTF-8 with U+FFFD, which would put a wrong prompt in front of a model.
enum CommandLineText {
    /// - Throws: `ValidationError` naming the first argument that isn't valid UTF-8.
    static func requireValidUTF8() throws {
        for index in 1..<Int(CommandLine.argc) {
            guard let pointer = CommandLine.unsafeArgv[index] else { continue }
            let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self), count: strlen(pointer))
            if String(validating: bytes, as: UTF8.self) == nil {
                throw ValidationError("Argument \(index) is not valid UTF-8 text; pass the message as UTF-8.")
            }
        }
    }

    /// `text` as a POSIX shell reads it back: unchanged when it is plain, else in single quotes.
    static func quoted(_ text: String) -> String {
        let safe = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%+=:,./-_~")
        guard !text.isEmpty, text.unicodeScalars.allSatisfy(safe.contains) else {
            return "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }
        return text
    }

    /// This process's command line as a user would type it again: `finetune prepare items.csv -o 'my file.jsonl'`.
    static var typed: String {
        (["finetune"] + CommandLine.arguments.dropFirst().map(quoted)).joined(separator: " ")
    }
}
