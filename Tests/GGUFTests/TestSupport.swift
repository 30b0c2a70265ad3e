import ChatDataset
import Foundation
@testable import GGUF

/// Paths and decoded fixtures shared by the GGUF tests.
enum TestFiles {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// The GGUF written by scripts/reference/make_gguf_fixtures.py with gguf-py (".bin" because
    /// the repository ignores *.gguf).
    static let referenceGGUF = fixtures.appendingPathComponent("reference.gguf.bin")

    /// What gguf-py wrote into `referenceGGUF` and read from the real model.
    static func reference() throws -> Reference {
        let data = try Data(contentsOf: fixtures.appendingPathComponent("reference.json"))
        return try JSONDecoder().decode(Reference.self, from: data)
    }

    /// The real model: $FINETUNE_TEST_MODEL, else
    /// $FINETUNE_HOME/models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf (FINETUNE_HOME
    /// defaults to ~/.cache/finetune); nil when the file is absent.
    static let realModel: URL? = {
        let environment = ProcessInfo.processInfo.environment
        let path: String
        if let explicit = environment["FINETUNE_TEST_MODEL"], !explicit.isEmpty {
            path = explicit
        } else {
            let home = environment["FINETUNE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
                ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/finetune").path
            path = home + "/models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf"
        }
        return FileManager.default.fileExists(atPath: path) ? URL(fileURLWithPath: path) : nil
    }()

    /// A new, empty directory for one test.
    static func scratchDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("gguf-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes `bytes` to a new file named `name` in a scratch directory.
    static func write(_ bytes: [UInt8], name: String = "test.gguf") throws -> URL {
        let url = try scratchDirectory().appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url
    }
}

/// reference.json.
struct Reference: Decodable {
    struct Layout: Decodable {
        let version: UInt32
        let alignment: Int
        let dataOffset: Int
        let metadataKeys: [String]
        let tensorNames: [String]
        let tensorOffsets: [Int]
        enum CodingKeys: String, CodingKey {
            case version, alignment
            case dataOffset = "data_offset", metadataKeys = "metadata_keys"
            case tensorNames = "tensor_names", tensorOffsets = "tensor_offsets"
        }
    }

    struct Tensor: Decodable {
        let type: String
        let shape: [Int]
        let bytes: String
        let dequantized: [Float]
        let input: [Float]?

        /// The encoded bytes, decoded from hex.
        var encoded: [UInt8] {
            var result: [UInt8] = []
            var iterator = bytes.utf8.makeIterator()
            while let high = iterator.next(), let low = iterator.next() {
                result.append(UInt8(Self.nibble(high) << 4 | Self.nibble(low)))
            }
            return result
        }

        private static func nibble(_ c: UInt8) -> UInt8 { c <= 57 ? c - 48 : c - 87 }
    }

    struct RealModel: Decodable {
        struct Rows: Decodable {
            let type: String
            let shape: [Int]
            let rows: [String: [Float]]
        }
        let fileSize: Int
        let dataOffset: Int
        let metadataKeyCount: Int
        let tensorCount: Int
        let tensorTypes: [String: Int]
        let blockCount: Int
        let vocabularySize: Int
        let mergeCount: Int
        let tokens: [String: String]
        let ropeFreqBase: Double
        let tensors: [String: Rows]
        enum CodingKeys: String, CodingKey {
            case fileSize = "file_size", dataOffset = "data_offset", metadataKeyCount = "metadata_key_count"
            case tensorCount = "tensor_count", tensorTypes = "tensor_types", blockCount = "block_count"
            case vocabularySize = "vocabulary_size", mergeCount = "merge_count", tokens
            case ropeFreqBase = "rope_freq_base", tensors
        }
    }

    let layout: Layout
    let metadata: [String: TypedValue]
    let tensors: [String: Tensor]
    let realModel: RealModel?

    enum CodingKeys: String, CodingKey {
        case layout, metadata, tensors, realModel = "real_model"
    }
}

/// A metadata value as the script writes it: `{"type": "uint16", "value": 60000}`.
struct TypedValue: Decodable {
    let value: GGUFValue

    enum CodingKeys: String, CodingKey { case type, value }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        func decode<T: Decodable>(_: T.Type) throws -> T { try container.decode(T.self, forKey: .value) }
        value = switch type {
        case "uint8": .uint8(try decode(UInt8.self))
        case "int8": .int8(try decode(Int8.self))
        case "uint16": .uint16(try decode(UInt16.self))
        case "int16": .int16(try decode(Int16.self))
        case "uint32": .uint32(try decode(UInt32.self))
        case "int32": .int32(try decode(Int32.self))
        case "uint64": .uint64(try decode(UInt64.self))
        case "int64": .int64(try decode(Int64.self))
        case "float32": .float32(try decode(Float.self))
        case "float64": .float64(try decode(Double.self))
        case "bool": .bool(try decode(Bool.self))
        case "string": .string(try decode(String.self))
        case "array": .array(try decode([TypedValue].self).map(\.value))
        default: throw DecodingError.dataCorruptedError(forKey: .type, in: container, debugDescription: "unknown type \(type)")
        }
    }
}

extension GGMLType {
    /// The type of ggml name `name` ("Q4_1").
    init?(name: String) {
        guard let type = GGMLType.allCases.first(where: { $0.name == name }) else { return nil }
        self = type
    }
}

/// The largest absolute difference between two equally long arrays, with its index.
func maxDifference(_ a: [Float], _ b: [Float]) -> (value: Float, index: Int) {
    var worst: (value: Float, index: Int) = (0, -1)
    for index in a.indices where abs(a[index] - b[index]) > worst.value || (a[index].isNaN != b[index].isNaN) {
        worst = (a[index].isNaN != b[index].isNaN ? .infinity : abs(a[index] - b[index]), index)
    }
    return worst
}

/// ChatDataset's SplitMix64 generator, so failures reproduce.
extension SeededGenerator {
    /// Roughly normal values (sum of uniforms), scaled.
    mutating func normals(_ count: Int, scale: Float = 1) -> [Float] {
        (0..<count).map { _ in
            var sum: Float = 0
            for _ in 0..<4 { sum += Float.random(in: -1...1, using: &self) }
            return sum * 0.87 * scale
        }
    }
}

/// `GGMLQuantization.dequantize` into a new array. (A closure annotated `throws(GGUFError)` inside
/// `withUnsafeBytes` crashes the Swift 6.3 compiler, so the error is carried out as a value.)
func dequantized(_ type: GGMLType, _ bytes: [UInt8], count: Int) throws(GGUFError) -> [Float] {
    var output = [Float](repeating: .nan, count: count)
    let failure: GGUFError? = bytes.withUnsafeBytes { source in
        output.withUnsafeMutableBufferPointer { destination -> GGUFError? in
            do throws(GGUFError) {
                try GGMLQuantization.dequantize(type, source, into: destination)
                return nil
            } catch {
                return error
            }
        }
    }
    if let failure { throw failure }
    return output
}
