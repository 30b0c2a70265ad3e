import ChatDataset
import Foundation
import GGUF
import LanguageModel
@testable import LoRATraining
import Testing

/// Deterministic values in [-1, 1) for the export tests.
struct ExportRandom {
    private var generator: SeededGenerator
    init(seed: UInt64) { generator = SeededGenerator(seed: seed) }
    mutating func next() -> Float { Float(Double(generator.next() >> 11) / Double(1 << 52) - 1) }
    mutating func array(_ count: Int, scale: Float = 1) -> [Float] { (0..<count).map { _ in next() * scale } }
}

enum ExportFixtures {
    /// A random adapter for `configuration`: A ~ U(-aScale, aScale), B ~ U(-bScale, bScale).
    static func adapter(_ configuration: LlamaConfiguration, rank: Int = 4, alpha: Float = 8,
                        targets: [LoRATarget] = LoRATarget.allCases, seed: UInt64 = 3,
                        aScale: Float = 0.3, bScale: Float = 0.3) -> LowRankAdapter {
        var random = ExportRandom(seed: seed)
        let layers = (0..<configuration.layerCount).map { _ in
            Dictionary(uniqueKeysWithValues: targets.map { target in
                let (out, inWidth) = target.shape(in: configuration)
                return (target, LowRankAdapter.Factors(a: random.array(rank * inWidth, scale: aScale),
                                                      b: random.array(out * rank, scale: bScale)))
            })
        }
        return LowRankAdapter(rank: rank, alpha: alpha, targets: targets, layers: layers)
    }

    /// A fresh empty folder under the temporary directory.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("export-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Worst |a - b| and the largest |b|.
    static func worstDifference(_ a: [Float], _ b: [Float]) -> (worst: Float, scale: Float) {
        precondition(a.count == b.count)
        var worst: Float = 0, scale: Float = 0
        for (x, y) in zip(a, b) {
            worst = max(worst, abs(x - y))
            scale = max(scale, abs(y))
        }
        return (worst, scale)
    }
}

/// A small random Llama written with GGUFWriter (after Tests/LanguageModelTests/TinyLlama.swift);
/// widths are multiples of 32 so that every weight can be stored as Q8_0.
struct ExportTinyLlama {
    static let configuration = LlamaConfiguration(
        layerCount: 2, embeddingLength: 64, feedForwardLength: 96, headCount: 4, kvHeadCount: 2,
        ropeFrequencyBase: 10_000, rmsNormEpsilon: 1e-5, contextLength: 128, vocabularySize: 100)

    let url: URL

    init(type: GGMLType = .f32, embeddingType: GGMLType = .q8_0, seed: UInt64 = 1) throws {
        let c = Self.configuration
        var random = ExportRandom(seed: seed)
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
        url = FileManager.default.temporaryDirectory.appendingPathComponent("export-tiny-llama-\(UUID().uuidString).gguf")
        try writer.write(to: url)
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

@Suite("Merged model export")
struct ExportMergedModelTests {
    static let tokens = [1, 5, 9, 42, 7, 99, 3, 64, 17, 28]

    func logits(_ url: URL, adapter: LowRankAdapter? = nil) throws -> [Float] {
        let model = try LlamaModel(file: try GGUFFile(contentsOf: url), threads: 2, adapter: adapter)
        return try model.forward(Self.tokens, session: model.makeSession(), logits: .all)
    }

    /// F16 keeps 11 significant bits, so every weight moves by at most 2⁻¹² of itself; measured,
    /// the logits (up to ±16 here) move by 0.024, 1.5e-3 of the largest. The bound, 1e-2 of the
    /// largest logit, leaves 7× room; the adapter's own effect (about 17) is checked to be far larger.
    @Test("the merged F16 model gives the logits of the base model with the adapter")
    func mergedF16MatchesAdapter() throws {
        let tiny = try ExportTinyLlama()
        defer { tiny.remove() }
        let adapter = ExportFixtures.adapter(ExportTinyLlama.configuration)
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("merged-\(UUID().uuidString).gguf")
        defer { try? FileManager.default.removeItem(at: output) }
        try MergedModelExport.write(base: try GGUFFile(contentsOf: tiny.url), adapter: adapter, type: .f16, to: output)

        let adapted = try logits(tiny.url, adapter: adapter)
        let merged = try logits(output)
        let base = try logits(tiny.url)
        let (worst, scale) = ExportFixtures.worstDifference(merged, adapted)
        let (effect, _) = ExportFixtures.worstDifference(base, adapted)
        print("merged F16 vs base+adapter: worst logit difference \(worst) (largest logit \(scale)); the adapter itself moves logits by \(effect)")
        #expect(worst < 1e-2 * scale, "merged logits differ by \(worst)")
        #expect(effect > 100 * worst, "the adapter barely changes the model (\(effect)), so the test proves little")
    }

    /// Q8_0 rounds every weight to 1/254 of its block's largest (and the kernels round the
    /// activations too): measured, logits move by 0.31 of ±14 (2.3%); the bound is 5%.
    @Test("the merged Q8_0 model is close to the base model with the adapter")
    func mergedQ8MatchesAdapter() throws {
        let tiny = try ExportTinyLlama()
        defer { tiny.remove() }
        let adapter = ExportFixtures.adapter(ExportTinyLlama.configuration, targets: [.query, .value, .down])
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("merged-\(UUID().uuidString).gguf")
        defer { try? FileManager.default.removeItem(at: output) }
        try MergedModelExport.write(base: try GGUFFile(contentsOf: tiny.url), adapter: adapter, type: .q8_0, to: output)
        let adapted = try logits(tiny.url, adapter: adapter)
        let merged = try logits(output)
        let (worst, scale) = ExportFixtures.worstDifference(merged, adapted)
        let (effect, _) = ExportFixtures.worstDifference(try logits(tiny.url), adapted)
        print("merged Q8_0 vs base+adapter: worst logit difference \(worst) (largest logit \(scale)); adapter effect \(effect)")
        #expect(worst < 5e-2 * scale, "merged logits differ by \(worst)")
        #expect(effect > 10 * worst, "the adapter barely changes the model (\(effect)), so the test proves little")
    }

    @Test("adapted weights are W + scale·B·A rounded to F16, other tensors are copied, metadata is kept")
    func mergedTensorsAndMetadata() throws {
        let tiny = try ExportTinyLlama()
        defer { tiny.remove() }
        let c = ExportTinyLlama.configuration
        let adapter = ExportFixtures.adapter(c, rank: 3, alpha: 5, targets: [.key, .up])
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("merged-\(UUID().uuidString).gguf")
        defer { try? FileManager.default.removeItem(at: output) }
        let base = try GGUFFile(contentsOf: tiny.url)
        var calls: [(Int, Int)] = []
        try MergedModelExport.write(base: base, adapter: adapter, type: .f16, to: output) { calls.append(($0, $1)) }
        let merged = try GGUFFile(contentsOf: output)

        #expect(calls.map(\.0) == Array(1...base.tensors.count))
        #expect(calls.allSatisfy { $0.1 == base.tensors.count })
        #expect(merged.tensors.map(\.name) == base.tensors.map(\.name))
        #expect(merged.metadataKeys == base.metadataKeys)
        for key in base.metadataKeys where key != "general.name" && key != "general.file_type" {
            #expect(merged.metadata[key] == base.metadata[key], "metadata \(key) changed")
        }
        #expect(merged.string("general.name") == "tiny-llama (merged)")
        #expect(merged.int("general.file_type") == 1)

        for tensor in merged.tensors {
            let original = try #require(base.tensor(named: tensor.name))
            #expect(tensor.shape == original.shape)
            #expect(tensor.type == (tensor.shape.count == 1 ? .f32 : .f16), "\(tensor.name) is \(tensor.type.name)")
            var expected = try base.floats(of: original).map(Double.init)
            let parts = tensor.name.split(separator: ".")
            if parts.count == 4, let layer = Int(parts[1]),
               let target = adapter.targets.first(where: { $0.ggufName == parts[2] }),
               let factors = adapter.layers[layer][target] {
                let (out, inWidth) = (tensor.shape[1], tensor.shape[0])
                for o in 0..<out {
                    for i in 0..<inWidth {
                        var sum = 0.0
                        for k in 0..<adapter.rank { sum += Double(factors.b[o * adapter.rank + k]) * Double(factors.a[k * inWidth + i]) }
                        expected[o * inWidth + i] += Double(adapter.scale) * sum
                    }
                }
            }
            let values = try merged.floats(of: tensor)
            // F16 rounds to 11 significant bits: within 2⁻¹¹ of the value (plus f32 summation noise).
            let worst = zip(values, expected).map { abs(Double($0) - $1) - abs($1) * 0x1p-11 }.max() ?? 0
            #expect(worst <= 1e-6, "\(tensor.name): a value is further from W + scale·B·A than F16 rounding allows")
        }
    }

    @Test("rows that Q8_0 blocks don't divide fall back to F16; 1-D tensors stay F32")
    func outputTypes() {
        #expect(MergedModelExport.outputType(of: GGUFTensorInfo(name: "a", shape: [64, 8], type: .q4_1, offset: 0), requested: .q8_0) == .q8_0)
        #expect(MergedModelExport.outputType(of: GGUFTensorInfo(name: "b", shape: [48, 8], type: .f32, offset: 0), requested: .q8_0) == .f16)
        #expect(MergedModelExport.outputType(of: GGUFTensorInfo(name: "c", shape: [64], type: .f16, offset: 0), requested: .q8_0) == .f32)
    }

    @Test("an adapter for another model is refused and nothing is written")
    func mismatchedAdapter() throws {
        let tiny = try ExportTinyLlama()
        defer { tiny.remove() }
        var other = ExportTinyLlama.configuration
        other.layerCount = 3
        let adapter = ExportFixtures.adapter(other)
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("merged-\(UUID().uuidString).gguf")
        #expect {
            try MergedModelExport.write(base: try GGUFFile(contentsOf: tiny.url), adapter: adapter, type: .f16, to: output)
        } throws: { error in
            guard case .adapterMismatch(_, let reason)? = error as? ExportError else { return false }
            return reason.contains("3 layers")
        }
        #expect(!FileManager.default.fileExists(atPath: output.path))
    }

    @Test("NaN factors are refused")
    func nanFactors() throws {
        let tiny = try ExportTinyLlama()
        defer { tiny.remove() }
        var adapter = ExportFixtures.adapter(ExportTinyLlama.configuration, targets: [.query])
        adapter.layers[1][.query]?.b[5] = .nan
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("merged-\(UUID().uuidString).gguf")
        #expect(throws: ExportError.invalidValues(tensor: "blk.1.attn_q.weight", reason: "the adapter's factors hold NaN or infinite values; "
                                                  + "training diverged, so train again with a lower learning rate")) {
            try MergedModelExport.write(base: try GGUFFile(contentsOf: tiny.url), adapter: adapter, type: .f16, to: output)
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: FileManager.default.temporaryDirectory.path)
            .filter { $0.hasPrefix("." + output.lastPathComponent) }
        #expect(leftovers.isEmpty)
    }
}
