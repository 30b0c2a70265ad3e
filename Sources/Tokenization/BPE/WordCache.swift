import Foundation

/// Remembers the tokens of words already encoded. Text repeats its words, so most words of a
/// dataset skip BPE entirely.
///
/// `@unchecked Sendable`: the dictionary is only touched while holding `lock`. `NSLock` rather than
/// `Mutex`, which needs macOS 15 while the package supports macOS 14.
final class WordCache: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [[UInt8]: [Int32]] = [:]
    /// Entries kept at most; the cache starts over when full (a cheap bound on memory).
    let capacity: Int
    /// Words longer than this (in bytes) are not cached: they rarely repeat.
    let maxWordLength: Int

    init(capacity: Int = 100_000, maxWordLength: Int = 64) {
        self.capacity = capacity
        self.maxWordLength = maxWordLength
    }

    func tokens(for word: [UInt8]) -> [Int32]? {
        lock.lock()
        defer { lock.unlock() }
        return storage[word]
    }

    func store(_ tokens: [Int32], for word: [UInt8]) {
        lock.lock()
        defer { lock.unlock() }
        if storage.count >= capacity { storage.removeAll(keepingCapacity: true) }
        storage[word] = tokens
    }
}
