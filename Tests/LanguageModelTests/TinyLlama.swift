import ChatDataset
import Foundation
import GGUF
@testable import LanguageModel

/// A small random Llama model written with GGUFWriter, plus an independent, naive forward pass in
/// double precision over the same (dequantized) weights.
struct TinyLlama {
    static let configuration = LlamaConfiguration(
        layerCount: 2, embeddingLength: 64, feedForwardLength: 96, headCount: 4, kvHeadCount: 2,
        ropeFrequencyBase: 10_000, rmsNormEpsilon: 1e-5, contextLength: 128, vocabularySize: 100)

    let url: URL
    /// Dequantized weights by GGUF tensor name, row-major [rows][columns].
    let weights: [String: [Float]]

    /// Writes the model to a temporary file.
    /// - Parameters:
    ///   - type: the type of the linear weights (norms stay f32, the embedding uses `embeddingType`).
    ///   - tied: no `output.weight` (the embedding is the output head).
    init(type: GGMLType = .f32, embeddingType: GGMLType = .q8_0, tied: Bool = true, seed: UInt64 = 1,
         architecture: String = "llama") throws {
        let c = Self.configuration
        var random = SeededGenerator(seed: seed)
        var writer = GGUFWriter()
        writer.set("general.architecture", .string(architecture))
        writer.set("general.name", .string("tiny-llama"))
        writer.set("\(architecture).block_count", .uint32(UInt32(c.layerCount)))
        writer.set("\(architecture).embedding_length", .uint32(UInt32(c.embeddingLength)))
        writer.set("\(architecture).feed_forward_length", .uint32(UInt32(c.feedForwardLength)))
        writer.set("\(architecture).attention.head_count", .uint32(UInt32(c.headCount)))
        writer.set("\(architecture).attention.head_count_kv", .uint32(UInt32(c.kvHeadCount)))
        writer.set("\(architecture).rope.freq_base", .float32(c.ropeFrequencyBase))
        writer.set("\(architecture).attention.layer_norm_rms_epsilon", .float32(c.rmsNormEpsilon))
        writer.set("\(architecture).context_length", .uint32(UInt32(c.contextLength)))
        var weights: [String: [Float]] = [:]
        func add(_ name: String, rows: Int, columns: Int, type: GGMLType, scale: Float) throws {
            let values = (0..<(rows * columns)).map { _ in random.uniform() * scale }
            let shape = rows == 1 ? [columns] : [columns, rows]
            try writer.addTensor(name: name, shape: shape, values: values, as: type)
            let bytes = try GGMLQuantization.quantize(type, values)
            var exact = [Float](repeating: 0, count: values.count)
            try bytes.withUnsafeBytes { source in
                try exact.withUnsafeMutableBufferPointer { try GGMLQuantization.dequantize(type, source, into: $0) }
            }
            weights[name] = exact
        }
        func norm(_ name: String) throws {
            let values = (0..<c.embeddingLength).map { _ in 1 + 0.2 * random.uniform() }
            try writer.addTensor(name: name, shape: [c.embeddingLength], values: values, as: .f32)
            weights[name] = values
        }
        let C = c.embeddingLength, F = c.feedForwardLength
        try add("token_embd.weight", rows: c.vocabularySize, columns: C, type: embeddingType, scale: 1)
        for layer in 0..<c.layerCount {
            let p = "blk.\(layer)."
            try norm(p + "attn_norm.weight")
            try add(p + "attn_q.weight", rows: c.queryWidth, columns: C, type: type, scale: 0.3)
            try add(p + "attn_k.weight", rows: c.kvWidth, columns: C, type: type, scale: 0.3)
            try add(p + "attn_v.weight", rows: c.kvWidth, columns: C, type: type, scale: 0.3)
            try add(p + "attn_output.weight", rows: C, columns: c.queryWidth, type: type, scale: 0.2)
            try norm(p + "ffn_norm.weight")
            try add(p + "ffn_gate.weight", rows: F, columns: C, type: type, scale: 0.3)
            try add(p + "ffn_up.weight", rows: F, columns: C, type: type, scale: 0.3)
            try add(p + "ffn_down.weight", rows: C, columns: F, type: type, scale: 0.2)
        }
        try norm("output_norm.weight")
        if !tied { try add("output.weight", rows: c.vocabularySize, columns: C, type: type, scale: 0.5) }
        url = FileManager.default.temporaryDirectory.appendingPathComponent("tiny-llama-\(UUID().uuidString).gguf")
        try writer.write(to: url)
        self.weights = weights
    }

    /// Logits [n][V] for `tokens` from position 0, computed naively in double precision.
    func referenceLogits(_ tokens: [Int]) -> [[Double]] {
        let c = Self.configuration
        let C = c.embeddingLength, F = c.feedForwardLength, hd = c.headDimension
        func w(_ name: String) -> [Float] { weights[name]! }
        func linear(_ name: String, _ x: [Double], rows: Int) -> [Double] {
            let m = w(name), columns = x.count
            return (0..<rows).map { r in (0..<columns).reduce(0.0) { $0 + Double(m[r * columns + $1]) * x[$1] } }
        }
        func rmsNorm(_ x: [Double], _ name: String) -> [Double] {
            let scale = 1 / ((x.reduce(0) { $0 + $1 * $1 } / Double(x.count)) + Double(c.rmsNormEpsilon)).squareRoot()
            return zip(x, w(name)).map { $0 * scale * Double($1) }
        }
        func rope(_ v: inout [Double], heads: Int, position: Int) {
            for h in 0..<heads {
                for i in 0..<(hd / 2) {
                    let angle = Double(position) * pow(Double(c.ropeFrequencyBase), -Double(2 * i) / Double(hd))
                    let a = v[h * hd + 2 * i], b = v[h * hd + 2 * i + 1]
                    v[h * hd + 2 * i] = a * cos(angle) - b * sin(angle)
                    v[h * hd + 2 * i + 1] = a * sin(angle) + b * cos(angle)
                }
            }
        }
        let embedding = w("token_embd.weight")
        var xs = tokens.map { t in (0..<C).map { Double(embedding[t * C + $0]) } }
        for layer in 0..<c.layerCount {
            let p = "blk.\(layer)."
            var keys: [[Double]] = [], values: [[Double]] = [], queries: [[Double]] = []
            for (position, x) in xs.enumerated() {
                let h = rmsNorm(x, p + "attn_norm.weight")
                var q = linear(p + "attn_q.weight", h, rows: c.queryWidth)
                var k = linear(p + "attn_k.weight", h, rows: c.kvWidth)
                rope(&q, heads: c.headCount, position: position)
                rope(&k, heads: c.kvHeadCount, position: position)
                queries.append(q)
                keys.append(k)
                values.append(linear(p + "attn_v.weight", h, rows: c.kvWidth))
            }
            for t in 0..<xs.count {
                var attended = [Double](repeating: 0, count: c.queryWidth)
                for head in 0..<c.headCount {
                    let g = head / (c.headCount / c.kvHeadCount)
                    let scores = (0...t).map { j in
                        (0..<hd).reduce(0.0) { $0 + queries[t][head * hd + $1] * keys[j][g * hd + $1] } / Double(hd).squareRoot()
                    }
                    let m = scores.max()!
                    let e = scores.map { exp($0 - m) }
                    let z = e.reduce(0, +)
                    for d in 0..<hd {
                        attended[head * hd + d] = (0...t).reduce(0.0) { $0 + e[$1] / z * values[$1][g * hd + d] }
                    }
                }
                let o = linear(p + "attn_output.weight", attended, rows: C)
                for i in 0..<C { xs[t][i] += o[i] }
                let h = rmsNorm(xs[t], p + "ffn_norm.weight")
                let gate = linear(p + "ffn_gate.weight", h, rows: F), up = linear(p + "ffn_up.weight", h, rows: F)
                let hidden = zip(gate, up).map { g, u in g / (1 + exp(-g)) * u }
                let down = linear(p + "ffn_down.weight", hidden, rows: C)
                for i in 0..<C { xs[t][i] += down[i] }
            }
        }
        let head = weights["output.weight"] != nil ? "output.weight" : "token_embd.weight"
        return xs.map { linear(head, rmsNorm($0, "output_norm.weight"), rows: c.vocabularySize) }
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

extension SeededGenerator {
    /// Uniform in [-1, 1).
    mutating func uniform() -> Float { Float(Double(next() >> 11) / Double(1 << 52) - 1) }
}

/// Worst |a - b| over all entries, relative to the largest |b|.
func worstRelativeDifference(_ a: [Float], _ b: [[Double]]) -> Double {
    let flat = b.flatMap { $0 }
    let scale = max(flat.map { abs($0) }.max() ?? 1, 1e-9)
    return zip(a, flat).map { abs(Double($0) - $1) }.max()! / scale
}
