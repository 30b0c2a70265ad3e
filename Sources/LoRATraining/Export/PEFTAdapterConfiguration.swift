import Foundation

/// The fields of a PEFT `adapter_config.json` (a `LoraConfig` saved by `save_pretrained`) that a
/// Llama LoRA adapter needs. Written with the keys PEFT has understood since its 0.7 releases, so
/// `PeftModel.from_pretrained` and `AutoPeftModelForCausalLM` load it; read leniently (unknown keys
/// are ignored, `target_modules` and `layers_to_transform` may be a list or a single value).
public struct PEFTAdapterConfiguration: Sendable, Equatable, Codable {
    public var peftType: String
    public var taskType: String?
    /// r.
    public var rank: Int
    public var alpha: Double
    public var dropout: Double
    /// Module names (`q_proj`), or nil when the file gives a regular expression instead.
    public var targetModules: [String]?
    public var bias: String
    public var fanInFanOut: Bool
    public var inferenceMode: Bool
    public var baseModelNameOrPath: String?
    /// rsLoRA scales B·A by alpha/√r instead of alpha/r.
    public var useRSLoRA: Bool
    public var useDoRA: Bool
    /// Per-module ranks and alphas that differ from `rank` and `alpha`.
    public var rankPattern: [String: Int]
    public var alphaPattern: [String: Double]
    /// The only layers adapted, when not all.
    public var layersToTransform: [Int]?
    public var modulesToSave: [String]?

    public init(rank: Int, alpha: Double, dropout: Double, targetModules: [String], baseModelNameOrPath: String?) {
        peftType = "LORA"
        taskType = "CAUSAL_LM"
        self.rank = rank
        self.alpha = alpha
        self.dropout = dropout
        self.targetModules = targetModules
        bias = "none"
        fanInFanOut = false
        inferenceMode = true
        self.baseModelNameOrPath = baseModelNameOrPath
        useRSLoRA = false
        useDoRA = false
        rankPattern = [:]
        alphaPattern = [:]
        layersToTransform = nil
        modulesToSave = nil
    }

    enum CodingKeys: String, CodingKey {
        case peftType = "peft_type", taskType = "task_type", rank = "r", alpha = "lora_alpha"
        case dropout = "lora_dropout", targetModules = "target_modules", bias
        case fanInFanOut = "fan_in_fan_out", inferenceMode = "inference_mode"
        case baseModelNameOrPath = "base_model_name_or_path", useRSLoRA = "use_rslora", useDoRA = "use_dora"
        case rankPattern = "rank_pattern", alphaPattern = "alpha_pattern"
        case layersToTransform = "layers_to_transform", modulesToSave = "modules_to_save"
        case initLoRAWeights = "init_lora_weights", layersPattern = "layers_pattern", revision
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        peftType = try c.decode(String.self, forKey: .peftType)
        taskType = try c.decodeIfPresent(String.self, forKey: .taskType)
        rank = try c.decode(Int.self, forKey: .rank)
        alpha = try c.decodeIfPresent(Double.self, forKey: .alpha) ?? 8
        dropout = try c.decodeIfPresent(Double.self, forKey: .dropout) ?? 0
        if let list = try? c.decodeIfPresent([String].self, forKey: .targetModules) {
            targetModules = list
        } else {
            _ = try c.decodeIfPresent(String.self, forKey: .targetModules)
            targetModules = nil
        }
        bias = try c.decodeIfPresent(String.self, forKey: .bias) ?? "none"
        fanInFanOut = try c.decodeIfPresent(Bool.self, forKey: .fanInFanOut) ?? false
        inferenceMode = try c.decodeIfPresent(Bool.self, forKey: .inferenceMode) ?? true
        baseModelNameOrPath = try c.decodeIfPresent(String.self, forKey: .baseModelNameOrPath)
        useRSLoRA = try c.decodeIfPresent(Bool.self, forKey: .useRSLoRA) ?? false
        useDoRA = try c.decodeIfPresent(Bool.self, forKey: .useDoRA) ?? false
        rankPattern = try c.decodeIfPresent([String: Int].self, forKey: .rankPattern) ?? [:]
        alphaPattern = try c.decodeIfPresent([String: Double].self, forKey: .alphaPattern) ?? [:]
        if let layer = try? c.decodeIfPresent(Int.self, forKey: .layersToTransform) {
            layersToTransform = [layer]
        } else {
            layersToTransform = try c.decodeIfPresent([Int].self, forKey: .layersToTransform)
        }
        modulesToSave = try c.decodeIfPresent([String].self, forKey: .modulesToSave)
    }

    /// Every key, nulls included, as `save_pretrained` writes them.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(peftType, forKey: .peftType)
        try c.encode(taskType, forKey: .taskType)
        try c.encode(rank, forKey: .rank)
        if alpha == alpha.rounded(), abs(alpha) < 1e9 { try c.encode(Int(alpha), forKey: .alpha) } else { try c.encode(alpha, forKey: .alpha) }
        try c.encode(dropout, forKey: .dropout)
        try c.encode(targetModules, forKey: .targetModules)
        try c.encode(bias, forKey: .bias)
        try c.encode(fanInFanOut, forKey: .fanInFanOut)
        try c.encode(inferenceMode, forKey: .inferenceMode)
        try c.encode(baseModelNameOrPath, forKey: .baseModelNameOrPath)
        try c.encode(useRSLoRA, forKey: .useRSLoRA)
        try c.encode(useDoRA, forKey: .useDoRA)
        try c.encode(rankPattern, forKey: .rankPattern)
        try c.encode(alphaPattern, forKey: .alphaPattern)
        try c.encode(layersToTransform, forKey: .layersToTransform)
        try c.encode(modulesToSave, forKey: .modulesToSave)
        try c.encode(true, forKey: .initLoRAWeights)
        try c.encodeNil(forKey: .layersPattern)
        try c.encodeNil(forKey: .revision)
    }

    /// The JSON text, keys sorted, indented as PEFT writes it.
    func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}
