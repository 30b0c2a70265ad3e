/// Byte-pair encoding of one word: start from one token per byte, then repeatedly merge the
/// adjacent pair with the best (lowest) merge rank, the leftmost first among equals, until no
/// adjacent pair has a merge.
///
/// Reference: Sennrich et al., "Neural Machine Translation of Rare Words with Subword Units" (2016),
/// and the priority-queue formulation of Hugging Face `tokenizers` (tokenizers/src/models/bpe/word.rs,
/// `Word::merge_all`): a min-heap of (rank, position) entries, where entries made stale by an
/// earlier merge are skipped when they come up. Merge ranks follow `tokenizers` too: when a pair is
/// listed twice, its later position counts.
struct BPEModel: Sendable {
    /// The token of each single byte, or -1 when the vocabulary lacks it (such bytes are dropped,
    /// as the reference does for a vocabulary without an unknown token).
    let byteTokenIDs: [Int32]
    /// `left << 32 | right` to `rank << 32 | merged`.
    private let merges: [UInt64: UInt64]

    /// - Parameters:
    ///   - byteTokenIDs: 256 entries, -1 for a byte the vocabulary lacks.
    ///   - merges: Pairs of token ids and the id of their concatenation, best first.
    init(byteTokenIDs: [Int32], merges: [(left: Int32, right: Int32, merged: Int32)]) {
        precondition(byteTokenIDs.count == 256, "one entry per byte value")
        self.byteTokenIDs = byteTokenIDs
        var table: [UInt64: UInt64] = [:]
        table.reserveCapacity(merges.count)
        for (rank, merge) in merges.enumerated() {
            table[Self.pairKey(merge.left, merge.right)] = UInt64(rank) << 32 | UInt64(UInt32(bitPattern: merge.merged))
        }
        self.merges = table
    }

    @inline(__always)
    private static func pairKey(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    /// Rank and merged id of a pair, if the pair merges.
    @inline(__always)
    private func merge(_ left: Int32, _ right: Int32) -> (rank: UInt32, merged: Int32)? {
        guard let entry = merges[Self.pairKey(left, right)] else { return nil }
        return (UInt32(entry >> 32), Int32(bitPattern: UInt32(truncatingIfNeeded: entry)))
    }

    /// The tokens of one word, appended to `output`.
    func encode(_ word: UnsafeBufferPointer<UInt8>, into output: inout [Int32]) {
        // One token per byte; linked through `previous`/`next` so merges need no shifting.
        var ids: [Int32] = []
        ids.reserveCapacity(word.count)
        for byte in word {
            let id = byteTokenIDs[Int(byte)]
            if id >= 0 { ids.append(id) }
        }
        let count = ids.count
        if count < 2 {
            output.append(contentsOf: ids)
            return
        }
        var previous = [Int32](unsafeUninitializedCapacity: count) { buffer, initialized in
            for index in 0..<count { buffer[index] = Int32(index) - 1 }
            initialized = count
        }
        var next = [Int32](unsafeUninitializedCapacity: count) { buffer, initialized in
            for index in 0..<count { buffer[index] = index + 1 < count ? Int32(index + 1) : -1 }
            initialized = count
        }
        var alive = [Bool](repeating: true, count: count)
        var queue = MergeQueue()
        for position in 0..<(count - 1) {
            if let found = merge(ids[position], ids[position + 1]) {
                queue.push(rank: found.rank, position: Int32(position))
            }
        }

        while let (rank, position32) = queue.pop() {
            let position = Int(position32)
            guard alive[position], next[position] >= 0 else { continue }
            let right = Int(next[position])
            // Skip entries made stale by an earlier merge: the pair here is no longer this rank's pair.
            guard let found = merge(ids[position], ids[right]), found.rank == rank else { continue }
            ids[position] = found.merged
            alive[right] = false
            let after = next[right]
            next[position] = after
            if after >= 0 { previous[Int(after)] = position32 }
            let before = previous[position]
            if before >= 0, let left = merge(ids[Int(before)], ids[position]) {
                queue.push(rank: left.rank, position: before)
            }
            if after >= 0, let rightMerge = merge(ids[position], ids[Int(after)]) {
                queue.push(rank: rightMerge.rank, position: position32)
            }
        }

        var position: Int32 = 0
        while position >= 0 {
            output.append(ids[Int(position)])
            position = next[Int(position)]
        }
    }
}

/// A binary min-heap of merge candidates ordered by (rank, position), packed into one `UInt64`.
struct MergeQueue {
    private var heap: [UInt64] = []

    var isEmpty: Bool { heap.isEmpty }

    mutating func push(rank: UInt32, position: Int32) {
        heap.append(UInt64(rank) << 32 | UInt64(UInt32(bitPattern: position)))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child] < heap[parent] else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> (rank: UInt32, position: Int32)? {
        guard let top = heap.first else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                guard left < heap.count else { break }
                let right = left + 1
                let smaller = right < heap.count && heap[right] < heap[left] ? right : left
                guard heap[smaller] < heap[parent] else { break }
                heap.swapAt(smaller, parent)
                parent = smaller
            }
        }
        return (UInt32(top >> 32), Int32(bitPattern: UInt32(truncatingIfNeeded: top)))
    }
}
