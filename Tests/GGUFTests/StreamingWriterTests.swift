import Foundation
import Testing
@testable import GGUF

/// `GGUFStreamingWriter` writes, one tensor at a time, the file `GGUFWriter` builds in memory.
@Suite("streaming writing")
struct StreamingWriterTests {
    /// A writer holding every metadata type and tensors of several types and odd sizes.
    static func sample(version: UInt32, alignment: Int) throws -> GGUFWriter {
        var writer = GGUFWriter(version: version, alignment: alignment)
        for (key, value) in WriterTests.everyValue { writer.set(key, value) }
        let values = (0..<96).map { Float($0) / 16 - 3 }
        try writer.addTensor(name: "odd", shape: [3], values: [1, 2, 3], as: .f32)
        try writer.addTensor(name: "q8", shape: [32, 3], values: values, as: .q8_0)
        try writer.addTensor(name: "q4", shape: [32, 3], values: values, as: .q4_1)
        try writer.addTensor(name: "h", shape: [5, 1, 1], values: [1, 2, 3, 4, 5], as: .f16)
        try writer.addTensor(name: "b", shape: [7], values: Array(values[..<7]), as: .bf16)
        return writer
    }

    /// Streams `writer`'s metadata and tensors to `url`.
    static func stream(_ writer: GGUFWriter, to url: URL) throws {
        let streaming = try GGUFStreamingWriter(url: url, metadata: writer.entries,
                                                tensors: writer.tensors.map { (name: $0.name, shape: $0.shape, type: $0.type) },
                                                version: writer.version, alignment: writer.alignment)
        for data in writer.tensorData { try streaming.append(data) }
        try streaming.finish()
    }

    @Test("the streamed file is GGUFWriter's file, byte for byte",
          arguments: [(UInt32(3), 32), (3, 64), (3, 256), (2, 32)])
    func sameBytes(version: UInt32, alignment: Int) throws {
        let writer = try Self.sample(version: version, alignment: alignment)
        let url = try TestFiles.scratchDirectory().appendingPathComponent("streamed.gguf")
        try Self.stream(writer, to: url)
        let streamed = [UInt8](try Data(contentsOf: url))
        let expected = writer.serialized()
        let firstDifference = zip(streamed, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        #expect(streamed.count == expected.count && firstDifference == nil,
                "\(streamed.count) bytes vs \(expected.count); first difference at byte \(firstDifference ?? -1)")
        let file = try GGUFFile(contentsOf: url)
        #expect(file.version == version && file.alignment == alignment)
        #expect(file.tensors == writer.tensors)
    }

    @Test("a file with no tensors is GGUFWriter's file too")
    func metadataOnly() throws {
        var writer = GGUFWriter()
        writer.set("general.architecture", .string("llama"))
        let url = try TestFiles.scratchDirectory().appendingPathComponent("empty.gguf")
        try Self.stream(writer, to: url)
        #expect([UInt8](try Data(contentsOf: url)) == writer.serialized())
    }

    @Test("a declared tensor GGUFWriter would refuse is refused, and nothing is created")
    func badDeclaration() throws {
        let directory = try TestFiles.scratchDirectory()
        let url = directory.appendingPathComponent("out.gguf")
        let cases: [(GGUFError, [(name: String, shape: [Int], type: GGMLType)])] = [
            (.invalidTensor(name: "w", reason: "a tensor of that name was already added"), [("w", [32], .f32), ("w", [32], .f32)]),
            (.invalidTensor(name: "x", reason: "Q8_0 stores rows in blocks of 32 values, but the rows of shape [16, 2] have 16"),
             [("x", [16, 2], .q8_0)]),
            (.invalidTensor(name: "", reason: "tensor names must have 1 to 63 bytes (llama.cpp's limit)"), [("", [1], .f32)]),
        ]
        for (expected, tensors) in cases {
            #expect(throws: expected) { _ = try GGUFStreamingWriter(url: url, metadata: [], tensors: tensors) }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    @Test("bytes of the wrong size are refused with the tensor's name and size")
    func wrongSize() throws {
        let url = try TestFiles.scratchDirectory().appendingPathComponent("out.gguf")
        let writer = try GGUFStreamingWriter(url: url, metadata: [], tensors: [("q", [64], .q8_0)])
        #expect(throws: GGUFError.invalidTensor(name: "q", reason: "3 bytes were given, but its 64 Q8_0 values take 68 bytes")) {
            try writer.append([1, 2, 3])
        }
    }

    @Test("a writer dropped before finish() leaves the old file and no temporary file")
    func unfinished() throws {
        let directory = try TestFiles.scratchDirectory()
        let url = directory.appendingPathComponent("out.gguf")
        try Data("old contents".utf8).write(to: url)
        do {
            let writer = try GGUFStreamingWriter(url: url, metadata: [("general.name", .string("new"))],
                                                 tensors: [("a", [2], .f32), ("b", [2], .f32)])
            try writer.append(GGMLQuantization.quantize(.f32, [1, 2]))
        }
        #expect(try Data(contentsOf: url) == Data("old contents".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["out.gguf"])
    }

    @Test("creating the writer in a missing folder fails with the path and what to do")
    func missingFolder() throws {
        let url = try TestFiles.scratchDirectory().appendingPathComponent("missing/out.gguf")
        #expect {
            _ = try GGUFStreamingWriter(url: url, metadata: [], tensors: [])
        } throws: { error in
            guard let error = error as? GGUFError, case .cannotWrite(let path, _) = error else { return false }
            return path == url.path && error.description.contains("does not exist; create it first")
        }
    }
}
