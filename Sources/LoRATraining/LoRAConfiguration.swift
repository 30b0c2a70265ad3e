import LanguageModel

/// What a LoRA adapter adapts and how (Hu et al. 2021): rank, alpha, dropout and target layers.
public struct LoRAConfiguration: Sendable, Equatable, Codable {
    /// Rank r of the factors A [r][in] and B [out][r].
    public var rank: Int
    /// The product B·A is scaled by alpha / rank.
    public var alpha: Float
    /// Dropout probability on the adapter's input while training (0 = none).
    public var dropout: Float
    /// Adapted layers, in `LoRATarget.allCases` order.
    public var targets: [LoRATarget]

    public init(rank: Int = 8, alpha: Float? = nil, dropout: Float = 0.05, targets: [LoRATarget] = LoRATarget.allCases) {
        self.rank = rank
        self.alpha = alpha ?? Float(2 * rank)
        self.dropout = dropout
        self.targets = targets.sorted()
    }

    /// alpha / rank.
    public var scale: Float { alpha / Float(rank) }
}
