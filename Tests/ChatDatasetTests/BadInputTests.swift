import Foundation
import Testing
@testable import ChatDataset

/// Files that are not what they should be: each gets a clear error, never a crash or a hang.
@Suite("bad input")
struct BadInputTests {
    /// A path named `name` in a new, empty scratch directory.
    static func scratch(_ name: String) throws -> String {
        try PrepareFixtures.scratchDirectory() + "/" + name
    }

    @Test("a file that does not exist cannot be read, and the error says so")
    func missingFile() {
        #expect(throws: DatasetError.cannotRead(path: "/no/such/train.jsonl", reason: "no such file; check the path")) {
            try DatasetScanner().scan(path: "/no/such/train.jsonl")
        }
    }

    @Test("a directory is refused with a hint")
    func directory() {
        let path = FileManager.default.temporaryDirectory.path
        #expect(throws: DatasetError.cannotRead(path: path, reason: "it is a directory; give the path of a file inside it")) {
            try DatasetScanner().scan(path: path)
        }
    }

    @Test("binary garbage is recognised as not text")
    func binary() throws {
        let path = try Self.scratch("garbage.jsonl")
        var generator = SeededGenerator(seed: 7)
        let bytes = (0..<100_000).map { _ in UInt8(truncatingIfNeeded: generator.next()) } + [0]
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        #expect(throws: DatasetError.self) { try DatasetScanner().scan(path: path) }
        do {
            _ = try DatasetScanner().scan(path: path)
        } catch {
            #expect(error.description.contains("is not a text file (binary data at byte"))
        }
    }

    @Test("a truncated file reports the cut line as truncated")
    func truncated() throws {
        let path = try Self.scratch("cut.jsonl")
        let good = try String(contentsOfFile: ValidateFixtures.path("clean.jsonl"), encoding: .utf8)
        try String(good.dropLast(40)).write(toFile: path, atomically: true, encoding: .utf8)
        let result = try DatasetScanner().scan(path: path)
        let finding = try #require(result.findings.kept.first { $0.code == "invalid-json" })
        #expect(finding.line == 10)
        #expect(finding.message.contains("is the line truncated?"))
    }

    @Test("a 50 MB single line is read whole and reported over the token limit")
    func hugeLine() throws {
        let path = try Self.scratch("huge.jsonl")
        let text = String(repeating: "lorem ipsum ", count: 50_000_000 / 12)
        let line = #"{"messages":[{"role":"user","content":""# + text + #""},{"role":"assistant","content":"ok"}]}"#
        try line.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try DatasetScanner().scan(path: path)
        #expect(result.exampleCount == 1)
        let finding = try #require(result.findings.kept.first { $0.code == "too-many-tokens" })
        #expect(finding.line == 1)
        #expect(finding.message.contains("about 12500008 tokens"))
    }

    @Test("a million bad lines are all counted but only the first few kept")
    func findingLimit() throws {
        let path = try Self.scratch("bad.jsonl")
        try String(repeating: "not json\n", count: 1_000).write(toFile: path, atomically: true, encoding: .utf8)
        let result = try DatasetScanner(options: ScanOptions(findingsPerCode: 5)).scan(path: path)
        #expect(result.findings.countsByCode["invalid-json"] == 1_000)
        #expect(result.findings.kept.filter { $0.code == "invalid-json" }.map(\.line) == [1, 2, 3, 4, 5])
        #expect(result.findings.omittedByCode["invalid-json"] == 995)
    }

    @Test("lines that straddle read chunks arrive whole, CR is stripped and a last line without newline counts")
    func lineReaderChunks() throws {
        let path = try Self.scratch("lines.txt")
        let lines = (0..<500).map { "line \($0) " + String(repeating: "é", count: $0 % 37) }
        try (lines.joined(separator: "\r\n")).write(toFile: path, atomically: true, encoding: .utf8)
        let reader = try LineReader(path: path, chunkSize: 64)
        var read: [String] = []
        var numbers: [Int] = []
        try reader.forEachLine(rejectBinary: false) { line, number in
            read.append(String(decoding: line, as: UTF8.self))
            numbers.append(number)
        }
        #expect(read == lines)
        #expect(numbers == Array(1...500))
        #expect(reader.sawCRLF)
    }

    @Test("an atomic writer that is not committed leaves neither the file nor its temporary behind")
    func atomicWriterAbandoned() throws {
        let path = try Self.scratch("out.jsonl")
        let directory = (path as NSString).deletingLastPathComponent
        do {
            let writer = try AtomicFileWriter(path: path)
            try writer.write("half a line")
        }
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
    }

    @Test("an atomic writer replaces the old file only on commit")
    func atomicWriterCommit() throws {
        let path = try Self.scratch("out.jsonl")
        try "old\n".write(toFile: path, atomically: true, encoding: .utf8)
        let writer = try AtomicFileWriter(path: path)
        try writer.write("new\n")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "old\n")
        try writer.commit()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "new\n")
    }

    @Test("writing into a directory that does not exist is a clear error")
    func missingDirectory() {
        #expect(throws: DatasetError.self) { try AtomicFileWriter(path: "/no/such/dir/out.jsonl") }
    }
}
