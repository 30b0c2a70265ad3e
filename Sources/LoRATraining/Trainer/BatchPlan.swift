import ChatDataset

/// Which examples each optimizer step trains on, and how they are split into passes.
///
/// Epoch e visits the examples in a permutation drawn from (seed, e), so a resumed run replays the
/// same order from its step number alone. A step's examples are packed end to end into passes of
/// at most `maxBatchTokens` tokens (no padding: every computed token is an example's token).
struct BatchPlan {
    let examples: [EncodedExample]
    let batchSize: Int
    let maxBatchTokens: Int
    let seed: UInt64
    var stepsPerEpoch: Int { (examples.count + batchSize - 1) / batchSize }

    func order(epoch: Int) -> [Int] {
        var generator = SeededGenerator(seed: seed &+ 0x5EED &* UInt64(epoch + 1))
        var order = Array(examples.indices)
        order.stableShuffle(using: &generator)
        return order
    }

    /// The examples of global step `step` (0-based), split into passes.
    func passes(step: Int) -> [TrainingBatch] {
        let epoch = step / stepsPerEpoch, index = step % stepsPerEpoch
        let ordered = order(epoch: epoch)
        let chosen = ordered[(index * batchSize)..<min(ordered.count, (index + 1) * batchSize)]
        return Self.pack(chosen.map { examples[$0] }, maxTokens: maxBatchTokens)
    }

    /// Packs examples in order into passes of at most `maxTokens` tokens (an example longer than
    /// that gets a pass of its own).
    static func pack(_ examples: [EncodedExample], maxTokens: Int) -> [TrainingBatch] {
        var passes: [TrainingBatch] = []
        var current = TrainingBatch()
        for example in examples {
            if current.count > 0, current.count + example.tokens.count > maxTokens {
                passes.append(current)
                current = TrainingBatch()
            }
            current.append(tokens: example.tokens, trained: example.trained)
        }
        if current.count > 0 { passes.append(current) }
        return passes
    }
}
