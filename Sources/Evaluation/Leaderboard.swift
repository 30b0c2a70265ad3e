import Foundation

/// `finetune runs leaderboard`: every model evaluated on the same test set, best first.
public enum Leaderboard {
    /// One model on one test set: its latest evaluation.
    public struct Row: Sendable {
        public var model: String
        public var provider: String
        public var run: RunReference?
        /// The ranked metric's value; nil when it was not computed for this model.
        public var value: Double?
        /// All the model's metrics in that evaluation.
        public var metrics: [MetricValue]
        /// The evaluation's `created_at`.
        public var evaluatedAt: String
        /// The evaluation's folder.
        public var folder: URL
        /// Whether the model was the evaluation's baseline.
        public var isBaseline: Bool
    }

    /// The metric a group is ranked by.
    public struct RankedMetric: Sendable, Equatable {
        public var key: String
        public var name: String
        public var higherIsBetter: Bool
        public var isFraction: Bool
    }

    /// The models evaluated on one test file.
    public struct Group: Sendable {
        /// The test file (path and example count of its latest evaluation).
        public var test: TestSetInfo
        /// The task of its latest evaluation.
        public var task: TaskKind
        public var metric: RankedMetric
        /// Best first; rows without a value last.
        public var rows: [Row]
    }

    /// Every model evaluated on each test set, grouped by the test file's SHA-256 and the number of its
    /// examples evaluated (`--limit` evaluates a part); per model (provider
    /// and name) its latest evaluation, where a model and its baseline both count.
    /// - Parameters:
    ///   - records: evaluations, as `EvaluationStore.list()` gives them.
    ///   - metric: the metric to rank by, as a key (`mae`, `within_10%`) or a `--metric` name
    ///     (`within:10%`); nil: the group's task's first default metric (numeric MAE, label accuracy,
    ///     text exact match).
    /// - Returns: the groups, the most recently evaluated test set first.
    public static func groups(_ records: [(folder: URL, record: EvaluationRecord)], metric: String?) -> [Group] {
        struct Entry {
            var evaluation: ModelEvaluation
            var record: EvaluationRecord
            var folder: URL
            var isBaseline: Bool
            var date: Date
        }
        var bySet: [String: [Entry]] = [:]
        for (folder, record) in records {
            let date = EvaluationStore.date(record.createdAt)
            bySet[record.test.groupKey, default: []].append(Entry(evaluation: record.model, record: record, folder: folder, isBaseline: false, date: date))
            if let baseline = record.baseline {
                bySet[record.test.groupKey, default: []].append(Entry(evaluation: baseline, record: record, folder: folder, isBaseline: true, date: date))
            }
        }
        let groups = bySet.values.compactMap { entries -> (Group, Date)? in
            // The latest evaluation of each model; on the same date the later record in `records` wins.
            var latest: [String: Entry] = [:]
            for entry in entries {
                let id = entry.evaluation.provider + "\u{0}" + entry.evaluation.model
                if let kept = latest[id], kept.date > entry.date { continue }
                latest[id] = entry
            }
            guard let newest = entries.max(by: { $0.date < $1.date }) else { return nil }
            let ranked = rankedMetric(metric, task: newest.record.task, evaluations: latest.values.map(\.evaluation))
            var rows = latest.values.map { entry in
                Row(model: entry.evaluation.model, provider: entry.evaluation.provider, run: entry.evaluation.run,
                    value: entry.evaluation.value(of: ranked.key), metrics: entry.evaluation.metrics,
                    evaluatedAt: entry.record.createdAt, folder: entry.folder, isBaseline: entry.isBaseline)
            }
            rows.sort { first, second in
                switch (first.value, second.value) {
                case let (a?, b?) where a != b: return ranked.higherIsBetter ? a > b : a < b
                case (_?, nil): return true
                case (nil, _?): return false
                default: return (first.model, first.provider) < (second.model, second.provider)
                }
            }
            return (Group(test: newest.record.test, task: newest.record.task, metric: ranked, rows: rows), newest.date)
        }
        return groups.sorted { ($0.1, $0.0.test.path) > ($1.1, $1.0.test.path) }.map(\.0)
    }

    /// The metric a group is ranked by: its description from the evaluations that computed it, else
    /// from parsing the name.
    static func rankedMetric(_ requested: String?, task: TaskKind, evaluations: [ModelEvaluation]) -> RankedMetric {
        let spec = requested.flatMap { try? MetricSpec(parsing: $0) } ?? (requested == nil ? MetricSpec.defaults(for: task).first : nil)
        let key = spec?.key ?? requested ?? ""
        if let value = evaluations.lazy.flatMap(\.metrics).first(where: { $0.key == key }) {
            return RankedMetric(key: key, name: value.name, higherIsBetter: value.higherIsBetter, isFraction: value.isFraction)
        }
        if let spec {
            return RankedMetric(key: key, name: spec.name, higherIsBetter: spec.higherIsBetter, isFraction: spec.isFraction)
        }
        return RankedMetric(key: key, name: key, higherIsBetter: true, isFraction: false)
    }
}
