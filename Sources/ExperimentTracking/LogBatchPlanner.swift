import Foundation

/// Splits params, tags and metrics into `log-batch` requests within MLflow's limits
/// (mlflow/utils/validation.py, MLflow 3.17): at most 1000 metrics, 100 params, 100 tags and 1000
/// entities in all per request, and a body under 1 MB (kept under 900 kB here). Keys are sanitized
/// with `MLflowNames.key(_:)`, param values cut to 6000 characters and tag values to 8000, each with
/// a note saying so. Params and tags go first (sorted by key), then the metrics in the order given.
enum LogBatchPlanner {
    static let maxMetrics = 1000
    static let maxParams = 100
    static let maxTags = 100
    static let maxEntities = 1000
    static let maxBytes = 900_000

    static func batches(runID: String, params: [String: String], metrics: [MLflowMetric],
                        tags: [String: String]) -> [LogBatchRequest] {
        let params = entries(params, limit: MLflowNames.maxParamValueLength)
        let tags = entries(tags, limit: MLflowNames.maxTagValueLength)
        let metrics = metrics.map {
            WireMetric(key: MLflowNames.key($0.key), value: $0.value, timestamp: $0.timestamp, step: $0.step)
        }
        var batches: [LogBatchRequest] = []
        let empty = LogBatchRequest(runID: runID, metrics: [], params: [], tags: [])
        var current = empty
        var bytes = 0
        func fits(_ size: Int, _ kindFull: Bool) -> Bool {
            !kindFull && current.metrics.count + current.params.count + current.tags.count < maxEntities
                && bytes + size <= maxBytes
        }
        func startNew() {
            batches.append(current)
            current = empty
            bytes = 0
        }
        for param in params {
            let size = Self.size(of: param)
            if !fits(size, current.params.count >= maxParams) { startNew() }
            current.params.append(param)
            bytes += size
        }
        for tag in tags {
            let size = Self.size(of: tag)
            if !fits(size, current.tags.count >= maxTags) { startNew() }
            current.tags.append(tag)
            bytes += size
        }
        for metric in metrics {
            // `{"key":"…","step":…,"timestamp":…,"value":…}`: 44 bytes of syntax, ≤ 20 per integer,
            // ≤ 24 for the value; keys are ASCII after sanitizing.
            let size = metric.key.utf8.count + 110
            if !fits(size, current.metrics.count >= maxMetrics) { startNew() }
            current.metrics.append(metric)
            bytes += size
        }
        if !(current.metrics.isEmpty && current.params.isEmpty && current.tags.isEmpty) { batches.append(current) }
        return batches
    }

    /// Sanitized keys, values cut to `limit`, sorted by key (the last of two texts with one key wins).
    private static func entries(_ values: [String: String], limit: Int) -> [WireKeyValue] {
        var byKey: [String: String] = [:]
        for (key, value) in values.sorted(by: { $0.key < $1.key }) {
            byKey[MLflowNames.key(key)] = MLflowNames.truncated(value, limit: limit)
        }
        return byKey.sorted { $0.key < $1.key }.map { WireKeyValue(key: $0.key, value: $0.value) }
    }

    /// The bytes `entry` takes in the JSON body, separator included.
    private static func size(of entry: WireKeyValue) -> Int {
        ((try? MLflowJSON.encoder().encode(entry))?.count ?? (entry.key.utf8.count + entry.value.utf8.count * 6 + 24)) + 1
    }
}
