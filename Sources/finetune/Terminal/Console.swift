import ArgumentParser
import ChatDataset
import Foundation
import Rainbow

/// Writing to the terminal: reports on standard output, diagnostics on standard error, colour only
/// when the stream is a terminal and NO_COLOR is unset.
enum Console {
    static let colorOnStandardError = isatty(STDERR_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil

    static func out(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func err(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// Writes `text` to standard output as is, at once (streamed answers).
    static func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    /// Writes `text` to standard error without a newline (prompts).
    static func errNoNewline(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Prints `value` on standard output as pretty JSON with snake_case keys (the `--json` reports).
    static func printJSON(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        out(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    /// Paints `text` for standard error.
    static func paint(_ text: String, _ color: NamedColor) -> String {
        colorOnStandardError ? text.applyingColor(color) : text
    }

    /// A finding as a compiler-style line, coloured by severity.
    static func format(_ finding: Finding, file: String) -> String {
        let line = finding.formatted(file: file)
        return paint(line, finding.severity == .error ? .red : .yellow)
    }

    /// Runs `body`; a `DatasetError` (the input cannot be used at all) or a `CLIError` is printed as
    /// `finetune: error: …` and exits with `status`.
    static func reportingErrors<T>(exitStatus status: Int32, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DatasetError {
            err(paint("finetune: error: \(error.description)", .red))
            throw ExitCode(status)
        } catch let error as CLIError {
            err(paint("finetune: error: \(error.description)", .red))
            throw ExitCode(status)
        }
    }
}

/// A message for the user from a library error of any module, for `Console.reportingErrors`.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension Int {
    /// 1,234,567
    var grouped: String {
        let formatter = NumberFormatter()
        formatter.numberStyle = .decimal
        formatter.groupingSeparator = ","
        formatter.usesGroupingSeparator = true
        return formatter.string(from: NSNumber(value: self)) ?? String(self)
    }
}
