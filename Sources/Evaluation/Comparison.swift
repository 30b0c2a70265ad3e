/// One metric before (the baseline) and after (the model).
public struct ComparisonRow: Sendable, Codable, Equatable {
    public var key: String
    public var name: String
    public var baseline: Double?
    public var model: Double?
    /// model − baseline.
    public var change: Double?
    /// The change signed so that > 0 is better: −change when lower is better.
    public var improvement: Double?
    /// improvement / |baseline|; nil when the baseline is 0 or nil.
    public var relativeImprovement: Double?
    public var isFraction: Bool
    public var higherIsBetter: Bool

    public init(key: String, name: String, baseline: Double?, model: Double?, change: Double?, improvement: Double?,
                relativeImprovement: Double?, isFraction: Bool, higherIsBetter: Bool) {
        self.key = key
        self.name = name
        self.baseline = baseline
        self.model = model
        self.change = change
        self.improvement = improvement
        self.relativeImprovement = relativeImprovement
        self.isFraction = isFraction
        self.higherIsBetter = higherIsBetter
    }

    enum CodingKeys: String, CodingKey {
        case key, name, baseline, model, change, improvement
        case relativeImprovement = "relative_improvement"
        case isFraction = "is_fraction"
        case higherIsBetter = "higher_is_better"
    }
}

/// The examples whose verdict changed between the baseline and the model (0-based example indices).
public struct Flips: Sendable, Codable, Equatable {
    /// Right with the baseline, wrong with the model.
    public var rightToWrong: [Int]
    /// Wrong with the baseline, right with the model.
    public var wrongToRight: [Int]

    public init(rightToWrong: [Int], wrongToRight: [Int]) {
        self.rightToWrong = rightToWrong
        self.wrongToRight = wrongToRight
    }

    enum CodingKeys: String, CodingKey {
        case rightToWrong = "right_to_wrong"
        case wrongToRight = "wrong_to_right"
    }
}

/// A model against its baseline.
public enum Comparison {
    /// One row per metric of the model, in its order, matched with the baseline's metric of the same key
    /// (then the baseline's metrics the model lacks, with `model` nil).
    public static func rows(model: [MetricValue], baseline: [MetricValue]) -> [ComparisonRow] {
        let baselineByKey = Dictionary(baseline.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        let modelKeys = Set(model.map(\.key))
        let pairs = model.map { ($0, baselineByKey[$0.key]) } + baseline.filter { !modelKeys.contains($0.key) }.map { ($0, nil as MetricValue?) }
        return pairs.map { first, other in
            let onlyBaseline = !modelKeys.contains(first.key)
            let modelValue = onlyBaseline ? nil : first.value
            let baselineValue = onlyBaseline ? first.value : other?.value
            let change = modelValue.flatMap { m in baselineValue.map { m - $0 } }
            let improvement = change.map { first.higherIsBetter ? $0 : -$0 }
            let relative = improvement.flatMap { value in
                baselineValue.flatMap { $0 == 0 ? nil : value / abs($0) }
            }
            return ComparisonRow(key: first.key, name: first.name, baseline: baselineValue, model: modelValue, change: change,
                                 improvement: improvement, relativeImprovement: relative,
                                 isFraction: first.isFraction, higherIsBetter: first.higherIsBetter)
        }
    }

    /// `rows(model:baseline:)` of two evaluations.
    public static func rows(model: ModelEvaluation, baseline: ModelEvaluation) -> [ComparisonRow] {
        rows(model: model.metrics, baseline: baseline.metrics)
    }

    /// The examples that went right → wrong and wrong → right (`ExampleScore.right`). `model[i]` and
    /// `baseline[i]` are the two scores of example i; extra scores on either side are ignored.
    public static func flips(model: [ExampleScore], baseline: [ExampleScore]) -> Flips {
        var flips = Flips(rightToWrong: [], wrongToRight: [])
        for (index, (after, before)) in zip(model, baseline).enumerated() where after.right != before.right {
            if before.right { flips.rightToWrong.append(index) } else { flips.wrongToRight.append(index) }
        }
        return flips
    }
}
