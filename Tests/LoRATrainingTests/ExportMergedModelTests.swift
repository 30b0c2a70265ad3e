import Foundation
import GGUF
import LanguageModel
@testable import LoRATraining
import Testing

enum ExportFixtures {
    /// A random adapter for `configuration`: A ~ U(-aScale, aScale), B ~ U(-bScale, bScale).
    static func adapter(_ configuration: LlamaConfiguration, rank: Int = 4, alpha: Float = 8,
                        targets: [LoRATarget] = LoRATarget.allCases, seed: UInt64 = 3,
                        aScale: Float = 0.3, bScale: Float = 0.3) -> LowRankAdapter {
        var random = TestValues(seed: seed)
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

@Suite("Merged model export")
struct ExportMergedModelTests {
    static let tokens = [1, 5, 9, 42, 7, 99, 3, 64, 17, 28]

    func logits(_ url: URL, adapter: LowRankAdapter? = nil) throws -> [Float] {
        let model = try LlamaModel(file: try GGUFFile(contentsOf: url), threads: 2, adapter: adapter)
        return try model.forward(Self.tokens, session: model.makeSession(), logits: .all)
    }

    /// Merges `adapter` into the tiny model as `type` and compares logits: `worst` is the largest
    /// difference between the merged model's and the base model's with the adapter, `scale` the
    /// largest logit, `effect` how far the adapter itself moves the logits.
    func mergedDifference(_ adapter: LowRankAdapter, type: MergedModelExport.WeightType) throws
        -> (worst: Float, scale: Float, effect: Float) {
        let tiny = try TinyLlamaFile.forExport()
        defer { tiny.remove() }
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("merged-\(UUID().uuidString).gguf")
        defer { try? FileManager.default.removeItem(at: output) }
        try MergedModelExport.write(base: try GGUFFile(contentsOf: tiny.url), adapter: adapter, type: type, to: output)
        let adapted = try logits(tiny.url, adapter: adapter)
        let (worst, scale) = ExportFixtures.worstDifference(try logits(output), adapted)
        let (effect, _) = ExportFixtures.worstDifference(try logits(tiny.url), adapted)
        print("merged \(type.ggmlType.name) vs base+adapter: worst logit difference \(worst) (largest logit \(scale)); the adapter itself moves logits by \(effect)")
        return (worst, scale, effect)
    }

    /// F16 keeps 11 significant bits, so every weight moves by at most 2⁻¹² of itself; measured,
    /// the logits (up to ±16 here) move by 0.024, 1.5e-3 of the largest. The bound, 1e-2 of the
    /// largest logit, leaves 7× room; the adapter's own effect (about 17) is checked to be far larger.
    @Test("the merged F16 model gives the logits of the base model with the adapter")
    func mergedF16MatchesAdapter() throws {
        let (worst, scale, effect) = try mergedDifference(ExportFixtures.adapter(TinyLlamaFile.exportConfiguration), type: .f16)
        #expect(worst < 1e-2 * scale, "merged logits differ by \(worst)")
        #expect(effect > 100 * worst, "the adapter barely changes the model (\(effect)), so the test proves little")
    }

    /// Q8_0 rounds every weight to 1/254 of its block's largest (and the kernels round the
    /// activations too): measured, logits move by 0.31 of ±14 (2.3%); the bound is 5%.
    @Test("the merged Q8_0 model is close to the base model with the adapter")
    func mergedQ8MatchesAdapter() throws {
        let adapter = ExportFixtures.adapter(TinyLlamaFile.exportConfiguration, targets: [.query, .value, .down])
        let (worst, scale, effect) = try mergedDifference(adapter, type: .q8_0)
        #expect(worst < 5e-2 * scale, "merged logits differ by \(worst)")
        #expect(effect > 10 * worst, "the adapter barely changes the model (\(effect)), so the test proves little")
    }

    @Test("adapted weights are W + scale·B·A rounded to F16, other tensors are copied, metadata is kept")
    func mergedTensorsAndMetadata() throws {
        let tiny = try TinyLlamaFile.forExport()
        defer { tiny.remove() }
        let c = TinyLlamaFile.exportConfiguration
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
        let tiny = try TinyLlamaFile.forExport()
        defer { tiny.remove() }
        var other = TinyLlamaFile.exportConfiguration
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
        let tiny = try TinyLlamaFile.forExport()
        defer { tiny.remove() }
        var adapter = ExportFixtures.adapter(TinyLlamaFile.exportConfiguration, targets: [.query])
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
