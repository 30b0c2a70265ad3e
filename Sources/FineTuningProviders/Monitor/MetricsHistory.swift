import Foundation

/// A job's training figures by step, merged from its metrics events: a step's training and
/// validation figures may arrive in separate events (the local engine reports the step, then its
/// validation), and a provider may repeat a step after a restart; later figures fill in or
/// replace earlier ones field by field.
///
/// ```swift
/// var history = MetricsHistory()
/// for event in events { history.record(event) }
/// print(history.latestTrainLoss ?? .nan, history.eta() ?? "unknown")
/// ```
public struct MetricsHistory: Sendable, Codable, Equatable {
    /// When each step was first seen, for the step rate (not the provider's clock: events
    /// delivered late would otherwise look like instant progress).
    private struct Sighting: Sendable, Codable, Equatable {
        var step: Int
        var at: Date
    }

    private var byStep: [Int: MetricPoint] = [:]
    private var first: Sighting?
    private var last: Sighting?

    public init() {}

    /// A history holding `points` (merged by step), as if they had been recorded in order.
    public init(_ points: [MetricPoint]) {
        for point in points { record(point) }
    }

    /// Every step's figures, by step.
    public var points: [MetricPoint] { byStep.values.sorted { $0.step < $1.step } }

    /// True when no figures were recorded.
    public var isEmpty: Bool { byStep.isEmpty }

    /// The highest step's figures.
    public var latest: MetricPoint? { byStep.keys.max().flatMap { byStep[$0] } }

    /// The training loss of the highest step that has one.
    public var latestTrainLoss: Double? { trainSeries.last?.value }

    /// The validation loss (the full pass where there is one) of the highest step that has one.
    public var latestValidLoss: Double? { validSeries.last?.value }

    /// The total steps the provider last reported.
    public var totalSteps: Int? { points.last(where: { $0.totalSteps != nil })?.totalSteps }

    /// (step, training loss), by step.
    public var trainSeries: [(step: Int, value: Double)] {
        points.compactMap { point in point.trainLoss.map { (step: point.step, value: $0) } }
    }

    /// (step, validation loss), by step: the full validation pass where there is one, else the batch's.
    public var validSeries: [(step: Int, value: Double)] {
        points.compactMap { point in point.bestValidLoss.map { (step: point.step, value: $0) } }
    }

    /// Records the metrics an event carries (events without any are ignored).
    /// - Parameters:
    ///   - event: a job event.
    ///   - now: when it was seen (for `eta`).
    public mutating func record(_ event: JobEvent, now: Date = Date()) {
        if let metrics = event.metrics { record(metrics, now: now) }
    }

    /// Merges `point` into its step: fields it has replace the step's, the others stay.
    /// - Parameters:
    ///   - point: one step's figures.
    ///   - now: when it was seen (for `eta`).
    public mutating func record(_ point: MetricPoint, now: Date = Date()) {
        let merged = (byStep[point.step] ?? MetricPoint(step: point.step)).merging(point)
        byStep[point.step] = merged
        if first == nil { first = Sighting(step: point.step, at: now) }
        if point.step > (last?.step ?? Int.min) { last = Sighting(step: point.step, at: now) }
    }

    /// Steps per second since the first step seen; nil until two different steps were seen.
    public var stepsPerSecond: Double? {
        guard let first, let last, last.step > first.step else { return nil }
        let seconds = last.at.timeIntervalSince(first.at)
        guard seconds > 0 else { return nil }
        return Double(last.step - first.step) / seconds
    }

    /// When the job should finish at the step rate seen so far (for providers that give no
    /// estimated finish); nil without a rate or a total.
    /// - Parameter now: the current time; the remaining steps are counted from the last step seen.
    public func eta(now: Date = Date()) -> Date? {
        guard let rate = stepsPerSecond, let total = totalSteps, let last else { return nil }
        let remaining = Double(max(0, total - last.step)) / rate
        // The time since the last step already counts towards the next ones.
        let sinceLast = max(0, now.timeIntervalSince(last.at))
        return now.addingTimeInterval(max(0, remaining - sinceLast))
    }
}
