/// A seeded pseudo-random generator (SplitMix64, Steele, Lea & Flood, "Fast splittable pseudorandom
/// number generators", OOPSLA 2014) so that `--seed` gives the same shuffle and the same split on
/// every machine and every run. Swift's `SystemRandomNumberGenerator` cannot be seeded.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension MutableCollection where Self: RandomAccessCollection, Index == Int {
    /// Fisher–Yates shuffle driven by `generator`, independent of the standard library's
    /// unspecified `shuffle(using:)` algorithm, so results stay stable across Swift versions.
    public mutating func stableShuffle(using generator: inout SeededGenerator) {
        guard count > 1 else { return }
        for i in stride(from: endIndex - 1, to: startIndex, by: -1) {
            let j = startIndex + Int(generator.next() % UInt64(i - startIndex + 1))
            swapAt(i, j)
        }
    }
}
