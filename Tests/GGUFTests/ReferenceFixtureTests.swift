import Foundation
import Testing
@testable import GGUF

/// reference.gguf.bin, written by gguf-py (scripts/reference/make_gguf_fixtures.py), against what
/// gguf-py itself reads and dequantizes (reference.json).
@Suite("the gguf-py reference file")
struct ReferenceFixtureTests {
    let file: GGUFFile
    let reference: Reference

    init() throws {
        file = try GGUFFile(contentsOf: TestFiles.referenceGGUF)
        reference = try TestFiles.reference()
    }

    @Test("the layout matches gguf-py's reading: version, alignment, key and tensor order, offsets")
    func layout() {
        #expect(file.version == reference.layout.version)
        #expect(file.alignment == reference.layout.alignment)
        #expect(file.dataOffset == reference.layout.dataOffset)
        #expect(file.metadataKeys == reference.layout.metadataKeys)
        #expect(file.tensors.map(\.name) == reference.layout.tensorNames)
        #expect(file.tensors.map(\.offset) == reference.layout.tensorOffsets)
    }

    @Test("metadata of every value type, nested arrays included, reads as gguf-py wrote it")
    func metadata() {
        #expect(file.metadata.count == reference.metadata.count)
        for (key, expected) in reference.metadata {
            #expect(file.metadata[key] == expected.value, "key \(key)")
        }
        #expect(file.architecture == "reference")
        #expect(file.int("test.uint64") == nil, "18e18 does not fit in an Int")
        #expect(file.int("test.int64") == -9_000_000_000_000_000_000)
        #expect(file.double("test.float32") == Double(Float(0.1)))
        #expect(file.metadata["test.array.nested"]?.arrayValue?.compactMap(\.intArray) == [[1, 2, 3], [4], [5, 6]])
        #expect(file.metadata["test.array.string"]?.stringArray == ["Ġthe", "<|im_start|>", "", "日本語"])
        #expect(file.metadata["test.array.float32"]?.floatArray == [1.5, -2.25, 3.0e38])
        #expect(file.metadata["test.array.bool"]?.intArray == nil)
    }

    @Test("every tensor dequantizes bit for bit as gguf.quants.dequantize does",
          arguments: ["plain.f32", "plain.f16", "quant.bf16", "quant.q8_0", "quant.q4_0", "quant.q4_1",
                      "kquant.q4_K", "kquant.q6_K"])
    func dequantization(name: String) throws {
        let expected = try #require(reference.tensors[name])
        let tensor = try #require(file.tensor(named: name))
        #expect(tensor.type == GGMLType(name: expected.type))
        #expect(tensor.shape == expected.shape)
        #expect(Array(file.bytes(of: tensor)) == expected.encoded)
        let values = try file.floats(of: tensor)
        try #require(values.count == expected.dequantized.count)
        let mismatch = values.indices.first { values[$0].bitPattern != expected.dequantized[$0].bitPattern }
        let index = mismatch ?? 0
        #expect(mismatch == nil, "first mismatch at \(index): \(values[index]) instead of \(expected.dequantized[index])")
    }

    @Test("quantizing gguf-py's inputs gives gguf-py's bytes",
          arguments: ["plain.f32", "plain.f16", "quant.bf16", "quant.q8_0", "quant.q4_0", "quant.q4_1"])
    func quantization(name: String) throws {
        let expected = try #require(reference.tensors[name])
        let input = try #require(expected.input)
        let type = try #require(GGMLType(name: expected.type))
        let bytes = try GGMLQuantization.quantize(type, input)
        let encoded = expected.encoded
        try #require(bytes.count == encoded.count)
        let mismatch = bytes.indices.first { bytes[$0] != encoded[$0] }
        #expect(mismatch == nil, "first differing byte at \(mismatch ?? 0) (block \((mismatch ?? 0) / type.bytesPerBlock))")
    }
}
