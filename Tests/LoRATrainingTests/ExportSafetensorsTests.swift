import Foundation
import GGUF
@testable import LoRATraining
import Testing

@Suite("Safetensors reading and writing")
struct ExportSafetensorsTests {
    static let tensors: [(name: String, shape: [Int], values: [Float])] = {
        var random = TestValues(seed: 11)
        return [
            ("layer.weight", [3, 5], random.array(15, scale: 4)),
            ("bias", [7], random.array(7)),
            ("odd \"name\"/é", [2, 1, 3], random.array(6, scale: 100)),
            ("scalar", [], [0.1]),
            ("empty", [0, 4], []),
        ]
    }()

    /// The values after rounding to `dtype`, as the GGUF library rounds them.
    static func rounded(_ values: [Float], _ dtype: SafetensorsDType) throws -> [Float] {
        let bytes = try GGMLQuantization.quantize(dtype == .f32 ? .f32 : dtype == .f16 ? .f16 : .bf16, values)
        var out = [Float](repeating: 0, count: values.count)
        try bytes.withUnsafeBytes { source in
            try out.withUnsafeMutableBufferPointer { try GGMLQuantization.dequantize(dtype == .f32 ? .f32 : dtype == .f16 ? .f16 : .bf16, source, into: $0) }
        }
        return out
    }

    func temporaryFile() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("export-\(UUID().uuidString).safetensors")
    }

    @Test("every dtype round-trips: names, shapes, metadata and values (rounded once)", arguments: SafetensorsDType.allCases)
    func roundTrip(dtype: SafetensorsDType) throws {
        let url = temporaryFile()
        defer { try? FileManager.default.removeItem(at: url) }
        try SafetensorsWriter.write(Self.tensors, metadata: ["format": "pt", "note": "a \"quoted\"\nline"], dtype: dtype, to: url)
        let file = try SafetensorsFile.read(url)
        #expect(file.metadata == ["format": "pt", "note": "a \"quoted\"\nline"])
        #expect(file.names == Self.tensors.map(\.name))
        for tensor in Self.tensors {
            let read = try #require(file.tensors[tensor.name])
            #expect(read.shape == tensor.shape)
            #expect(read.dtype == dtype)
            #expect(read.values == (try Self.rounded(tensor.values, dtype)), "\(tensor.name)")
        }
        // Reading what was read and writing it again changes nothing.
        let again = temporaryFile()
        defer { try? FileManager.default.removeItem(at: again) }
        try SafetensorsWriter.write(file.names.map { ($0, file.tensors[$0]!.shape, file.tensors[$0]!.values) },
                                    metadata: file.metadata, dtype: dtype, to: again)
        #expect(try Data(contentsOf: again) == (try Data(contentsOf: url)))
    }

    @Test("the layout: u64 LE header size, space-padded JSON to a multiple of 8, contiguous offsets")
    func headerLayout() throws {
        let url = temporaryFile()
        defer { try? FileManager.default.removeItem(at: url) }
        try SafetensorsWriter.write(Self.tensors, metadata: ["format": "pt"], dtype: .f16, to: url)
        let bytes = [UInt8](try Data(contentsOf: url))
        let size = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        #expect((8 + size) % 8 == 0)
        #expect(8 + size <= bytes.count)
        let header = Array(bytes[8..<(8 + size)])
        #expect(header.first == UInt8(ascii: "{"))
        let json = String(decoding: header, as: UTF8.self)
        let trimmed = json.replacingOccurrences(of: " +$", with: "", options: .regularExpression)
        #expect(trimmed.hasSuffix("}"))
        #expect(json.count - trimmed.count < 8, "padding is at most 7 spaces")
        #expect(json.hasPrefix("{\"__metadata__\":{\"format\":\"pt\"}"))

        let object = try #require(try JSONSerialization.jsonObject(with: Data(header)) as? [String: Any])
        #expect(object.count == Self.tensors.count + 1)
        var ranges: [(Int, Int)] = []
        for tensor in Self.tensors {
            let entry = try #require(object[tensor.name] as? [String: Any])
            #expect(entry["dtype"] as? String == "F16")
            #expect((entry["shape"] as? [Int]) == tensor.shape)
            let offsets = try #require(entry["data_offsets"] as? [Int])
            #expect(offsets[1] - offsets[0] == 2 * tensor.values.count)
            ranges.append((offsets[0], offsets[1]))
        }
        ranges.sort { $0 < $1 }
        #expect(ranges.first?.0 == 0)
        for (previous, next) in zip(ranges, ranges.dropFirst()) { #expect(previous.1 == next.0) }
        #expect(ranges.last?.1 == bytes.count - 8 - size)
    }

    /// A file made of a header text and `data` bytes (the header is not padded unless the text is).
    static func file(header: String, data: [UInt8] = [], declaredSize: Int? = nil) -> [UInt8] {
        let text = Array(header.utf8)
        let size = UInt64(declaredSize ?? text.count)
        return withUnsafeBytes(of: size.littleEndian) { Array($0) } + text + data
    }

    static let malformed: [(label: String, bytes: [UInt8])] = [
        ("shorter than the size field", [1, 2, 3]),
        ("header size past the end", file(header: "{}", declaredSize: 50)),
        ("header size above the limit", file(header: "{}", declaredSize: 200_000_000)),
        ("not JSON", file(header: "{\"a\": [1, 2")),
        ("not starting with a brace", file(header: " {}")),
        ("entry without dtype", file(header: "{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", data: [0, 0, 0, 0])),
        ("offsets past the data (truncated)", file(header: "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", data: [0, 0, 0, 0])),
        ("offsets not matching the shape", file(header: "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", data: [0, 0, 0, 0])),
        ("a gap between tensors", file(header: "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", data: .init(repeating: 0, count: 12))),
        ("data left over after the tensors", file(header: "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", data: .init(repeating: 0, count: 8))),
        ("begin after end", file(header: "{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,0]}}", data: .init(repeating: 0, count: 4))),
        ("negative shape", file(header: "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", data: .init(repeating: 0, count: 4))),
        ("unknown dtype", file(header: "{\"w\":{\"dtype\":\"F17\",\"shape\":[1],\"data_offsets\":[0,4]}}", data: .init(repeating: 0, count: 4))),
        ("metadata not strings", file(header: "{\"__metadata__\":{\"a\":1}}")),
    ]

    @Test("malformed files give ExportError.malformedSafetensors, not a crash", arguments: 0..<malformed.count)
    func malformedFiles(index: Int) throws {
        let (label, bytes) = Self.malformed[index]
        let error = try #require(throws: ExportError.self, "\(label)") {
            try bytes.withUnsafeBytes { try SafetensorsFile.parse($0, path: "bad.safetensors") }
        }
        guard case .malformedSafetensors(let path, let reason) = error else {
            Issue.record("\(label): got \(error)")
            return
        }
        #expect(path == "bad.safetensors")
        #expect(error.description.contains("bad.safetensors") && !reason.isEmpty)
    }

    @Test("a tensor of a dtype that isn't F32, F16 or BF16 is named in the error")
    func unsupportedDType() throws {
        let bytes = Self.file(header: "{\"ids\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", data: .init(repeating: 0, count: 8))
        #expect(throws: ExportError.unsupportedDType(path: "x.safetensors", tensor: "ids", dtype: "I64")) {
            try bytes.withUnsafeBytes { try SafetensorsFile.parse($0, path: "x.safetensors") }
        }
    }

    @Test("a truncated file on disk is reported with its path")
    func truncatedOnDisk() throws {
        let url = temporaryFile()
        defer { try? FileManager.default.removeItem(at: url) }
        try SafetensorsWriter.write(Self.tensors, dtype: .f32, to: url)
        let whole = try Data(contentsOf: url)
        try whole.prefix(whole.count - 3).write(to: url)
        let error = try #require(throws: ExportError.self) { try SafetensorsFile.read(url) }
        #expect(error.description.contains(url.path))
        #expect(throws: ExportError.self) { try SafetensorsFile.read(url.appendingPathExtension("missing")) }
    }

    @Test("writes are atomic: an existing file is replaced whole, a missing folder is an error and leaves nothing")
    func atomicWrites() throws {
        let directory = try ExportFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("w.safetensors")
        try SafetensorsWriter.write([("a", [2], [1, 2])], to: url)
        try SafetensorsWriter.write([("b", [3], [1, 2, 3])], to: url)
        #expect(try SafetensorsFile.read(url).names == ["b"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["w.safetensors"])

        let nowhere = directory.appendingPathComponent("no/such/folder/w.safetensors")
        #expect {
            try SafetensorsWriter.write([("a", [1], [1])], to: nowhere)
        } throws: { error in
            guard case .cannotWrite(let path, let reason)? = error as? ExportError else { return false }
            return path == nowhere.path && reason.contains("does not exist")
        }
    }

    @Test("bad tensors are refused before anything is written")
    func invalidTensors() throws {
        let url = temporaryFile()
        #expect(throws: ExportError.self) { try SafetensorsWriter.write([("a", [2, 2], [1, 2, 3])], to: url) }
        #expect(throws: ExportError.self) { try SafetensorsWriter.write([("a", [1], [1]), ("a", [1], [2])], to: url) }
        #expect(!FileManager.default.fileExists(atPath: url.path))
    }
}
