import Foundation

/// A token and its log probability under the model (natural log of the softmax of the raw logits,
/// before temperature, top-p or top-k change anything).
public struct ScoredToken: Sendable, Equatable {
    public var id: Int
    /// ≤ 0.
    public var logprob: Float

    public init(id: Int, logprob: Float) {
        self.id = id
        self.logprob = logprob
    }
}

/// Log probabilities of one step's logits: the log-softmax, computed once per step in O(V).
///
/// OpenAI's `logprobs` are these values for the chosen token and for the `top_logprobs` most
/// likely alternatives (OpenAI API reference, "Chat Completions: logprobs").
public struct TokenProbabilities: Sendable {
    /// log Σ exp(logits), computed stably around the largest logit.
    public let logNormalizer: Float
    private let logits: [Float]

    /// - Parameter logits: one position's logits [V].
    public init(logits: [Float]) {
        self.logits = logits
        let maxLogit = logits.max() ?? 0
        var sum: Double = 0
        for value in logits { sum += Double(expf(value - maxLogit)) }
        logNormalizer = maxLogit + Float(log(sum))
    }

    /// The log probability of `id` (≤ 0); -infinity for an id outside the vocabulary.
    public func logprob(of id: Int) -> Float {
        guard logits.indices.contains(id) else { return -.infinity }
        return min(0, logits[id] - logNormalizer)
    }

    /// The `k` most likely tokens, most likely first (ties: the smaller id first).
    public func top(_ k: Int) -> [ScoredToken] {
        guard k > 0 else { return [] }
        var best: [(id: Int, logit: Float)] = []   // sorted descending, at most k
        best.reserveCapacity(k + 1)
        for (id, value) in logits.enumerated() {
            if best.count == k, let last = best.last, value <= last.logit { continue }
            let index = best.firstIndex { value > $0.logit } ?? best.count
            best.insert((id, value), at: index)
            if best.count > k { best.removeLast() }
        }
        return best.map { ScoredToken(id: $0.id, logprob: min(0, $0.logit - logNormalizer)) }
    }
}
