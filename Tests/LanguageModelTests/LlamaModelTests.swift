import Foundation
import GGUF
import TensorCore
import Testing
@testable import LanguageModel

@Suite("Llama forward pass on tiny models")
struct LlamaModelTests {
    static let prompt = [5, 17, 99, 0, 42, 42, 7, 63, 1, 88, 23, 50, 12, 3, 77, 31, 9, 64, 2, 11]

    @Test("logits at every position match a naive double-precision forward pass",
          arguments: [GGMLType.f32, .f16, .q8_0, .q4_0, .q4_1], [true, false])
    func matchesNaiveReference(type: GGMLType, tied: Bool) throws {
        let tiny = try TinyLlama(type: type, tied: tied)
        defer { tiny.remove() }
        let model = try LlamaModel(file: try GGUFFile(contentsOf: tiny.url), threads: 2)
        let logits = try model.forward(Self.prompt, session: model.makeSession(), logits: .all)
        let worst = worstRelativeDifference(logits, tiny.referenceLogits(Self.prompt))
        #expect(worst < 1e-4, "\(type.name) tied=\(tied): worst relative difference \(worst)")
    }

    @Test("decoding token by token with the KV cache gives the logits of one batched pass")
    func incrementalDecodeMatchesBatch() throws {
        let tiny = try TinyLlama(type: .q4_1)
        defer { tiny.remove() }
        let model = try LlamaModel(file: try GGUFFile(contentsOf: tiny.url), threads: 2)
        let batched = try model.forward(Self.prompt, session: model.makeSession(), logits: .all)
        let session = model.makeSession()
        var stepwise: [Float] = []
        for token in Self.prompt { stepwise += try model.forward([token], session: session, logits: .last) }
        #expect(session.count == Self.prompt.count)
        let scale = batched.map(abs).max()!
        let worst = zip(batched, stepwise).map { abs($0 - $1) }.max()! / scale
        #expect(worst < 1e-5, "worst relative difference \(worst)")
    }

    @Test("a prompt longer than the batch is processed in chunks with the same result")
    func chunkedPrefill() throws {
        let tiny = try TinyLlama(type: .q8_0)
        defer { tiny.remove() }
        let model = try LlamaModel(file: try GGUFFile(contentsOf: tiny.url), threads: 2)
        let whole = try model.forward(Self.prompt, session: model.makeSession(batch: 64), logits: .all)
        let chunked = try model.forward(Self.prompt, session: model.makeSession(batch: 7), logits: .all)
        let scale = whole.map(abs).max()!
        #expect(zip(whole, chunked).map { abs($0 - $1) }.max()! / scale < 1e-5)
        let last = try model.forward(Self.prompt, session: model.makeSession(batch: 7), logits: .last)
        #expect(last == Array(chunked.suffix(TinyLlama.configuration.vocabularySize)))
    }

    @Test("the portable kernels and the AVX-512 kernels agree on the whole model")
    func portableKernelsAgree() throws {
        let tiny = try TinyLlama(type: .q4_1)
        defer { tiny.remove() }
        let model = try LlamaModel(file: try GGUFFile(contentsOf: tiny.url), threads: 1)
        let fast = try model.forward(Self.prompt, session: model.makeSession(), logits: .all)
        Kernels.setVectorized(false)
        defer { Kernels.setVectorized(true) }
        let portable = try model.forward(Self.prompt, session: model.makeSession(), logits: .all)
        let scale = fast.map(abs).max()!
        #expect(zip(fast, portable).map { abs($0 - $1) }.max()! / scale < 1e-5)
    }

    @Test("a session can be truncated and continued (prompt-prefix reuse)")
    func truncateAndContinue() throws {
        let tiny = try TinyLlama(type: .f16)
        defer { tiny.remove() }
        let model = try LlamaModel(file: try GGUFFile(contentsOf: tiny.url), threads: 2)
        let session = model.makeSession()
        _ = try model.forward(Self.prompt, session: session, logits: .none)
        session.truncate(to: 10)
        let resumed = try model.forward(Array(Self.prompt[10...]), session: session, logits: .last)
        let fresh = try model.forward(Self.prompt, session: model.makeSession(), logits: .last)
        #expect(zip(resumed, fresh).map { abs($0 - $1) }.max()! < 1e-4)
        #expect(session.tokens == Self.prompt)
    }
}

@Suite("Llama bad input")
struct LlamaBadInputTests {
    @Test("another architecture is refused by name")
    func otherArchitecture() throws {
        let tiny = try TinyLlama(architecture: "qwen2")
        defer { tiny.remove() }
        let error = #expect(throws: LanguageModelError.self) { try LlamaModel(file: try GGUFFile(contentsOf: tiny.url)) }
        #expect(error?.description.contains("'qwen2'") == true)
    }

    @Test("empty prompts, out-of-range tokens and context overflow are errors")
    func badPrompts() throws {
        let tiny = try TinyLlama()
        defer { tiny.remove() }
        let model = try LlamaModel(file: try GGUFFile(contentsOf: tiny.url), threads: 1)
        #expect(throws: LanguageModelError.emptyPrompt) { try model.forward([], session: model.makeSession()) }
        #expect(throws: LanguageModelError.tokenOutOfRange(id: 100, vocabularySize: 100)) {
            try model.forward([1, 100], session: model.makeSession())
        }
        #expect(throws: LanguageModelError.tokenOutOfRange(id: -1, vocabularySize: 100)) {
            try model.forward([-1], session: model.makeSession())
        }
        let session = model.makeSession(capacity: 8)
        #expect(throws: LanguageModelError.contextOverflow(tokens: 9, contextLength: 8)) {
            try model.forward(Array(repeating: 3, count: 9), session: session)
        }
        #expect(session.count == 0)
    }

    @Test("weights in a quantization the runtime can't run are refused by tensor and type")
    func unsupportedQuantization() throws {
        var writer = GGUFWriter()
        writer.set("general.architecture", .string("llama"))
        for (key, value) in [("block_count", 1), ("embedding_length", 256), ("feed_forward_length", 256),
                             ("attention.head_count", 2), ("context_length", 16)] {
            writer.set("llama." + key, .uint32(UInt32(value)))
        }
        let square = [Float](repeating: 0.01, count: 256 * 256)
        try writer.addTensor(name: "token_embd.weight", shape: [256, 8], values: Array(repeating: 0.1, count: 2048), as: .f32)
        try writer.addTensor(name: "output_norm.weight", shape: [256], values: Array(repeating: 1, count: 256), as: .f32)
        try writer.addTensor(name: "blk.0.attn_norm.weight", shape: [256], values: Array(repeating: 1, count: 256), as: .f32)
        // Q5_K: 256 values per 176-byte block; GGUF reads it, the runtime has no kernel or dequantizer for it.
        try writer.addTensor(name: "blk.0.attn_q.weight", shape: [256, 256], type: .q5_K, bytes: Array(repeating: 0, count: 256 * 176))
        for name in ["attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"] {
            try writer.addTensor(name: "blk.0.\(name).weight", shape: [256, 256], values: square, as: .f32)
        }
        try writer.addTensor(name: "blk.0.ffn_norm.weight", shape: [256], values: Array(repeating: 1, count: 256), as: .f32)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("q5k-\(UUID().uuidString).gguf")
        try writer.write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let error = #expect(throws: LanguageModelError.self) { try LlamaModel(file: try GGUFFile(contentsOf: url)) }
        #expect(error?.description.contains("blk.0.attn_q.weight") == true)
        #expect(error?.description.contains("Q5_K") == true)
    }

    @Test("a missing tensor is named")
    func missingTensor() throws {
        var writer = GGUFWriter()
        writer.set("general.architecture", .string("llama"))
        for (key, value) in [("block_count", 1), ("embedding_length", 32), ("feed_forward_length", 32),
                             ("attention.head_count", 2), ("context_length", 16)] {
            writer.set("llama." + key, .uint32(UInt32(value)))
        }
        try writer.addTensor(name: "token_embd.weight", shape: [32, 10], values: Array(repeating: 0.1, count: 320), as: .f32)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("broken-\(UUID().uuidString).gguf")
        try writer.write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let error = #expect(throws: LanguageModelError.self) { try LlamaModel(file: try GGUFFile(contentsOf: url)) }
        #expect(error?.description.contains("output_norm.weight") == true)
    }
}
