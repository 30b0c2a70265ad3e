import Foundation
import LanguageModel

/// Hugging Face PEFT's adapter folder: `adapter_config.json` and `adapter_model.safetensors`, the
/// files `PeftModel.save_pretrained` writes and `PeftModel.from_pretrained` loads.
///
/// Tensors are `base_model.model.model.layers.{i}.{self_attn.q_proj|mlp.up_proj|...}.lora_A.weight`
/// [r, in] and `.lora_B.weight` [out, r]. The B rows of q and k are in Hugging Face order there
/// and in GGUF order in `LowRankAdapter` (see `RotaryRowOrder`).
///
/// ```swift
/// try PEFTAdapterFormat.write(adapter, configuration: model.configuration,
///                             baseModel: "HuggingFaceTB/SmolLM2-135M-Instruct", dropout: 0.05, to: folder)
/// let same = try PEFTAdapterFormat.read(folder, configuration: model.configuration)
/// ```
public enum PEFTAdapterFormat {
    public static let configurationFileName = "adapter_config.json"
    public static let weightsFileName = "adapter_model.safetensors"

    /// Writes adapter_model.safetensors and adapter_config.json into `directory` (created if needed),
    /// each atomically.
    /// - Parameters:
    ///   - baseModel: `base_model_name_or_path`, the Hugging Face id of the base model.
    ///   - dropout: `lora_dropout` the adapter was trained with.
    ///   - dtype: how the factors are stored (F32 unless space matters).
    /// - Throws: `ExportError.adapterMismatch` when the adapter doesn't fit `configuration`,
    ///   `.invalidValues` for NaN or infinite factors, `.cannotWrite` when a file can't be written.
    public static func write(_ adapter: LowRankAdapter, configuration: LlamaConfiguration, baseModel: String,
                             dropout: Float, dtype: SafetensorsDType = .f32, to directory: URL) throws(ExportError) {
        if let problem = adapter.mismatch(with: configuration) {
            throw .adapterMismatch(path: directory.path, reason: problem + "; export the adapter with the model it was trained for")
        }
        do { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
            throw .cannotWrite(path: directory.path, reason: error.localizedDescription)
        }
        let r = adapter.rank
        var tensors: [(name: String, shape: [Int], values: [Float])] = []
        for (layer, factors) in adapter.layers.enumerated() {
            for target in adapter.targets {
                guard let pair = factors[target] else { continue }     // mismatch() checked it is there
                let (out, inWidth) = target.shape(in: configuration)
                let key = tensorPrefix(layer: layer, target: target)
                for (part, values) in [("A", pair.a), ("B", pair.b)] where values.contains(where: { !$0.isFinite }) {
                    throw .invalidValues(tensor: key + ".lora_\(part).weight",
                                         reason: "it holds NaN or infinite values; training diverged, so train again with a lower learning rate")
                }
                var b = pair.b     // [out][r]
                if target.isRotaryPermuted {
                    let heads = target == .query ? configuration.headCount : configuration.kvHeadCount
                    b = RotaryRowOrder.huggingFace(fromGGUF: b, heads: heads, headDimension: configuration.headDimension, columns: r)
                }
                tensors.append((key + ".lora_A.weight", [r, inWidth], pair.a))
                tensors.append((key + ".lora_B.weight", [out, r], b))
            }
        }
        try SafetensorsWriter.write(tensors, metadata: ["format": "pt"], dtype: dtype,
                                    to: directory.appendingPathComponent(weightsFileName))

        let config = PEFTAdapterConfiguration(
            rank: r, alpha: Double("\(adapter.alpha)") ?? Double(adapter.alpha),
            dropout: Double("\(dropout)") ?? Double(dropout),
            targetModules: adapter.targets.map(\.rawValue).sorted(), baseModelNameOrPath: baseModel)
        let configURL = directory.appendingPathComponent(configurationFileName)
        let json: Data
        do { json = try config.encoded() } catch {
            throw .cannotWrite(path: configURL.path, reason: "the configuration could not be encoded (\(error))")
        }
        try AtomicFileWriter.write(Array(json) + [UInt8(ascii: "\n")], to: configURL)
    }

    /// Reads a PEFT LoRA adapter folder for a Llama model.
    /// - Throws: `ExportError.missingFile` when a file is missing, `.invalidConfiguration` for a
    ///   configuration this library can't honour (DoRA, per-module ranks, ...), `.missingTensor`,
    ///   `.unexpectedTensor`, `.tensorShape` and `.rankMismatch` for weights that don't fit the model,
    ///   and the safetensors reader's errors.
    public static func read(_ directory: URL, configuration: LlamaConfiguration) throws(ExportError) -> LowRankAdapter {
        let config = try readConfiguration(directory)
        let weightsURL = directory.appendingPathComponent(weightsFileName)
        if !FileManager.default.fileExists(atPath: weightsURL.path),
           FileManager.default.fileExists(atPath: directory.appendingPathComponent("adapter_model.bin").path) {
            throw .missingFile(path: weightsURL.path, hint: "the folder holds only adapter_model.bin (a pickle, which is not "
                               + "read here); save the adapter again with save_pretrained(folder, safe_serialization=True)")
        }
        let file = try SafetensorsFile.read(weightsURL)
        let path = weightsURL.path, r = config.rank

        var found: [Int: [LoRATarget: (a: SafetensorsTensor?, b: SafetensorsTensor?)]] = [:]
        for name in file.names {
            guard let tensor = file.tensors[name] else { continue }
            let (layer, target, isA) = try PEFTKey.parse(name, path: path)
            guard layer < configuration.layerCount else {
                throw .unexpectedTensor(path: path, tensor: name, reason: "is for layer \(layer), but the model has "
                                        + "\(configuration.layerCount) layers; use the base model the adapter was trained on")
            }
            let (out, inWidth) = target.shape(in: configuration)
            let expected = isA ? [r, inWidth] : [out, r]
            if tensor.shape != expected {
                let rankAxis = isA ? 0 : 1
                if tensor.shape.count == 2, tensor.shape[1 - rankAxis] == expected[1 - rankAxis] {
                    throw .rankMismatch(path: path, tensor: name, expected: r, actual: tensor.shape[rankAxis])
                }
                throw .tensorShape(path: path, tensor: name, expected: expected, actual: tensor.shape)
            }
            if isA { found[layer, default: [:]][target, default: (nil, nil)].a = tensor } else {
                found[layer, default: [:]][target, default: (nil, nil)].b = tensor
            }
        }
        let targets = Set(found.values.flatMap(\.keys)).sorted()
        guard !targets.isEmpty else { throw .missingTensor(path: path, tensor: "base_model.model.model.layers.0.*.lora_A.weight") }

        var layers: [[LoRATarget: LowRankAdapter.Factors]] = []
        for layer in 0..<configuration.layerCount {
            var factors: [LoRATarget: LowRankAdapter.Factors] = [:]
            for target in targets {
                let (out, inWidth) = target.shape(in: configuration)
                let key = tensorPrefix(layer: layer, target: target)
                guard let pair = found[layer]?[target], let a = pair.a, let b = pair.b else {
                    if let only = config.layersToTransform, !only.contains(layer), found[layer]?[target] == nil {
                        // PEFT left this layer alone: an adapter of zeros does the same.
                        factors[target] = .init(a: [Float](repeating: 0, count: r * inWidth), b: [Float](repeating: 0, count: out * r))
                        continue
                    }
                    let part = found[layer]?[target]?.a == nil ? "lora_A" : "lora_B"
                    throw .missingTensor(path: path, tensor: key + ".\(part).weight")
                }
                var bValues = b.values
                if target.isRotaryPermuted {
                    let heads = target == .query ? configuration.headCount : configuration.kvHeadCount
                    bValues = RotaryRowOrder.gguf(fromHuggingFace: bValues, heads: heads, headDimension: configuration.headDimension, columns: r)
                }
                factors[target] = .init(a: a.values, b: bValues)
            }
            layers.append(factors)
        }
        // rsLoRA's scale alpha/√r is alpha·√r / r in LowRankAdapter's terms.
        let alpha = config.useRSLoRA ? Float(config.alpha) * Float(r).squareRoot() : Float(config.alpha)
        return LowRankAdapter(rank: r, alpha: alpha, targets: targets, layers: layers)
    }

    /// Reads and checks adapter_config.json.
    public static func readConfiguration(_ directory: URL) throws(ExportError) -> PEFTAdapterConfiguration {
        let url = directory.appendingPathComponent(configurationFileName)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw .missingFile(path: url.path, hint: "a PEFT adapter folder holds adapter_config.json and "
                               + "adapter_model.safetensors; point to the folder save_pretrained wrote")
        }
        let config: PEFTAdapterConfiguration
        do {
            config = try JSONDecoder().decode(PEFTAdapterConfiguration.self, from: Data(contentsOf: url))
        } catch let error as DecodingError {
            throw PEFTKey.configurationError(error, path: url.path)
        } catch {
            throw .cannotRead(path: url.path, reason: error.localizedDescription)
        }
        func invalid(_ key: String, _ reason: String) -> ExportError { .invalidConfiguration(path: url.path, key: key, reason: reason) }
        guard config.peftType.uppercased() == "LORA" else {
            throw invalid("peft_type", "is '\(config.peftType)'; only LoRA adapters can be read")
        }
        guard config.rank > 0 else { throw invalid("r", "is \(config.rank); the rank must be positive") }
        guard !config.useDoRA else { throw invalid("use_dora", "is true; DoRA adapters are not supported, train a plain LoRA adapter") }
        guard !config.fanInFanOut else { throw invalid("fan_in_fan_out", "is true, which Llama models never use; the file is not for a Llama model") }
        if let other = config.rankPattern.first(where: { $0.value != config.rank }) {
            throw invalid("rank_pattern", "gives '\(other.key)' rank \(other.value); adapters with per-module ranks are not supported")
        }
        if let other = config.alphaPattern.first(where: { $0.value != config.alpha }) {
            throw invalid("alpha_pattern", "gives '\(other.key)' alpha \(other.value); adapters with per-module alphas are not supported")
        }
        if let modules = config.modulesToSave, !modules.isEmpty {
            throw invalid("modules_to_save", "lists \(modules); fully trained modules can't be loaded beside a LoRA adapter here")
        }
        return config
    }

    /// `base_model.model.model.layers.{layer}.{peftPath}`.
    static func tensorPrefix(layer: Int, target: LoRATarget) -> String {
        "base_model.model.model.layers.\(layer).\(target.peftPath)"
    }
}
