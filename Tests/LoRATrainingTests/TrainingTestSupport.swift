import ChatDataset
import Foundation
import GGUF
import LanguageModel
@testable import LoRATraining
import TensorCore

/// A small random Llama written to a temporary GGUF file, for gradient checks.
struct TinyTrainingModel {
    static let configuration = LlamaConfiguration(
        layerCount: 2, embeddingLength: 32, feedForwardLength: 48, headCount: 4, kvHeadCount: 2,
        ropeFrequencyBase: 10_000, rmsNormEpsilon: 1e-5, contextLength: 64, vocabularySize: 40)

    let url: URL
    let model: LlamaModel

    init(seed: UInt64 = 7, threads: Int = 2) throws {
        let c = Self.configuration
        var random = SeededGenerator(seed: seed)
        func uniform() -> Float { Float(Double(random.next() >> 11) / Double(1 << 52) - 1) }
        var writer = GGUFWriter()
        writer.set("general.architecture", .string("llama"))
        writer.set("general.name", .string("tiny-training"))
        writer.set("llama.block_count", .uint32(UInt32(c.layerCount)))
        writer.set("llama.embedding_length", .uint32(UInt32(c.embeddingLength)))
        writer.set("llama.feed_forward_length", .uint32(UInt32(c.feedForwardLength)))
        writer.set("llama.attention.head_count", .uint32(UInt32(c.headCount)))
        writer.set("llama.attention.head_count_kv", .uint32(UInt32(c.kvHeadCount)))
        writer.set("llama.rope.freq_base", .float32(c.ropeFrequencyBase))
        writer.set("llama.attention.layer_norm_rms_epsilon", .float32(c.rmsNormEpsilon))
        writer.set("llama.context_length", .uint32(UInt32(c.contextLength)))
        func add(_ name: String, rows: Int, columns: Int, scale: Float) throws {
            let values = (0..<(rows * columns)).map { _ in uniform() * scale }
            try writer.addTensor(name: name, shape: [columns, rows], values: values, as: .f32)
        }
        func norm(_ name: String) throws {
            try writer.addTensor(name: name, shape: [c.embeddingLength], values: (0..<c.embeddingLength).map { _ in 1 + 0.2 * uniform() }, as: .f32)
        }
        let C = c.embeddingLength, F = c.feedForwardLength
        try add("token_embd.weight", rows: c.vocabularySize, columns: C, scale: 1)
        for layer in 0..<c.layerCount {
            let p = "blk.\(layer)."
            try norm(p + "attn_norm.weight")
            try add(p + "attn_q.weight", rows: c.queryWidth, columns: C, scale: 0.4)
            try add(p + "attn_k.weight", rows: c.kvWidth, columns: C, scale: 0.4)
            try add(p + "attn_v.weight", rows: c.kvWidth, columns: C, scale: 0.4)
            try add(p + "attn_output.weight", rows: C, columns: c.queryWidth, scale: 0.3)
            try norm(p + "ffn_norm.weight")
            try add(p + "ffn_gate.weight", rows: F, columns: C, scale: 0.4)
            try add(p + "ffn_up.weight", rows: F, columns: C, scale: 0.4)
            try add(p + "ffn_down.weight", rows: C, columns: F, scale: 0.3)
        }
        try norm("output_norm.weight")
        url = FileManager.default.temporaryDirectory.appendingPathComponent("tiny-training-\(UUID().uuidString).gguf")
        try writer.write(to: url)
        model = try LlamaModel(file: try GGUFFile(contentsOf: url), threads: threads)
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// Deterministic values in [-1, 1) for test inputs.
struct TestValues {
    var generator: SeededGenerator
    init(seed: UInt64) { generator = SeededGenerator(seed: seed) }
    mutating func next() -> Float { Float(Double(generator.next() >> 11) / Double(1 << 52) - 1) }
    mutating func array(_ count: Int, scale: Float = 1) -> [Float] { (0..<count).map { _ in next() * scale } }
}

/// Compares an analytic gradient with central finite differences of `loss` (in f64) at chosen
/// indices; returns the worst |analytic − numeric| relative to the largest |analytic|.
func finiteDifferenceError(values: inout [Float], analytic: [Float], indices: [Int], step: Float,
                           loss: ([Float]) -> Double) -> (worst: Double, index: Int) {
    let scale = max(indices.map { Double(abs(analytic[$0])) }.max() ?? 0, 1e-6)
    var worst = 0.0, worstIndex = -1
    for i in indices {
        let saved = values[i]
        values[i] = saved + step
        let plus = loss(values)
        values[i] = saved - step
        let minus = loss(values)
        values[i] = saved
        let numeric = (plus - minus) / (2 * Double(step))
        let error = abs(numeric - Double(analytic[i])) / scale
        if error > worst { worst = error; worstIndex = i }
    }
    return (worst, worstIndex)
}
