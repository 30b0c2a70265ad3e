import Foundation
import Hummingbird
import Testing
@testable import APIServer

@Suite("FileStorage")
struct StorageFileTests {
    static func contents(_ url: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: url.path).sorted()
    }

    @Test("a committed upload lies under its id with the exact bytes, size and SHA-256")
    func commit() throws {
        let folder = try StorageFixtures.temporaryDirectory()
        defer { StorageFixtures.remove(folder) }
        let storage = try FileStorage(directory: folder.appendingPathComponent("files"))
        let sink = try storage.beginUpload()
        try sink.write(Array("a".utf8))
        try sink.write(ByteBuffer(string: "b"))
        try sink.write("c".utf8)
        #expect(sink.byteCount == 3)
        #expect(try Self.contents(storage.incomingDirectory).count == 1)

        let result = try sink.commit(as: "file-abc")
        #expect(result.bytes == 3)
        // SHA-256("abc"), FIPS 180-2 appendix B.1.
        #expect(result.sha256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(try Data(contentsOf: storage.url(id: "file-abc")) == Data("abc".utf8))
        #expect(try Self.contents(storage.incomingDirectory).isEmpty)
        #expect(storage.exists(id: "file-abc"))
        #expect(throws: StoreError.self) { try sink.write(Array("more".utf8)) }
        #expect(throws: StoreError.self) { try sink.commit(as: "file-again") }
    }

    @Test("the SHA-256 of a larger upload matches sha256sum")
    func matchesSha256sum() throws {
        let folder = try StorageFixtures.temporaryDirectory()
        defer { StorageFixtures.remove(folder) }
        let storage = try FileStorage(directory: folder)
        let sink = try storage.beginUpload()
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<40 {
            try sink.write((0..<8_191).map { _ in UInt8.random(in: 0...255, using: &generator) })
        }
        let result = try sink.commit(as: "file-big")
        #expect(result.bytes == 40 * 8_191)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["sha256sum", storage.url(id: "file-big").path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)
        #expect(output.split(separator: " ").first.map(String.init) == result.sha256)
    }

    @Test("a discarded or abandoned upload leaves nothing behind")
    func discard() throws {
        let folder = try StorageFixtures.temporaryDirectory()
        defer { StorageFixtures.remove(folder) }
        let storage = try FileStorage(directory: folder)
        let sink = try storage.beginUpload()
        try sink.write(Array("partial".utf8))
        sink.discard()
        sink.discard()
        #expect(throws: StoreError.self) { try sink.commit(as: "file-x") }
        do {
            let abandoned = try storage.beginUpload()
            try abandoned.write(Array("dropped".utf8))
        }
        #expect(try Self.contents(storage.incomingDirectory).isEmpty)
        #expect(try Self.contents(folder) == [".incoming"])
    }

    @Test("a commit under an unsafe or taken id fails and removes the temporary file")
    func badCommit() throws {
        let folder = try StorageFixtures.temporaryDirectory()
        defer { StorageFixtures.remove(folder) }
        let storage = try FileStorage(directory: folder)
        for id in ["../escape", ".hidden", "", "a/b"] {
            let sink = try storage.beginUpload()
            #expect(throws: StoreError.self) { try sink.commit(as: id) }
        }
        let first = try storage.beginUpload()
        try first.write(Array("one".utf8))
        _ = try first.commit(as: "file-1")
        let second = try storage.beginUpload()
        try second.write(Array("two".utf8))
        #expect(throws: StoreError.self) { try second.commit(as: "file-1") }
        #expect(try Data(contentsOf: storage.url(id: "file-1")) == Data("one".utf8))
        #expect(try Self.contents(storage.incomingDirectory).isEmpty)
        #expect(try Self.contents(folder) == [".incoming", "file-1"])
    }

    @Test("startup clears .incoming, and orphans without a record are removed")
    func startupAndOrphans() throws {
        let folder = try StorageFixtures.temporaryDirectory()
        defer { StorageFixtures.remove(folder) }
        let incoming = folder.appendingPathComponent(".incoming")
        try FileManager.default.createDirectory(at: incoming, withIntermediateDirectories: true)
        try Data("half an upload".utf8).write(to: incoming.appendingPathComponent("upload-1"))
        for id in ["file-keep", "file-orphan"] {
            try Data(id.utf8).write(to: folder.appendingPathComponent(id))
        }
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("a-folder"), withIntermediateDirectories: true)

        let storage = try FileStorage(directory: folder)
        #expect(try Self.contents(incoming).isEmpty)
        #expect(try storage.removeOrphans(keeping: ["file-keep"]) == ["file-orphan"])
        #expect(try Self.contents(folder) == [".incoming", "a-folder", "file-keep"])
    }

    @Test("delete removes the bytes; unknown and unsafe ids are no error and touch nothing")
    func delete() throws {
        let folder = try StorageFixtures.temporaryDirectory()
        defer { StorageFixtures.remove(folder) }
        let storage = try FileStorage(directory: folder.appendingPathComponent("files"))
        let sink = try storage.beginUpload()
        _ = try sink.commit(as: "file-1")
        try Data("outside".utf8).write(to: folder.appendingPathComponent("secret"))
        try storage.delete(id: "file-1")
        try storage.delete(id: "file-1")
        try storage.delete(id: "../secret")
        #expect(!storage.exists(id: "file-1"))
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("secret").path))
        #expect(!FileManager.default.fileExists(atPath: storage.url(id: "../secret").path))
        #expect(storage.url(id: "../secret").path.hasPrefix(storage.incomingDirectory.path))
    }

    @Test("ids have the prefix and 24 letters or digits, and differ")
    func identifiers() {
        let id = APIIdentifier.make(prefix: "file-")
        #expect(id.hasPrefix("file-"))
        #expect(id.count == 29)
        #expect(id.dropFirst(5).allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) })
        #expect(APIIdentifier.make(prefix: "", length: 8).count == 8)
        #expect(Set((0..<100).map { _ in APIIdentifier.make(prefix: "x") }).count == 100)
        #expect(APIIdentifier.isSafeFileName(id))
        #expect(!APIIdentifier.isSafeFileName("a/b"))
        #expect(!APIIdentifier.isSafeFileName(".."))
        #expect(!APIIdentifier.isSafeFileName(""))
    }
}
