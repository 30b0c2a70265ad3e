import Foundation
import ChatDataset

/// How the next token is chosen from the logits.
public struct SamplingParameters: Sendable, Equatable {
    /// 0 picks the most likely token (greedy); higher values flatten the distribution.
    public var temperature: Float
    /// Nucleus sampling: keep the most likely tokens whose probabilities add up to `topP` (1 = all).
    public var topP: Float
    /// Keep only the `topK` most likely tokens (0 = no limit).
    public var topK: Int
    /// The same seed, prompt and parameters give the same output.
    public var seed: UInt64

    public init(temperature: Float = 0, topP: Float = 1, topK: Int = 0, seed: UInt64 = 0) {
        self.temperature = temperature
        self.topP = topP
        self.topK = topK
        self.seed = seed
    }

    public static let greedy = SamplingParameters()

    /// - Throws: `LanguageModelError.invalidParameter` for values outside their ranges.
    public func validate() throws(LanguageModelError) {
        guard temperature.isFinite, temperature >= 0 else {
            throw .invalidParameter(name: "temperature", message: "must be 0 or more (0 = greedy), got \(temperature).")
        }
        guard topP.isFinite, topP > 0, topP <= 1 else {
            throw .invalidParameter(name: "top_p", message: "must be in (0, 1], got \(topP).")
        }
        guard topK >= 0 else { throw .invalidParameter(name: "top_k", message: "must be 0 (no limit) or more, got \(topK).") }
    }
}

/// Picks tokens from logits: greedy, or temperature / top-k / top-p sampling with a seeded generator.
public struct Sampler: Sendable {
    public let parameters: SamplingParameters
    private var random: SeededGenerator

    public init(_ parameters: SamplingParameters) {
        self.parameters = parameters
        random = SeededGenerator(seed: parameters.seed)
    }

    /// The index of the largest logit (the first one on ties, like PyTorch's argmax).
    public static func argmax(_ logits: [Float]) -> Int {
        var best = 0
        var bestValue = -Float.infinity
        for (index, value) in logits.enumerated() where value > bestValue {
            best = index
            bestValue = value
        }
        return best
    }

    /// Chooses the next token from `logits` ([V]).
    public mutating func sample(_ logits: [Float]) -> Int {
        if parameters.temperature <= 0 || parameters.topK == 1 { return Self.argmax(logits) }
        let inverseTemperature = 1 / parameters.temperature
        let maxLogit = logits.max() ?? 0
        // Tokens more than e^-30 less likely than the best carry no probability that matters.
        let floor = maxLogit - 30 * parameters.temperature
        var candidates: [(id: Int, weight: Float)] = []
        for (id, value) in logits.enumerated() where value >= floor {
            candidates.append((id, expf((value - maxLogit) * inverseTemperature)))
        }
        candidates.sort { $0.weight > $1.weight || ($0.weight == $1.weight && $0.id < $1.id) }
        if parameters.topK > 0, candidates.count > parameters.topK {
            candidates.removeLast(candidates.count - parameters.topK)
        }
        var total = candidates.reduce(Float(0)) { $0 + $1.weight }
        if parameters.topP < 1 {
            var kept = 0
            var cumulative: Float = 0
            while kept < candidates.count {
                cumulative += candidates[kept].weight
                kept += 1
                if cumulative >= parameters.topP * total { break }
            }
            candidates.removeLast(candidates.count - kept)
            total = cumulative
        }
        let draw = Float(Double(random.next() >> 11) / Double(1 << 53)) * total
        var cumulative: Float = 0
        for candidate in candidates {
            cumulative += candidate.weight
            if draw < cumulative { return candidate.id }
        }
        return candidates.last?.id ?? Self.argmax(logits)
    }
}

