import Testing
@testable import Evaluation

@Suite("Baseline comparison and flips")
struct ComparisonTests {
    func metric(_ spec: MetricSpec, _ value: Double?) -> MetricValue {
        MetricValue(spec, value: value, count: 10)
    }

    @Test("rows sign the improvement by direction and relate it to the baseline")
    func rows() {
        let mae = MetricSpec(kind: .mae), accuracy = MetricSpec(kind: .accuracy), f1 = MetricSpec(kind: .f1)
        let rmse = MetricSpec(kind: .rmse), format = MetricSpec(kind: .format)
        let model = [metric(mae, 45.2), metric(accuracy, 0.75), metric(f1, 0.5), metric(rmse, nil)]
        let baseline = [metric(accuracy, 0.5), metric(mae, 40.0), metric(f1, 0), metric(rmse, 3), metric(format, 0.62)]
        let rows = Comparison.rows(model: model, baseline: baseline)
        #expect(rows.map(\.key) == ["mae", "accuracy", "f1", "rmse", "format"])

        // MAE got worse: change +5.2, improvement −5.2, relative −5.2 / 40 = −13 %.
        #expect(close(rows[0].change, 5.2, 1e-9))
        #expect(close(rows[0].improvement, -5.2, 1e-9))
        #expect(close(rows[0].relativeImprovement, -0.13, 1e-9))
        #expect(rows[0].baseline == 40 && rows[0].model == 45.2)
        #expect(!rows[0].higherIsBetter && !rows[0].isFraction)
        // Accuracy rose by 0.25: +50 % of 0.5.
        #expect(close(rows[1].improvement, 0.25))
        #expect(close(rows[1].relativeImprovement, 0.5))
        // A baseline of 0 has no relative improvement.
        #expect(close(rows[2].improvement, 0.5))
        #expect(rows[2].relativeImprovement == nil)
        // A value missing on one side leaves the change empty.
        #expect(rows[3].change == nil && rows[3].improvement == nil && rows[3].baseline == 3)
        // A metric only the baseline has.
        #expect(rows[4].model == nil && rows[4].baseline == 0.62 && rows[4].name == "Format")
    }

    @Test("flips both ways, by example index")
    func flips() {
        func score(_ right: Bool) -> ExampleScore {
            ExampleScore(answer: "a", extracted: "a", value: nil, error: nil, exact: right, normalized: right, inFormat: true,
                         right: right, failure: nil, seconds: 0, completionTokens: nil, finishReason: nil)
        }
        let baseline = [true, true, false, false, true, false].map(score)
        let model = [true, false, true, false, false, true].map(score)
        let flips = Comparison.flips(model: model, baseline: baseline)
        #expect(flips == Flips(rightToWrong: [1, 4], wrongToRight: [2, 5]))
        #expect(Comparison.flips(model: baseline, baseline: baseline) == Flips(rightToWrong: [], wrongToRight: []))
    }

    @Test("example lines carry the expected value, both scores and the flip")
    func lines() throws {
        let extractor = try AnswerExtractor(pattern: nil)
        let (examples, model) = try scores(expected: ["$100", "$50"], answers: ["$100", "$80"], task: .numeric)
        let (_, baseline) = try scores(expected: ["$100", "$50"], answers: ["$300", "$52"], task: .numeric)
        let lines = ExampleLine.lines(examples: examples, model: model, baseline: baseline, task: .numeric, extractor: extractor)
        #expect(lines.map(\.expectedValue) == [100, 50])
        #expect(lines.map(\.flip) == [.wrongToRight, .rightToWrong])
        #expect(lines[1].baseline?.value == 52)
        #expect(ExampleLine.lines(examples: examples, model: model, baseline: nil, task: .numeric, extractor: extractor).allSatisfy { $0.flip == nil })
    }
}
