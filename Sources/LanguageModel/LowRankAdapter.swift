import Foundation

/// A linear layer of a Llama block that a LoRA adapter can sit beside.
///
/// Raw values are the module names PEFT and Hugging Face use (`target_modules`).
public enum LoRATarget: String, CaseIterable, Sendable, Codable, Comparable {
    case query = "q_proj", key = "k_proj", value = "v_proj", output = "o_proj"
    case gate = "gate_proj", up = "up_proj", down = "down_proj"

    /// The tensor's name in a GGUF Llama block (`blk.N.<name>.weight`).
    public var ggufName: String {
        switch self {
        case .query: "attn_q"
        case .key: "attn_k"
        case .value: "attn_v"
        case .output: "attn_output"
        case .gate: "ffn_gate"
        case .up: "ffn_up"
        case .down: "ffn_down"
        }
    }

    /// The PEFT module path inside a Llama decoder layer (`self_attn.q_proj`, `mlp.up_proj`).
    public var peftPath: String {
        switch self {
        case .query, .key, .value, .output: "self_attn." + rawValue
        case .gate, .up, .down: "mlp." + rawValue
        }
    }

    /// [out, in] of the layer's weight for a model.
    public func shape(in configuration: LlamaConfiguration) -> (out: Int, in: Int) {
        let c = configuration
        switch self {
        case .query: return (c.queryWidth, c.embeddingLength)
        case .key, .value: return (c.kvWidth, c.embeddingLength)
        case .output: return (c.embeddingLength, c.queryWidth)
        case .gate, .up: return (c.feedForwardLength, c.embeddingLength)
        case .down: return (c.embeddingLength, c.feedForwardLength)
        }
    }

    /// Whether the layer's output rows are stored in GGUF's rotary order, which differs from
    /// Hugging Face's: llama.cpp's converter permutes q and k rows so RoPE rotates adjacent pairs.
    public var isRotaryPermuted: Bool { self == .query || self == .key }

    public static func < (lhs: LoRATarget, rhs: LoRATarget) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// Parses a user's list: PEFT names (`q_proj`), short names (`q`, `gate`), GGUF names
    /// (`attn_q`) or `all`.
    public static func parse(_ name: String) -> [LoRATarget]? {
        let key = name.trimmingCharacters(in: .whitespaces).lowercased()
        if key == "all" || key == "all-linear" { return allCases }
        for target in allCases {
            let short = String(target.rawValue.prefix(while: { $0 != "_" }))
            if key == target.rawValue || key == short || key == target.ggufName { return [target] }
        }
        return nil
    }
}

/// Low-rank adapters for some linear layers of a Llama model (Hu et al. 2021, "LoRA"):
/// each adapted layer computes `W·x + (alpha / rank) · B·(A·x)`.
///
/// Rows of B for q and k are in the GGUF file's order (see `LoRATarget.isRotaryPermuted`);
/// exporters to Hugging Face layouts permute them at the edge.
public struct LowRankAdapter: Sendable, Equatable {
    /// One adapted layer's factors.
    public struct Factors: Sendable, Equatable {
        /// [rank][in], row-major.
        public var a: [Float]
        /// [out][rank], row-major.
        public var b: [Float]
        public init(a: [Float], b: [Float]) {
            self.a = a
            self.b = b
        }
    }

    public var rank: Int
    public var alpha: Float
    /// Adapted layers in `LoRATarget.allCases` order.
    public var targets: [LoRATarget]
    /// One dictionary per transformer block, holding every target.
    public var layers: [[LoRATarget: Factors]]

    /// The factor the low-rank product is multiplied by: alpha / rank.
    public var scale: Float { alpha / Float(rank) }

    public init(rank: Int, alpha: Float, targets: [LoRATarget], layers: [[LoRATarget: Factors]]) {
        self.rank = rank
        self.alpha = alpha
        self.targets = targets.sorted()
        self.layers = layers
    }

    /// Checks the adapter fits a model: layer count, targets present, factor sizes.
    /// - Returns: nil when it fits, else a sentence saying what doesn't.
    public func mismatch(with configuration: LlamaConfiguration) -> String? {
        guard rank > 0 else { return "the adapter's rank is \(rank)" }
        guard layers.count == configuration.layerCount else {
            return "the adapter has \(layers.count) layers, the model \(configuration.layerCount)"
        }
        for (index, layer) in layers.enumerated() {
            for target in targets {
                guard let factors = layer[target] else { return "layer \(index) has no \(target.rawValue) adapter" }
                let shape = target.shape(in: configuration)
                guard factors.a.count == rank * shape.in, factors.b.count == shape.out * rank else {
                    return "layer \(index) \(target.rawValue): factors hold \(factors.a.count) and \(factors.b.count) values, "
                        + "the model needs \(rank)×\(shape.in) and \(shape.out)×\(rank)"
                }
            }
        }
        return nil
    }
}
