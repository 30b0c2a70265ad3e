import Foundation
import Testing
@testable import Evaluation

@Suite("Leaderboard")
struct LeaderboardTests {
    let mae = MetricSpec(kind: .mae)
    let within = MetricSpec(kind: .within, tolerance: .relative(0.1))
    let accuracy = MetricSpec(kind: .accuracy)

    func records() -> [(folder: URL, record: EvaluationRecord)] {
        let entries: [EvaluationRecord] = [
            evaluationRecord(name: "e3", createdAt: "2025-01-02T00:00:00Z",
                             model: modelEvaluation("ft1", [(mae, 35), (within, 0.5)])),
            evaluationRecord(name: "e1", createdAt: "2025-01-01T00:00:00Z",
                             model: modelEvaluation("ft1", [(mae, 30), (within, 0.6)]),
                             baseline: modelEvaluation("base", [(mae, 40), (within, 0.3)])),
            evaluationRecord(name: "e2", createdAt: "2025-01-03T00:00:00Z",
                             model: modelEvaluation("ft2", [(mae, 20), (within, 0.7)]),
                             baseline: modelEvaluation("base", [(mae, 41), (within, 0.2)])),
            evaluationRecord(name: "e4", createdAt: "2025-01-01T12:00:00Z",
                             model: modelEvaluation("broken", [(mae, nil), (within, 0)])),
            // The same model name from another provider is another row.
            evaluationRecord(name: "e5", createdAt: "2025-01-01T13:00:00Z",
                             model: modelEvaluation("ft1", provider: "together", [(mae, 25), (within, 0.65)])),
            // Another test file (another SHA-256), a label task, evaluated earlier.
            evaluationRecord(name: "l1", createdAt: "2024-12-01T00:00:00Z", sha256: "bbbb", path: "labels.jsonl", task: .label,
                             model: modelEvaluation("a", [(accuracy, 0.6)]), baseline: modelEvaluation("b", [(accuracy, 0.9)])),
        ]
        return entries.map { (URL(fileURLWithPath: "/runs/evals/\($0.name)"), $0) }
    }

    @Test("lower-is-better MAE: best first, nil last, the latest evaluation per model, baselines count")
    func maeOrder() throws {
        let groups = Leaderboard.groups(records(), metric: nil)
        #expect(groups.map(\.test.sha256) == ["aaaa", "bbbb"])
        let group = groups[0]
        #expect(group.metric == Leaderboard.RankedMetric(key: "mae", name: "MAE", higherIsBetter: false, isFraction: false))
        #expect(group.task == .numeric)
        #expect(group.rows.map { "\($0.provider)/\($0.model)" } == ["local/ft2", "together/ft1", "local/ft1", "local/base", "local/broken"])
        #expect(group.rows.map(\.value) == [20, 25, 35, 41, nil])
        // ft1's latest is e3 (Jan 2), not e1; base's latest is e2's baseline.
        #expect(group.rows[2].folder.lastPathComponent == "e3")
        #expect(group.rows[3].isBaseline && group.rows[3].evaluatedAt == "2025-01-03T00:00:00Z")
    }

    @Test("higher-is-better metrics rank the other way; a --metric name or key picks the metric")
    func higherIsBetter() throws {
        let groups = Leaderboard.groups(records(), metric: "within:10%")
        #expect(groups[0].metric.key == "within_10%")
        #expect(groups[0].metric.higherIsBetter)
        #expect(groups[0].rows.map(\.value) == [0.7, 0.65, 0.5, 0.2, 0])
        #expect(Leaderboard.groups(records(), metric: "within_10%")[0].rows.map(\.value) == [0.7, 0.65, 0.5, 0.2, 0])

        let labels = try #require(groups.first { $0.test.sha256 == "bbbb" })
        // No within metric on the label test set: every value is nil.
        #expect(labels.rows.allSatisfy { $0.value == nil })
        let byAccuracy = Leaderboard.groups(records(), metric: nil)[1]
        #expect(byAccuracy.metric.key == "accuracy")
        #expect(byAccuracy.rows.map(\.model) == ["b", "a"])
        #expect(byAccuracy.test.path == "labels.jsonl")
    }

    @Test("no records, no groups")
    func empty() {
        #expect(Leaderboard.groups([], metric: "mae").isEmpty)
    }
}
