/// The `training_stats` block of a run record (see the results file format: total, processed and
/// skipped conversations, total messages, training messages = assistant messages with weight 1).
public struct TrainingStats: Sendable, Codable, Equatable {
    public var totalConversations = 0
    public var processedConversations = 0
    public var skippedConversations = 0
    public var totalMessages = 0
    public var trainingMessages = 0

    public init() {}
}

/// Minimum, mean, median, 95th percentile and maximum of a list of counts.
public struct Distribution: Sendable, Codable, Equatable {
    public var min = 0
    public var mean = 0.0
    public var p50 = 0
    public var p95 = 0
    public var max = 0

    public init() {}

    /// Nearest-rank percentiles of `values` (sorted in place).
    public init(_ values: inout [Int32]) {
        guard !values.isEmpty else { return }
        values.sort()
        min = Int(values[0])
        max = Int(values[values.count - 1])
        mean = Double(values.reduce(0) { $0 + Int($1) }) / Double(values.count)
        p50 = Int(Self.rank(values, 0.50))
        p95 = Int(Self.rank(values, 0.95))
    }

    private static func rank(_ sorted: [Int32], _ q: Double) -> Int32 {
        let index = Swift.max(0, Int((q * Double(sorted.count)).rounded(.up)) - 1)
        return sorted[Swift.min(index, sorted.count - 1)]
    }
}

/// A conversation that cannot be trained on, and why.
public struct SkippedConversation: Sendable, Codable, Equatable {
    public var line: Int
    public var reason: String
}

/// Everything `finetune stats` reports about a chat JSONL file.
public struct DatasetStatistics: Sendable, Codable {
    public var file: String
    public var trainingStats: TrainingStats
    /// The first skipped conversations with their reasons (at most `skippedListLimit`).
    public var skipped: [SkippedConversation]
    /// Skipped conversations per check, all of them.
    public var skipReasons: [String: Int]
    public var messagesPerExample: Distribution
    public var tokensPerExample: Distribution
    /// Tokens of the trained assistant messages per example.
    public var trainedTokensPerExample: Distribution
    /// Tokens of all processed examples: what providers bill per epoch.
    public var tokensPerEpoch: Int
    /// Tokens the loss is computed on per epoch (trained assistant messages).
    public var trainedTokensPerEpoch: Int
    public var duplicates: Int
    public var tokenCounts: String

    public static let skippedListLimit = 1_000

    /// Reads `path` once and computes the statistics of its usable examples.
    /// - Throws: `DatasetError` when the file cannot be read.
    public static func compute(path: String, options: ScanOptions = ScanOptions(),
                               progress: ((Int, Int?) -> Void)? = nil) throws(DatasetError) -> DatasetStatistics {
        var stats = TrainingStats()
        var skipped: [SkippedConversation] = []
        var skipReasons: [String: Int] = [:]
        var messages: [Int32] = []
        var tokens: [Int32] = []
        var trained: [Int32] = []
        var tokensPerEpoch = 0
        var trainedPerEpoch = 0
        let result = try DatasetScanner(options: options).scan(path: path, progress: progress) { summary in
            stats.totalConversations += 1
            guard let reason = summary.skipReason else {
                stats.processedConversations += 1
                stats.totalMessages += summary.messageCount
                stats.trainingMessages += summary.trainedMessageCount
                messages.append(Int32(clamping: summary.messageCount))
                tokens.append(Int32(clamping: summary.tokenCount))
                trained.append(Int32(clamping: summary.trainedTokenCount))
                tokensPerEpoch += summary.tokenCount
                trainedPerEpoch += summary.trainedTokenCount
                return
            }
            stats.skippedConversations += 1
            skipReasons[summary.skipCode ?? "error", default: 0] += 1
            if skipped.count < skippedListLimit {
                skipped.append(SkippedConversation(line: summary.line, reason: reason))
            }
        }
        return DatasetStatistics(
            file: path, trainingStats: stats, skipped: skipped, skipReasons: skipReasons,
            messagesPerExample: Distribution(&messages), tokensPerExample: Distribution(&tokens),
            trainedTokensPerExample: Distribution(&trained), tokensPerEpoch: tokensPerEpoch,
            trainedTokensPerEpoch: trainedPerEpoch, duplicates: result.duplicateCount,
            tokenCounts: result.tokenCountsAreExact ? "exact" : result.tokenCountDescription)
    }
}
