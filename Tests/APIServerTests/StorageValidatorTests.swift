import Foundation
import Testing
@testable import APIServer

@Suite("TrainingFileValidator")
struct StorageValidatorTests {
    static let good = #"{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello."}]}"#
    static let parts = #"{"messages":[{"role":"developer","content":"x"},{"role":"user","content":[{"type":"text","text":"Hi"}]},{"role":"assistant","content":"Yo","weight":1}]}"#

    static func validate(_ lines: [String], trailingNewline: Bool = true) throws -> FileValidation {
        let folder = try StorageFixtures.temporaryDirectory()
        defer { StorageFixtures.remove(folder) }
        let url = folder.appendingPathComponent("file-x")
        try Data((lines.joined(separator: "\n") + (trailingNewline ? "\n" : "")).utf8).write(to: url)
        return TrainingFileValidator.validate(url: url)
    }

    @Test("a valid file is processed, however few lines it has")
    func valid() throws {
        #expect(try Self.validate([Self.good, Self.parts]) == FileValidation(status: .processed, details: nil, exampleCount: 2))
        #expect(try Self.validate([Self.good], trailingNewline: false).status == .processed)
        #expect(try Self.validate(Array(repeating: Self.good, count: 3)).status == .processed)  // duplicates only warn
    }

    @Test("each kind of bad line is named with its 1-based line number", arguments: [
        ("not json at all", "Line 2: invalid JSON"),
        ("[1, 2]", "Line 2: expected a JSON object"),
        (#"{"prompt":"x","completion":"y"}"#, "Line 2: no \"messages\" key"),
        (#"{"messages":[]}"#, "Line 2: messages: the messages array is empty"),
        (#"{"messages":[{"role":"bot","content":"x"},{"role":"assistant","content":"y"}]}"#, "Line 2: messages[0].role: unknown role \"bot\""),
        (#"{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"http://x"}}]},{"role":"assistant","content":"y"}]}"#,
         "Line 2: messages[0].content[0]: image parts"),
        (#"{"messages":[{"role":"user","content":42},{"role":"assistant","content":"y"}]}"#, "Line 2: messages[0].content: content must be a string"),
        (#"{"messages":[{"role":"user","content":"only a question"}]}"#, "Line 2: messages: no assistant message is trained on"),
    ])
    func badLine(line: String, expected: String) throws {
        let result = try Self.validate([Self.good, line, Self.good])
        #expect(result.status == .error)
        #expect(result.exampleCount == 3)
        let details = try #require(result.details)
        #expect(details.hasPrefix(expected), "\(details)")
    }

    @Test("the first five problems are listed in line order, then how many more")
    func manyErrors() throws {
        var lines = [Self.good]
        lines += (0..<8).map { _ in "{oops" }
        lines.insert(#"{"messages":[{"role":"user","content":"q"}]}"#, at: 3)
        let details = try #require(try Self.validate(lines).details)
        let entries = details.components(separatedBy: "; ").filter { $0.hasPrefix("Line ") }.map { $0.prefix(7) }
        #expect(entries == ["Line 2:", "Line 3:", "Line 4:", "Line 5:", "Line 6:"])
        #expect(details.hasSuffix("and 4 more errors"), "\(details)")
    }

    @Test("an empty file, a binary file and a missing file are errors, not crashes")
    func unreadable() throws {
        let empty = try Self.validate([], trailingNewline: false)
        #expect(empty.status == .error)
        #expect(empty.details?.contains("no examples") == true)

        let folder = try StorageFixtures.temporaryDirectory()
        defer { StorageFixtures.remove(folder) }
        let binary = folder.appendingPathComponent("binary")
        try Data([0x50, 0x4B, 0x03, 0x04, 0x00, 0x00, 0xFF]).write(to: binary)
        let binaryResult = TrainingFileValidator.validate(url: binary)
        #expect(binaryResult.status == .error)
        #expect(binaryResult.details?.contains("not text") == true)

        let missing = TrainingFileValidator.validate(url: folder.appendingPathComponent("nope"))
        #expect(missing.status == .error)
        #expect(missing.details?.contains(folder.path) == false)
    }
}
