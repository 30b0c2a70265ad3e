import Foundation
import OpenAIAPI

/// A job's log on Together: its events and its metrics, merged into one list of `JobEvent`s.
///
/// Events keep Together's order (by `created_at`, ties in the order sent) and get an id derived from
/// their time, type and message when they have none. Each metrics entry with a step becomes a metrics
/// event `metrics-step-N`, placed after the last event whose `step` is at most N (at the end when no
/// event carries steps). `TogetherLogBook` keeps the order stable across calls.
struct TogetherEventLog: Sendable {
    var entries: [JobEvent]

    init(events: [[String: JSONValue]], metrics: [[String: JSONValue]], fallbackDate: Date) {
        var seen: [String: Int] = [:]
        var items: [(event: JobEvent, step: Int?, order: Int)] = []
        for (order, object) in events.enumerated() {
            let createdText = TogetherWire.string(object["created_at"]) ?? ""
            let type = TogetherWire.string(object["type"]) ?? "message"
            let message = TogetherWire.string(object["message"]) ?? type
            var id = TogetherWire.string(object["id"]) ?? TogetherWire.eventID(createdAt: createdText, type: type, message: message)
            seen[id, default: 0] += 1
            if let count = seen[id], count > 1 { id += "-\(count)" }
            let step = TogetherWire.int(object["step"])
            let metrics = step.flatMap { TogetherWire.metricPoint(object, step: $0) }
            let event = JobEvent(id: id, createdAt: TogetherWire.date(object["created_at"]) ?? fallbackDate,
                                 level: TogetherWire.level(TogetherWire.string(object["level"])), message: message, metrics: metrics)
            items.append((event, step, order))
        }
        items.sort { $0.event.createdAt == $1.event.createdAt ? $0.order < $1.order : $0.event.createdAt < $1.event.createdAt }

        var points: [Int: MetricPoint] = [:]
        for object in metrics {
            guard let step = TogetherWire.int(object["step"]), let point = TogetherWire.metricPoint(object, step: step) else { continue }
            points[step] = point
        }
        var pending = points.keys.sorted()
        var merged: [JobEvent] = []
        func flush(through step: Int?, date: Date) {
            while let next = pending.first, step.map({ next <= $0 }) ?? true, let point = points[next] {
                pending.removeFirst()
                merged.append(Self.metricsEvent(point, date: date))
            }
        }
        for item in items {
            merged.append(item.event)
            if let step = item.step { flush(through: step, date: item.event.createdAt) }
        }
        flush(through: nil, date: merged.last?.createdAt ?? fallbackDate)
        entries = merged
    }

    /// "Step 12/40: training loss=1.23, validation loss=1.40".
    static func metricsEvent(_ point: MetricPoint, date: Date) -> JobEvent {
        var message = "Step \(point.step)" + (point.totalSteps.map { "/\($0)" } ?? "") + ":"
        var parts: [String] = []
        if let loss = point.trainLoss { parts.append(String(format: "training loss=%.2f", loss)) }
        if let loss = point.validLoss { parts.append(String(format: "validation loss=%.2f", loss)) }
        message += " " + parts.joined(separator: ", ")
        return JobEvent(id: "metrics-step-\(point.step)", createdAt: date, level: "info", message: message, metrics: point)
    }
}

/// Each job's log as this process first listed it, so that `events(after:)` is exact: Together's events
/// and metrics come from two endpoints, and a metrics entry that shows up late would otherwise land
/// before entries already handed out. New entries are only ever appended.
final class TogetherLogBook: @unchecked Sendable {
    // @unchecked: `logs` is only read and written under `lock`.
    private let lock = NSLock()
    private var logs: [String: [JobEvent]] = [:]

    init() {}

    /// Appends the entries of `current` not listed before, and returns those after the one with id
    /// `after` (all when nil or unknown), oldest first.
    func entries(of jobID: String, merging current: [JobEvent], after id: String?) -> [JobEvent] {
        lock.withLock {
            var log = logs[jobID] ?? []
            let known = Set(log.map(\.id))
            log += current.filter { !known.contains($0.id) }
            logs[jobID] = log
            guard let id, let index = log.firstIndex(where: { $0.id == id }) else { return log }
            return Array(log[(index + 1)...])
        }
    }
}
