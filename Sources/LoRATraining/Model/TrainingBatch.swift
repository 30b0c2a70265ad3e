/// Examples laid end to end for one forward/backward pass: no padding. Each example is a segment
/// that attends only to itself (causally), with positions restarting at 0, so packing several
/// short examples gives the same result as running them one by one.
public struct TrainingBatch: Sendable, Equatable {
    /// Token ids of every segment, concatenated. [M]
    public var tokens: [Int32]
    /// Position of each token inside its segment. [M]
    public var positions: [Int32]
    /// Start offset and length of each segment in `tokens`.
    public var segments: [Segment]
    /// The next token each position is trained to predict, or -1 where no loss is computed. [M]
    public var labels: [Int32]

    public struct Segment: Sendable, Equatable {
        public var start: Int
        public var length: Int
    }

    public init() {
        tokens = []
        positions = []
        segments = []
        labels = []
    }

    /// Appends an example: its token ids and, per token, whether the token is trained (predicting
    /// it carries loss). A trained token t makes position t − 1 carry the label.
    public mutating func append(tokens ids: [Int32], trained: [Bool]) {
        precondition(ids.count == trained.count, "one trained flag per token")
        guard !ids.isEmpty else { return }
        segments.append(Segment(start: tokens.count, length: ids.count))
        tokens += ids
        positions += (0..<ids.count).map { Int32($0) }
        for t in 0..<ids.count {
            labels.append(t + 1 < ids.count && trained[t + 1] ? ids[t + 1] : -1)
        }
    }

    /// Tokens in the batch (M).
    public var count: Int { tokens.count }
    /// Positions that carry loss.
    public var trainedCount: Int { labels.reduce(0) { $0 + ($1 >= 0 ? 1 : 0) } }
    /// The longest segment.
    public var longestSegment: Int { segments.map(\.length).max() ?? 0 }
}
