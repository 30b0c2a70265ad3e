import Foundation
import Testing
@testable import GGUF

/// The model finetune ships with, read whole; skipped when the file is absent.
@Suite("the real SmolLM2 model", .enabled(if: TestFiles.realModel != nil, "the model file is absent (set FINETUNE_TEST_MODEL)"))
struct RealModelTests {
    let file: GGUFFile
    let expected: Reference.RealModel

    init() throws {
        file = try GGUFFile(contentsOf: try #require(TestFiles.realModel))
        expected = try #require(try TestFiles.reference().realModel)
    }

    @Test("its header and metadata match what gguf-py reads")
    func metadata() throws {
        #expect(file.version == 3)
        #expect(file.fileSize == expected.fileSize)
        #expect(file.dataOffset == expected.dataOffset)
        #expect(file.metadataKeys.count == expected.metadataKeyCount)
        #expect(file.architecture == "llama")
        #expect(file.int("llama.block_count") == expected.blockCount)
        #expect(file.int("llama.embedding_length") == 576)
        #expect(file.double("llama.rope.freq_base") == expected.ropeFreqBase)
        #expect(file.metadata["tokenizer.ggml.add_bos_token"]?.boolValue == false)
        let tokens = try #require(file.metadata["tokenizer.ggml.tokens"]?.stringArray)
        #expect(tokens.count == expected.vocabularySize)
        for (index, token) in expected.tokens {
            #expect(tokens[try #require(Int(index))] == token)
        }
        #expect(file.metadata["tokenizer.ggml.merges"]?.stringArray?.count == expected.mergeCount)
        #expect(file.metadata["tokenizer.ggml.token_type"]?.intArray?.count == expected.vocabularySize)
        #expect(file.string("tokenizer.chat_template")?.contains("<|im_start|>") == true)
    }

    @Test("it has 272 tensors: 210 Q4_1, 61 F32 and token_embd.weight Q8_0")
    func tensors() throws {
        #expect(file.tensors.count == expected.tensorCount)
        var counts: [String: Int] = [:]
        for tensor in file.tensors { counts[tensor.type.name, default: 0] += 1 }
        #expect(counts == expected.tensorTypes)
        #expect(counts == ["Q4_1": 210, "F32": 61, "Q8_0": 1])
        let embedding = try #require(file.tensor(named: "token_embd.weight"))
        #expect(embedding.type == .q8_0)
        #expect(embedding.shape == [576, 49152])
        #expect(file.tensor(named: "blk.29.ffn_down.weight")?.shape == [1536, 576])
        #expect(file.tensor(named: "blk.30.ffn_down.weight") == nil)
    }

    @Test("rows of token_embd (Q8_0), blk.0.attn_q (Q4_1) and a norm (F32) dequantize exactly as gguf-py's do",
          arguments: ["token_embd.weight", "blk.0.attn_q.weight", "blk.0.attn_norm.weight"])
    func rows(name: String) throws {
        let reference = try #require(expected.tensors[name])
        let tensor = try #require(file.tensor(named: name))
        #expect(tensor.type.name == reference.type)
        #expect(tensor.shape == reference.shape)
        let rowLength = tensor.shape[0]
        let bytes = file.bytes(of: tensor)
        let rowBytes = try #require(tensor.type.byteCount(elements: rowLength))
        for (index, values) in reference.rows {
            let row = try #require(Int(index))
            var decoded = [Float](repeating: .nan, count: rowLength)
            try decoded.withUnsafeMutableBufferPointer { destination in
                let source = UnsafeRawBufferPointer(rebasing: bytes[(row * rowBytes)..<((row + 1) * rowBytes)])
                try GGMLQuantization.dequantize(tensor.type, source, into: destination)
            }
            let worst = maxDifference(decoded, values)
            let index = max(worst.index, 0)
            #expect(worst.index == -1, "row \(row) of \(name): \(decoded[index]) instead of \(values[index]) at \(index)")
        }
        // The whole-tensor path gives the same rows.
        let all = try file.floats(of: tensor)
        #expect(all.count == tensor.elementCount)
        for (index, values) in reference.rows {
            let row = try #require(Int(index))
            #expect(maxDifference(Array(all[(row * rowLength)..<((row + 1) * rowLength)]), values).index == -1)
        }
    }

    @Test("quantizing the dequantized values again gives back the file's bytes (ggml's reference quantizers)",
          arguments: ["blk.0.attn_q.weight", "blk.0.ffn_down.weight", "blk.29.attn_v.weight", "token_embd.weight"])
    func requantize(name: String) throws {
        let tensor = try #require(file.tensor(named: name))
        let values = try file.floats(of: tensor)
        let bytes = try GGMLQuantization.quantize(tensor.type, values)
        let original = Array(file.bytes(of: tensor))
        if bytes != original {
            let mismatch = bytes.indices.first { bytes[$0] != original[$0] } ?? bytes.count
            Issue.record("first differing byte at \(mismatch) of \(bytes.count) (block \(mismatch / tensor.type.bytesPerBlock))")
        }
    }

    @Test("parsing the header and the 150,000 metadata values takes well under 100 ms")
    func speed() throws {
        let url = try #require(TestFiles.realModel)
        var timings: [Duration] = []
        for _ in 0..<5 {
            let clock = ContinuousClock()
            let start = clock.now
            let reopened = try GGUFFile(contentsOf: url)
            timings.append(clock.now - start)
            #expect(reopened.tensors.count == 272)
        }
        let median = timings.sorted()[timings.count / 2]
        #expect(median < .milliseconds(100), "median parse time \(median)")
    }
}
