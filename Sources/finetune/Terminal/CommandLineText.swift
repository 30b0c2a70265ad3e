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
}
