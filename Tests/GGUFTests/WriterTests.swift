import Foundation
import Testing
@testable import GGUF

/// Files built by `GGUFWriter` read back unchanged.
@Suite("writing")
struct WriterTests {
    /// Writes `writer`'s file to a scratch directory and opens it.
    static func roundTrip(_ writer: GGUFWriter) throws -> GGUFFile {
        let url = try TestFiles.scratchDirectory().appendingPathComponent("model.gguf")
        try writer.write(to: url)
        return try GGUFFile(contentsOf: url)
    }

    static let everyValue: [(String, GGUFValue)] = [
        ("general.architecture", .string("llama")),
        ("u8", .uint8(255)), ("i8", .int8(-128)), ("u16", .uint16(65535)), ("i16", .int16(-32768)),
        ("u32", .uint32(.max)), ("i32", .int32(.min)), ("u64", .uint64(.max)), ("i64", .int64(.min)),
        ("f32", .float32(-0.0)), ("f32.inf", .float32(.infinity)), ("f32.tiny", .float32(.leastNonzeroMagnitude)),
        ("f64", .float64(.pi)), ("bool.true", .bool(true)), ("bool.false", .bool(false)),
        ("string", .string("ümlaut 🦙 \u{0}nul")), ("string.empty", .string("")),
        ("array.u8", .array([.uint8(1), .uint8(2)])), ("array.i8", .array([.int8(-1)])),
        ("array.u16", .array([.uint16(7)])), ("array.i16", .array([.int16(-7)])),
        ("array.u32", .array([.uint32(1), .uint32(2), .uint32(3)])), ("array.i32", .array([.int32(-3)])),
        ("array.u64", .array([.uint64(.max)])), ("array.i64", .array([.int64(.min), .int64(0)])),
        ("array.f32", .array([.float32(1.5), .float32(-2)])), ("array.f64", .array([.float64(1e-300)])),
        ("array.bool", .array([.bool(true), .bool(false)])),
        ("array.string", .array([.string("a"), .string(""), .string("Ġthe")])),
        ("array.empty", .array([])),
        ("array.nested", .array([.array([.int32(1), .int32(2)]), .array([.string("x")]), .array([])])),
        ("array.deep", .array([.array([.array([.float64(2.5)])])])),
    ]

    @Test("metadata of every type round-trips through the writer and the reader, in insertion order",
          arguments: [UInt32(3), 2])
    func metadataRoundTrip(version: UInt32) throws {
        var writer = GGUFWriter(version: version)
        for (key, value) in Self.everyValue { writer.set(key, value) }
        let file = try Self.roundTrip(writer)
        #expect(file.version == version)
        #expect(file.metadataKeys == Self.everyValue.map(\.0))
        for (key, value) in Self.everyValue {
            #expect(file.metadata[key] == value, "key \(key)")
        }
        #expect(file.tensors.isEmpty)
    }

    @Test("setting a key again replaces its value and keeps its place")
    func replace() throws {
        var writer = GGUFWriter()
        writer.set("a", .uint32(1))
        writer.set("b", .uint32(2))
        writer.set("a", .string("one"))
        let file = try Self.roundTrip(writer)
        #expect(file.metadataKeys == ["a", "b"])
        #expect(file.string("a") == "one")
    }

    @Test("a version 2 file with tensors reads back with the same metadata and values")
    func version2() throws {
        var writer = GGUFWriter(version: 2)
        writer.set("general.architecture", .string("llama"))
        let values = (0..<64).map { Float($0) / 8 - 4 }
        try writer.addTensor(name: "a", shape: [32, 2], values: values, as: .f32)
        try writer.addTensor(name: "b", shape: [64], values: values, as: .q8_0)
        let bytes = writer.serialized()
        #expect(bytes[4] == 2 && bytes[5...7].allSatisfy { $0 == 0 }, "version field is u32 2")
        let file = try Self.roundTrip(writer)
        #expect(file.version == 2)
        #expect(file.architecture == "llama")
        #expect(try file.floats(of: try #require(file.tensor(named: "a"))) == values)
        let b = try file.floats(of: try #require(file.tensor(named: "b")))
        #expect(maxDifference(b, values).value <= 4.0 / 127)
    }

    @Test("tensors are aligned, described in order, and serialized() is what write(to:) writes", arguments: [32, 64, 256])
    func alignment(alignment: Int) throws {
        var writer = GGUFWriter(alignment: alignment)
        writer.set("general.name", .string("aligned"))
        try writer.addTensor(name: "odd", shape: [3], values: [1, 2, 3], as: .f32)      // 12 bytes
        try writer.addTensor(name: "q", shape: [32, 3], values: Array(repeating: 0.5, count: 96), as: .q4_1)
        try writer.addTensor(name: "h", shape: [5], values: [1, 2, 3, 4, 5], as: .f16)
        let url = try TestFiles.scratchDirectory().appendingPathComponent("aligned.gguf")
        try writer.write(to: url)
        #expect(try Data(contentsOf: url) == Data(writer.serialized()))
        let file = try GGUFFile(contentsOf: url)
        #expect(file.alignment == alignment)
        #expect(file.int("general.alignment") == (alignment == 32 ? nil : alignment))
        #expect(file.dataOffset % alignment == 0)
        #expect(file.tensors.map(\.name) == ["odd", "q", "h"])
        // 12 bytes, then 3 Q4_1 blocks of 20 bytes, then 10 bytes, each padded to the alignment.
        let padded = { (count: Int) in (count + alignment - 1) / alignment * alignment }
        #expect(file.tensors.map(\.offset) == [0, padded(12), padded(12) + padded(60)])
        #expect(file.tensors.map(\.byteCount) == [12, 60, 10])
        #expect(try file.floats(of: file.tensors[0]) == [1, 2, 3])
        #expect(try file.floats(of: file.tensors[1]) == Array(repeating: 0.5, count: 96))
        #expect(try file.floats(of: file.tensors[2]) == [1, 2, 3, 4, 5])
        #expect(file.fileSize == file.dataOffset + padded(12) + padded(60) + padded(10))
    }

    @Test("a 50,000-token vocabulary round-trips")
    func vocabulary() throws {
        let tokens = (0..<50_000).map { "tok\($0)" + String(repeating: "é", count: $0 % 7) }
        var writer = GGUFWriter()
        writer.set("tokenizer.ggml.tokens", .array(tokens.map { .string($0) }))
        writer.set("tokenizer.ggml.token_type", .array(tokens.indices.map { .int32(Int32($0 % 3)) }))
        let file = try Self.roundTrip(writer)
        #expect(file.metadata["tokenizer.ggml.tokens"]?.stringArray == tokens)
        #expect(file.metadata["tokenizer.ggml.token_type"]?.intArray == tokens.indices.map { $0 % 3 })
    }

    @Test("write(to:) replaces an existing file and leaves no temporary file behind")
    func atomicWrite() throws {
        let directory = try TestFiles.scratchDirectory()
        let url = directory.appendingPathComponent("out.gguf")
        try Data("old contents".utf8).write(to: url)
        var writer = GGUFWriter()
        writer.set("general.name", .string("new"))
        try writer.write(to: url)
        #expect(try GGUFFile(contentsOf: url).string("general.name") == "new")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["out.gguf"])
    }

    @Test("write(to:) into a missing folder fails with the path and what to do")
    func missingFolder() throws {
        let url = try TestFiles.scratchDirectory().appendingPathComponent("missing/out.gguf")
        #expect {
            try GGUFWriter().write(to: url)
        } throws: { error in
            guard let error = error as? GGUFError, case .cannotWrite(let path, _) = error else { return false }
            return path == url.path && error.description.contains("does not exist; create it first")
        }
    }

    @Test("addTensor refuses bad input with a reason that names the tensor")
    func badTensors() throws {
        var writer = GGUFWriter()
        try writer.addTensor(name: "w", shape: [32], values: Array(repeating: 1, count: 32), as: .q8_0)
        let cases: [(GGUFError, () throws(GGUFError) -> Void)] = [
            (.invalidTensor(name: "w", reason: "a tensor of that name was already added"),
             { () throws(GGUFError) in try writer.addTensor(name: "w", shape: [1], values: [1], as: .f32) }),
            (.invalidTensor(name: "x", reason: "3 values were given for shape [2, 2], which holds 4"),
             { () throws(GGUFError) in try writer.addTensor(name: "x", shape: [2, 2], values: [1, 2, 3], as: .f32) }),
            (.invalidTensor(name: "x", reason: "Q4_0 stores rows in blocks of 32 values, but the rows of shape [16, 2] have 16"),
             { () throws(GGUFError) in try writer.addTensor(name: "x", shape: [16, 2], values: Array(repeating: 0, count: 32), as: .q4_0) }),
            (.invalidTensor(name: "x", reason: "3 bytes were given, but 32 Q8_0 values take 34 bytes"),
             { () throws(GGUFError) in try writer.addTensor(name: "x", shape: [32], type: .q8_0, bytes: [1, 2, 3]) }),
            (.invalidTensor(name: "x", reason: "value 1 is nan; the weights are broken (check the training loss for NaN) and cannot be exported"),
             { () throws(GGUFError) in try writer.addTensor(name: "x", shape: [2], values: [0, .nan], as: .f16) }),
            (.unsupportedType(type: .q4_K, operation: "quantize", tensor: "x", path: nil),
             { () throws(GGUFError) in try writer.addTensor(name: "x", shape: [256], values: Array(repeating: 0, count: 256), as: .q4_K) }),
            (.invalidTensor(name: "x", reason: "the shape [1, 1, 1, 1, 1] must have 1 to 4 dimensions of 0 or more"),
             { () throws(GGUFError) in try writer.addTensor(name: "x", shape: [1, 1, 1, 1, 1], values: [1], as: .f32) }),
        ]
        for (expected, add) in cases {
            #expect(throws: expected) { try add() }
            #expect(expected.description.contains("'x'") || expected.description.contains("'w'"))
        }
        #expect(writer.serialized() == { var w = GGUFWriter(); try? w.addTensor(name: "w", shape: [32], values: Array(repeating: 1, count: 32), as: .q8_0); return w.serialized() }(),
                "failed additions leave the writer unchanged")
    }
}
