import ChatDataset
import Foundation
import Testing
@testable import GGUF

/// Files that are not what they should be: each gets a `GGUFError` naming the file, the key or
/// tensor and the byte offset, never a crash.
@Suite("bad input")
struct BadInputTests {
    /// A small valid file: three keys before the vocabulary, two keys of equal length, a Q8_0 and
    /// an F32 tensor whose names have equal length. The F32 tensor is last and fills its padding.
    static func validFile() throws -> [UInt8] {
        var writer = GGUFWriter()
        writer.set("general.architecture", .string("llama"))
        writer.set("llama.block_count", .uint32(30))
        writer.set("tokenizer.ggml.tokens", .array([.string("a"), .string("bb"), .string("ccc")]))
        writer.set("test.key_a", .uint32(1))
        writer.set("test.key_b", .uint32(2))
        try writer.addTensor(name: "blk.0.attn_q.weight", shape: [32, 2], values: (0..<64).map { Float($0) }, as: .q8_0)
        try writer.addTensor(name: "blk.0.attn_k.weight", shape: [8], values: Array(repeating: 1, count: 8), as: .f32)
        return writer.serialized()
    }

    /// The position of the first occurrence of `text`'s UTF-8.
    static func position(of text: String, in bytes: [UInt8]) throws -> Int {
        let needle = Array(text.utf8)
        let index = (0...(bytes.count - needle.count)).first { bytes[$0..<($0 + needle.count)].elementsEqual(needle) }
        return try #require(index, "\(text) is not in the file")
    }

    static func patch<T: FixedWidthInteger>(_ bytes: inout [UInt8], at offset: Int, _ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.replaceSubrange(offset..<(offset + $0.count), with: $0) }
    }

    /// The error opening `bytes` as a file gives, with the file's path.
    static func failure(_ bytes: [UInt8]) throws -> (error: GGUFError, path: String) {
        let url = try TestFiles.write(bytes)
        do {
            _ = try GGUFFile(contentsOf: url)
        } catch {
            return (error, url.path)
        }
        Issue.record("the file opened without an error")
        throw CancellationError()
    }

    @Test("the valid file used below opens")
    func valid() throws {
        let url = try TestFiles.write(try Self.validFile())
        let file = try GGUFFile(contentsOf: url)
        #expect(file.tensors.count == 2)
        #expect(try file.floats(of: file.tensors[1]) == Array(repeating: 1, count: 8))
    }

    @Test("a file that is not GGUF names what it starts with")
    func badMagic() throws {
        var bytes = try Self.validFile()
        bytes.replaceSubrange(0..<4, with: [0x50, 0x4B, 0x03, 0x04])
        let (error, path) = try Self.failure(bytes)
        #expect(error == .notGGUF(path: path, magic: [0x50, 0x4B, 0x03, 0x04]))
        #expect(error.description.hasPrefix("\(path) is not a GGUF file: it starts with \"PK..\" (50 4B 03 04) instead of \"GGUF\""))
    }

    @Test("versions other than 2 and 3 are refused with advice", arguments: [
        (UInt32(1), "is GGUF version 1, an early 2023 format"),
        (4, "is GGUF version 4, but only versions 2 and 3 are supported"),
        (0x0300_0000, "is a big-endian GGUF file (version 3)"),
    ])
    func versions(version: UInt32, message: String) throws {
        var bytes = try Self.validFile()
        Self.patch(&bytes, at: 4, version)
        let (error, path) = try Self.failure(bytes)
        #expect(error == .unsupportedVersion(path: path, version: version))
        #expect(error.description.contains(path + " " + message))
    }

    @Test("truncation in the header, metadata, tensor descriptions and data names what was being read and where")
    func truncation() throws {
        let bytes = try Self.validFile()
        let third = try Self.position(of: "ccc", in: bytes)
        let secondTensor = try Self.position(of: "blk.0.attn_k.weight", in: bytes)
        let cases: [(cut: Int, reading: String, offset: Int)] = [
            (2, "the magic number \"GGUF\"", 0),
            (13, "the tensor count", 8),
            (third + 1, "element 2 of array 'tokenizer.ggml.tokens'", third),
            (secondTensor + 21, "the number of dimensions of tensor 'blk.0.attn_k.weight'", secondTensor + 19),
        ]
        for (cut, reading, offset) in cases {
            let (error, path) = try Self.failure(Array(bytes[..<cut]))
            #expect(error == .truncated(path: path, reading: reading, offset: offset, fileSize: cut))
            #expect(error.description == "\(path) is truncated: it ends at byte \(cut) while reading \(reading) at byte "
                        + "\(offset); the file is incomplete, so download or copy it again")
        }
        let (error, path) = try Self.failure(Array(bytes.dropLast(10)))
        guard case .tensorOutOfBounds(path, "blk.0.attn_k.weight", _, bytes.count, bytes.count - 10) = error else {
            Issue.record("unexpected error: \(error)")
            return
        }
        #expect(error.description.contains("the data of tensor 'blk.0.attn_k.weight' runs from byte"))
    }

    /// Parses `bytes` in memory as `GGUFFile` does after mapping a file.
    static func parse(_ bytes: [UInt8]) throws(GGUFError) -> GGUFParser.Contents {
        let result: Result<GGUFParser.Contents, GGUFError> = bytes.withUnsafeBytes { raw in
            var parser = GGUFParser(path: "memory.gguf", bytes: raw)
            do throws(GGUFError) { return .success(try parser.parse()) } catch { return .failure(error) }
        }
        return try result.get()
    }

    @Test("every truncation of a valid file is reported as truncation")
    func everyPrefix() throws {
        let bytes = try Self.validFile()
        for count in 0..<bytes.count {
            do {
                _ = try Self.parse(Array(bytes[..<count]))
                Issue.record("a file cut at \(count) bytes parsed")
            } catch .truncated, .tensorOutOfBounds {
                continue
            } catch {
                Issue.record("a file cut at \(count) bytes gave \(error)")
            }
        }
    }

    @Test("random corruption of the header and tensor descriptions never crashes")
    func corruption() throws {
        let bytes = try Self.validFile()
        var generator = SeededGenerator(seed: 3)
        var parsed = 0
        for _ in 0..<3000 {
            var corrupt = bytes
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                corrupt[Int.random(in: 0..<(bytes.count - 96), using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            if (try? Self.parse(corrupt)) != nil { parsed += 1 }
        }
        #expect(parsed < 3000, "some corruptions are detected")
        #expect(parsed > 0, "some corruptions only change values")
    }

    @Test("a tensor of a type that cannot be dequantized names the tensor, the file and the type")
    func unsupportedType() throws {
        var writer = GGUFWriter()
        try writer.addTensor(name: "blk.3.ffn_up.weight", shape: [256], type: .q5_K, bytes: Array(repeating: 0, count: 176))
        let url = try TestFiles.write(writer.serialized())
        let file = try GGUFFile(contentsOf: url)
        let tensor = try #require(file.tensor(named: "blk.3.ffn_up.weight"))
        #expect(file.bytes(of: tensor).count == 176)
        let error = #expect(throws: GGUFError.unsupportedType(type: .q5_K, operation: "dequantize",
                                                              tensor: "blk.3.ffn_up.weight", path: url.path)) {
            try file.floats(of: tensor)
        }
        #expect(error?.description == "tensor 'blk.3.ffn_up.weight' in \(url.path) is Q5_K, which this library cannot "
                    + "dequantize; use a model quantized as F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q4_K or Q6_K")
    }

    @Test("an unknown tensor type is named, with its tensor and offset")
    func unknownType() throws {
        var bytes = try Self.validFile()
        let typeOffset = try Self.position(of: "blk.0.attn_k.weight", in: bytes) + 19 + 4 + 8
        Self.patch(&bytes, at: typeOffset, UInt32(19))
        let (error, path) = try Self.failure(bytes)
        #expect(error == .unknownTensorType(path: path, tensor: "blk.0.attn_k.weight", type: 19, offset: typeOffset))
        #expect(error.description.contains("tensor 'blk.0.attn_k.weight' has ggml type 19 (IQ1_S) at byte \(typeOffset)"))
    }

    @Test("corrupt tensor descriptions are refused, naming the tensor")
    func badTensorInfo() throws {
        let bytes = try Self.validFile()
        let first = try Self.position(of: "blk.0.attn_q.weight", in: bytes)
        let second = try Self.position(of: "blk.0.attn_k.weight", in: bytes)
        // Name at p, dimension count at p + 19, dimensions from p + 23, then type and offset.
        var cases: [(bytes: [UInt8], tensor: String, message: String)] = []
        var data = bytes
        Self.patch(&data, at: first + 23, UInt64(33))
        cases.append((data, "blk.0.attn_q.weight", "is Q8_0 with shape [33, 2], but its rows of 33 elements are not a whole number of 32-element blocks"))
        data = bytes
        Self.patch(&data, at: first + 19, UInt32(5))
        cases.append((data, "blk.0.attn_q.weight", "has 5 dimensions, but ggml allows at most 4"))
        data = bytes
        data.replaceSubrange(second..<(second + 19), with: Array("blk.0.attn_q.weight".utf8))
        cases.append((data, "blk.0.attn_q.weight", "appears a second time; tensor names must be unique"))
        data = bytes
        Self.patch(&data, at: second + 19 + 4 + 8 + 4, UInt64(8))
        cases.append((data, "blk.0.attn_k.weight", "starts at data offset 8, which is not a multiple of the alignment 32"))
        for (corrupt, tensor, message) in cases {
            let (error, path) = try Self.failure(corrupt)
            guard case .invalidTensorInfo(path, tensor, _, message) = error else {
                Issue.record("expected '\(message)', got \(error)")
                continue
            }
            #expect(error.description.contains("tensor '\(tensor)' (described at byte "))
        }
    }

    @Test("a tensor whose data runs past the end of the file is refused")
    func tensorPastEnd() throws {
        var bytes = try Self.validFile()
        let first = try Self.position(of: "blk.0.attn_q.weight", in: bytes)
        Self.patch(&bytes, at: first + 19 + 4 + 16 + 4, UInt64(64))     // where the F32 tensor starts
        let (error, path) = try Self.failure(bytes)
        guard case .tensorOutOfBounds(path, "blk.0.attn_q.weight", let start, let end, bytes.count) = error else {
            Issue.record("unexpected error: \(error)")
            return
        }
        #expect(end - start == 68 && end > bytes.count)
        #expect(error.description.contains("past the end of the file (\(bytes.count) bytes)"))
    }

    @Test("corrupt metadata is refused, naming the key and the offset")
    func badMetadata() throws {
        let bytes = try Self.validFile()
        var data = bytes
        let blockCount = try Self.position(of: "llama.block_count", in: bytes)
        Self.patch(&data, at: blockCount + 17, UInt32(13))
        var (error, path) = try Self.failure(data)
        #expect(error == .unknownValueType(path: path, key: "llama.block_count", type: 13, offset: blockCount + 17))

        data = bytes
        let keyB = try Self.position(of: "test.key_b", in: bytes)
        data.replaceSubrange(keyB..<(keyB + 10), with: Array("test.key_a".utf8))
        (error, path) = try Self.failure(data)
        #expect(error == .invalidMetadata(path: path, key: "test.key_a", offset: keyB - 8,
                                          reason: "appears a second time; keys must be unique, so the file is corrupt"))

        data = bytes
        data[keyB + 2] = 0xFF
        (error, path) = try Self.failure(data)
        #expect(error == .invalidString(path: path, what: "the key of metadata entry 4", offset: keyB))
    }

    @Test("absurd lengths and counts are refused before anything is allocated")
    func absurdLengths() throws {
        let bytes = try Self.validFile()
        let llama = try Self.position(of: "llama", in: bytes)          // the architecture's value
        let tokens = try Self.position(of: "tokenizer.ggml.tokens", in: bytes) + 21 + 4 + 4
        let cases: [(offset: Int, what: String)] = [
            (llama - 8, "the length of the value of key 'general.architecture'"),
            (tokens, "the element count of array 'tokenizer.ggml.tokens'"),
            (8, "the tensor count"),
            (16, "the metadata entry count"),
        ]
        for (offset, what) in cases {
            var data = bytes
            Self.patch(&data, at: offset, UInt64(1) << 62)
            let (error, path) = try Self.failure(data)
            #expect(error == .implausibleLength(path: path, what: what, length: 1 << 62, offset: offset, fileSize: bytes.count))
            #expect(error.description.contains("\(what) at byte \(offset) is 4611686018427387904, more than the whole file"))
        }
    }

    @Test("a general.alignment that is not a reasonable power of two is refused",
          arguments: [(GGUFValue.uint32(24), "24"), (.uint32(0), "0"), (.uint64(1 << 40), "1099511627776"), (.string("32"), "string(\"32\")")])
    func badAlignment(value: GGUFValue, shown: String) throws {
        var writer = GGUFWriter()
        writer.set("general.alignment", value)
        let (error, path) = try Self.failure(writer.serialized())
        #expect(error == .invalidMetadata(path: path, key: "general.alignment", offset: 24,
                                          reason: "is \(shown), but the alignment must be a power of two (usually 32); the file is corrupt"))
    }

    @Test("missing files, directories and empty files are refused with advice")
    func notAFile() throws {
        #expect(throws: GGUFError.cannotOpen(path: "/no/such/model.gguf", reason: "no such file; check the path")) {
            try GGUFFile(contentsOf: URL(fileURLWithPath: "/no/such/model.gguf"))
        }
        let directory = try TestFiles.scratchDirectory()
        #expect(throws: GGUFError.cannotOpen(path: directory.path, reason: "it is a directory; give the path of a .gguf file inside it")) {
            try GGUFFile(contentsOf: directory)
        }
        let (error, path) = try Self.failure([])
        #expect(error == .truncated(path: path, reading: "the magic number \"GGUF\"", offset: 0, fileSize: 0))
    }
}
