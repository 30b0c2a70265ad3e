import ChatDataset
import Foundation
import GGUF
import LanguageModel
@testable import LoRATraining
import TensorCore

/// A small random Llama written with GGUFWriter to a temporary file (after
/// Tests/LanguageModelTests/TinyLlama.swift, which this target cannot import). Two presets:
/// `forTraining()`, all F32 and narrow, for the gradient and checkpoint tests, and `forExport()`,
/// widths that are multiples of 32 so that every weight can be stored as Q8_0.
struct TinyLlamaFile {
    /// The gradient checks' widths: small enough for finite differences over every adapter.
    static let trainingConfiguration = LlamaConfiguration(
        layerCount: 2, embeddingLength: 32, feedForwardLength: 48, headCount: 4, kvHeadCount: 2,
        ropeFrequencyBase: 10_000, rmsNormEpsilon: 1e-5, contextLength: 64, vocabularySize: 40)
    /// The export tests' widths: multiples of 32, Q8_0's block.
    static let exportConfiguration = LlamaConfiguration(
        layerCount: 2, embeddingLength: 64, feedForwardLength: 96, headCount: 4, kvHeadCount: 2,
        ropeFrequencyBase: 10_000, rmsNormEpsilon: 1e-5, contextLength: 128, vocabularySize: 100)

    let configuration: LlamaConfiguration
    let url: URL

    /// Writes the model (named "tiny-llama", tokens "t0", "t1", …) to a temporary file.
    /// - Parameters:
    ///   - type: the linear weights' type; `embeddingType` the token embedding's; norms are F32.
    ///   - scales: weights are uniform in ±`input` for attn_q/k/v and ffn_gate/up, ±`output` for
    ///     attn_output and ffn_down; the embedding in ±1, the norms in 1 ± 0.2.
    ///   - seed: of the values, drawn in file order.
    init(_ configuration: LlamaConfiguration, type: GGMLType, embeddingType: GGMLType,
         scales: (input: Float, output: Float), seed: UInt64) throws {
        let c = configuration
        var random = TestValues(seed: seed)
        var writer = GGUFWriter()
        writer.set("general.architecture", .string("llama"))
        writer.set("general.name", .string("tiny-llama"))
        writer.set("general.file_type", .uint32(0))
        writer.set("llama.block_count", .uint32(UInt32(c.layerCount)))
        writer.set("llama.embedding_length", .uint32(UInt32(c.embeddingLength)))
        writer.set("llama.feed_forward_length", .uint32(UInt32(c.feedForwardLength)))
        writer.set("llama.attention.head_count", .uint32(UInt32(c.headCount)))
        writer.set("llama.attention.head_count_kv", .uint32(UInt32(c.kvHeadCount)))
        writer.set("llama.rope.freq_base", .float32(c.ropeFrequencyBase))
        writer.set("llama.attention.layer_norm_rms_epsilon", .float32(c.rmsNormEpsilon))
        writer.set("llama.context_length", .uint32(UInt32(c.contextLength)))
        writer.set("tokenizer.ggml.tokens", .array((0..<c.vocabularySize).map { .string("t\($0)") }))
        func add(_ name: String, rows: Int, columns: Int, type: GGMLType, scale: Float) throws {
            try writer.addTensor(name: name, shape: [columns, rows], values: random.array(rows * columns, scale: scale), as: type)
        }
        func norm(_ name: String) throws {
            try writer.addTensor(name: name, shape: [c.embeddingLength], values: random.array(c.embeddingLength, scale: 0.2).map { 1 + $0 }, as: .f32)
        }
        let C = c.embeddingLength, F = c.feedForwardLength
        try add("token_embd.weight", rows: c.vocabularySize, columns: C, type: embeddingType, scale: 1)
        for layer in 0..<c.layerCount {
            let p = "blk.\(layer)."
            try norm(p + "attn_norm.weight")
            try add(p + "attn_q.weight", rows: c.queryWidth, columns: C, type: type, scale: scales.input)
            try add(p + "attn_k.weight", rows: c.kvWidth, columns: C, type: type, scale: scales.input)
            try add(p + "attn_v.weight", rows: c.kvWidth, columns: C, type: type, scale: scales.input)
            try add(p + "attn_output.weight", rows: C, columns: c.queryWidth, type: type, scale: scales.output)
            try norm(p + "ffn_norm.weight")
            try add(p + "ffn_gate.weight", rows: F, columns: C, type: type, scale: scales.input)
            try add(p + "ffn_up.weight", rows: F, columns: C, type: type, scale: scales.input)
            try add(p + "ffn_down.weight", rows: C, columns: F, type: type, scale: scales.output)
        }
        try norm("output_norm.weight")
        self.configuration = configuration
        url = FileManager.default.temporaryDirectory.appendingPathComponent("tiny-llama-\(UUID().uuidString).gguf")
        try writer.write(to: url)
    }

    /// The gradient and checkpoint tests' model: F32 throughout, weights in ±0.4 and ±0.3.
    static func forTraining(seed: UInt64 = 7) throws -> TinyLlamaFile {
        try TinyLlamaFile(trainingConfiguration, type: .f32, embeddingType: .f32, scales: (0.4, 0.3), seed: seed)
    }

    /// The export tests' base model: weights in ±0.3 and ±0.2, a Q8_0 embedding by default.
    static func forExport(type: GGMLType = .f32, embeddingType: GGMLType = .q8_0, seed: UInt64 = 1) throws -> TinyLlamaFile {
        try TinyLlamaFile(exportConfiguration, type: type, embeddingType: embeddingType, scales: (0.3, 0.2), seed: seed)
    }

    /// The model loaded for inference.
    func model(threads: Int = 2) throws -> LlamaModel {
        try LlamaModel(file: try GGUFFile(contentsOf: url), threads: threads)
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
