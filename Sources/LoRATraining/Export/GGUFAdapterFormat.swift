import Foundation
import GGUF
import LanguageModel

/// llama.cpp's LoRA adapter file, as `convert_lora_to_gguf.py` writes it and `llama-cli --lora`,
/// `llama_adapter_lora_init` and llama-cpp-python's `Llama(lora_path:)` load it.
///
/// Metadata: `general.architecture` (the base model's; llama.cpp refuses a mismatch),
/// `general.type` = "adapter", `adapter.type` = "lora", `adapter.lora.alpha` (f32; llama.cpp scales
/// B·A by alpha / r, or by 1 when alpha is 0). Tensors, for each adapted weight `blk.{i}.attn_q.weight`:
/// `blk.{i}.attn_q.weight.lora_a` of GGUF shape [in, r] (row-major [r][in]) and `.lora_b` of shape
/// [r, out] (row-major [out][r]). B rows of q and k are in GGUF order, like the base weights.
///
/// ```swift
/// let base = try GGUFFile(contentsOf: modelURL)
/// try GGUFAdapterFormat.write(adapter, base: base, to: URL(fileURLWithPath: "adapter.gguf"))
/// ```
public enum GGUFAdapterFormat {
    /// Writes the adapter atomically.
    /// - Parameters:
    ///   - base: the model the adapter was trained on (its architecture and shapes are checked).
    ///   - type: F32 (exact) or F16 (half the size).
    /// - Throws: `ExportError.adapterMismatch` when the adapter doesn't fit `base`, `.gguf` for NaN
    ///   values or a file that can't be written.
    public static func write(_ adapter: LowRankAdapter, base: GGUFFile, type: GGMLType = .f32, to url: URL) throws(ExportError) {
        precondition(type == .f32 || type == .f16 || type == .bf16, "adapter factors are written as F32, F16 or BF16")
        let configuration = try MergedModelExport.configuration(of: base)
        if let problem = adapter.mismatch(with: configuration) {
            throw .adapterMismatch(path: base.url.path, reason: "the adapter doesn't fit this model: \(problem); use the base model it was trained on")
        }
        var writer = GGUFWriter()
        writer.set("general.architecture", .string(base.architecture ?? "llama"))
        writer.set("general.type", .string("adapter"))
        writer.set("general.name", .string((base.string("general.name") ?? "model") + " LoRA"))
        writer.set("adapter.type", .string("lora"))
        writer.set("adapter.lora.alpha", .float32(adapter.alpha))
        let r = adapter.rank
        do {
            for (layer, factors) in adapter.layers.enumerated() {
                for target in adapter.targets {
                    guard let pair = factors[target] else { continue }     // mismatch() checked it is there
                    let (out, inWidth) = target.shape(in: configuration)
                    let name = weightName(layer: layer, target: target)
                    try writer.addTensor(name: name + ".lora_a", shape: [inWidth, r], values: pair.a, as: type)
                    try writer.addTensor(name: name + ".lora_b", shape: [r, out], values: pair.b, as: type)
                }
            }
            try writer.write(to: url)
        } catch { throw .gguf(error) }
    }

    /// Reads a llama.cpp LoRA adapter for a Llama model.
    ///
    /// A layer or target missing from the file gets zero factors (llama.cpp leaves such weights
    /// unadapted). Norm tensors some converters add (`*_norm.weight`) are skipped, as llama.cpp does.
    /// - Parameter configuration: the model's, to check shapes and fix the layer count; without it,
    ///   the layers run up to the highest block in the file.
    /// - Throws: `ExportError.gguf` when the file can't be read, `.invalidConfiguration` when it is
    ///   not a LoRA adapter, `.unexpectedTensor`, `.missingTensor`, `.tensorShape`, `.rankMismatch`.
    public static func read(_ url: URL, configuration: LlamaConfiguration? = nil) throws(ExportError) -> LowRankAdapter {
        let file: GGUFFile
        do { file = try GGUFFile(contentsOf: url) } catch { throw .gguf(error) }
        let path = url.path
        guard file.string("general.type") == "adapter", file.string("adapter.type") == "lora" else {
            let found = "general.type '\(file.string("general.type") ?? "none")', adapter.type '\(file.string("adapter.type") ?? "none")'"
            throw .invalidConfiguration(path: path, key: "adapter.type",
                                        reason: "is not a LoRA adapter (\(found)); pass an adapter written by convert_lora_to_gguf.py or finetune")
        }
        if configuration != nil, let architecture = file.architecture, architecture != "llama" {
            throw .adapterMismatch(path: path, reason: "the adapter is for a '\(architecture)' model, not a Llama model")
        }

        var found: [Int: [LoRATarget: (a: GGUFTensorInfo?, b: GGUFTensorInfo?)]] = [:]
        for tensor in file.tensors {
            if tensor.name.hasSuffix("_norm.weight") { continue }
            let isA = tensor.name.hasSuffix(".weight.lora_a")
            guard isA || tensor.name.hasSuffix(".weight.lora_b") else {
                throw .unexpectedTensor(path: path, tensor: tensor.name, reason: "ends neither in '.lora_a' nor in '.lora_b'")
            }
            let parts = tensor.name.split(separator: ".").map(String.init)   // blk, i, attn_q, weight, lora_a
            guard parts.count == 5, parts[0] == "blk", let layer = Int(parts[1]), layer >= 0,
                  let target = LoRATarget.allCases.first(where: { $0.ggufName == parts[2] }) else {
                throw .unexpectedTensor(path: path, tensor: tensor.name, reason: "adapts a tensor other than the attention and "
                                        + "feed-forward projections of a Llama block, which finetune can't apply")
            }
            if let configuration, layer >= configuration.layerCount {
                throw .unexpectedTensor(path: path, tensor: tensor.name, reason: "is for block \(layer), but the model has \(configuration.layerCount)")
            }
            if isA { found[layer, default: [:]][target, default: (nil, nil)].a = tensor } else {
                found[layer, default: [:]][target, default: (nil, nil)].b = tensor
            }
        }
        guard let first = found.values.lazy.flatMap({ $0.values }).first(where: { $0.a != nil }), let rankSource = first.a,
              rankSource.shape.count == 2, rankSource.shape[1] > 0 else {
            throw .missingTensor(path: path, tensor: "blk.0.attn_q.weight.lora_a (or any other .lora_a)")
        }
        let r = rankSource.shape[1]
        let targets = Set(found.values.flatMap(\.keys)).sorted()
        let layerCount = configuration?.layerCount ?? ((found.keys.max() ?? 0) + 1)

        // Each target's [out, in]: from the model when known, else from the file's first pair.
        var shapes: [LoRATarget: (out: Int, in: Int)] = [:]
        for target in targets {
            if let configuration {
                shapes[target] = target.shape(in: configuration)
            } else if let pair = found.values.lazy.compactMap({ $0[target] }).first(where: { $0.a != nil && $0.b != nil }),
                      let a = pair.a, let b = pair.b, a.shape.count == 2, b.shape.count == 2 {
                shapes[target] = (b.shape[1], a.shape[0])
            }
        }
        var layers: [[LoRATarget: LowRankAdapter.Factors]] = []
        for layer in 0..<layerCount {
            var factors: [LoRATarget: LowRankAdapter.Factors] = [:]
            for target in targets {
                let name = weightName(layer: layer, target: target)
                guard let pair = found[layer]?[target] else {
                    guard let shape = shapes[target] else { throw .missingTensor(path: path, tensor: name + ".lora_b") }
                    factors[target] = .init(a: [Float](repeating: 0, count: r * shape.in), b: [Float](repeating: 0, count: shape.out * r))
                    continue
                }
                guard let a = pair.a else { throw .missingTensor(path: path, tensor: name + ".lora_a") }
                guard let b = pair.b else { throw .missingTensor(path: path, tensor: name + ".lora_b") }
                guard let shape = shapes[target] else { throw .missingTensor(path: path, tensor: name + ".lora_b") }
                try check(a, expected: [shape.in, r], rankAxis: 1, rank: r, path: path)
                try check(b, expected: [r, shape.out], rankAxis: 0, rank: r, path: path)
                do {
                    factors[target] = .init(a: try file.floats(of: a), b: try file.floats(of: b))
                } catch { throw .gguf(error) }
            }
            layers.append(factors)
        }
        // llama.cpp applies B·A unscaled when alpha is absent or 0, which is alpha = r here.
        let alpha = file.double("adapter.lora.alpha").map(Float.init) ?? 0
        return LowRankAdapter(rank: r, alpha: alpha == 0 ? Float(r) : alpha, targets: targets, layers: layers)
    }

    /// `blk.{layer}.{ggufName}.weight`.
    static func weightName(layer: Int, target: LoRATarget) -> String {
        "blk.\(layer).\(target.ggufName).weight"
    }

    private static func check(_ tensor: GGUFTensorInfo, expected: [Int], rankAxis: Int, rank: Int, path: String) throws(ExportError) {
        guard tensor.shape != expected else { return }
        if tensor.shape.count == 2, tensor.shape[1 - rankAxis] == expected[1 - rankAxis] {
            throw .rankMismatch(path: path, tensor: tensor.name, expected: rank, actual: tensor.shape[rankAxis])
        }
        throw .tensorShape(path: path, tensor: tensor.name, expected: expected, actual: tensor.shape)
    }
}
