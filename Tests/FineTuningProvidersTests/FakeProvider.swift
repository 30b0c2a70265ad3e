import FineTuningProviders
import Foundation

/// A scripted provider for the monitor's tests: a job that moves through `stages`, one per call of
/// `job(_:)` (whether or not the call is made to fail), so the "server" keeps making progress
/// while the client can't reach it. Each stage shows a status and the first `eventCount` events.
actor FakeProvider: FineTuningProvider {
    /// What the job looks like at one point in time.
    struct Stage: Sendable {
        var status: JobStatus
        var eventCount: Int
        var checkpoints: [RemoteCheckpoint] = []
        var fineTunedModel: String?
        var error: JobFailure?
    }

    nonisolated let kind: ProviderKind = .openai
    nonisolated let location = "a fake provider"
    let jobID: String
    private let stages: [Stage]
    private let allEvents: [JobEvent]
    /// The error the n-th call (from 0) of `job` throws, or nil to answer.
    private let jobFailure: @Sendable (Int) -> ProviderError?
    /// The error the n-th call (from 0) of `events` throws, or nil to answer.
    private let eventsFailure: @Sendable (Int) -> ProviderError?
    /// Calls of `job` from this one on never answer (and ignore cancellation) for `hangSeconds`.
    private let hangFromCall: Int?
    private let hangSeconds: Double
    private(set) var jobCalls = 0
    /// Hung `job` calls that have come back.
    private(set) var hungCallsFinished = 0
    private(set) var eventsCalls = 0
    /// The `after` argument of every `events` call, in order.
    private(set) var eventsAfter: [String?] = []
    private(set) var checkpointCalls = 0

    init(jobID: String = "ftjob-fake", stages: [Stage], events: [JobEvent],
         jobFailure: @escaping @Sendable (Int) -> ProviderError? = { _ in nil },
         eventsFailure: @escaping @Sendable (Int) -> ProviderError? = { _ in nil },
         hangFromCall: Int? = nil, hangSeconds: Double = 5) {
        precondition(!stages.isEmpty, "a fake job needs at least one stage")
        self.jobID = jobID
        self.stages = stages
        self.allEvents = events
        self.jobFailure = jobFailure
        self.eventsFailure = eventsFailure
        self.hangFromCall = hangFromCall
        self.hangSeconds = hangSeconds
    }

    /// `count` events `event-1` … `event-N`, a metrics event every other one.
    static func events(_ count: Int) -> [JobEvent] {
        (0..<count).map { $0 + 1 }.map { index in
            JobEvent(id: "event-\(index)", createdAt: Date(timeIntervalSince1970: 1_700_000_000 + Double(index)), level: "info",
                     message: "message \(index)",
                     metrics: index.isMultiple(of: 2) ? MetricPoint(step: index / 2, totalSteps: 10, trainLoss: 2.0 / Double(index)) : nil)
        }
    }

    private var stage: Stage { stages[min(max(0, jobCalls - 1), stages.count - 1)] }

    func job(_ id: String) async throws -> JobSnapshot {
        guard id == jobID else { throw ProviderError.notFound(what: "fine-tuning job", id: id) }
        let call = jobCalls
        jobCalls += 1
        if let hangFromCall, call >= hangFromCall {
            // A call stuck on the network: it ignores cancellation.
            let seconds = hangSeconds
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { continuation.resume() }
            }
            hungCallsFinished += 1
        }
        if let error = jobFailure(call) { throw error }
        let stage = stage
        return JobSnapshot(id: jobID, status: stage.status, providerStatus: stage.status.rawValue, model: "base-model",
                           fineTunedModel: stage.fineTunedModel, error: stage.error)
    }

    func events(_ id: String, after: String?) async throws -> [JobEvent] {
        let call = eventsCalls
        eventsCalls += 1
        eventsAfter.append(after)
        if let error = eventsFailure(call) { throw error }
        let visible = Array(allEvents.prefix(stage.eventCount))
        guard let after, let index = visible.firstIndex(where: { $0.id == after }) else { return visible }
        return Array(visible[(index + 1)...])
    }

    func checkpoints(_ id: String) async throws -> [RemoteCheckpoint] {
        checkpointCalls += 1
        return stage.checkpoints
    }

    func upload(_ file: URL, progress: (@Sendable (Int, Int) -> Void)?) async throws -> RemoteFile {
        throw ProviderError.unsupported(provider: kind, what: "uploads (a fake provider)")
    }

    func quote(_ request: JobRequest) async throws -> Double? { nil }

    func createJob(_ request: JobRequest) async throws -> JobSnapshot {
        throw ProviderError.unsupported(provider: kind, what: "creating jobs (a fake provider)")
    }

    func jobs(limit: Int) async throws -> [JobSnapshot] { [try await job(jobID)] }

    func cancel(_ id: String) async throws -> JobSnapshot {
        throw ProviderError.unsupported(provider: kind, what: "cancelling (a fake provider)")
    }

    func pause(_ id: String) async throws -> JobSnapshot {
        throw ProviderError.unsupported(provider: kind, what: "pausing jobs")
    }

    func resume(_ id: String) async throws -> JobSnapshot {
        throw ProviderError.unsupported(provider: kind, what: "resuming jobs")
    }

    func models() async throws -> [RemoteModel] { [] }
}

/// Collects a monitor's updates (they arrive from the following task).
actor UpdateLog {
    private(set) var updates: [MonitorUpdate] = []

    func append(_ update: MonitorUpdate) { updates.append(update) }

    var events: [JobEvent] {
        updates.compactMap { if case .event(let event) = $0 { event } else { nil } }
    }

    var statuses: [JobStatus] {
        updates.compactMap { if case .snapshot(let snapshot) = $0 { snapshot.status } else { nil } }
    }

    /// A one-word name per update, for asserting their order.
    var kinds: [String] {
        updates.map {
            switch $0 {
            case .snapshot(let snapshot): "snapshot:\(snapshot.status.rawValue)"
            case .event(let event): event.id
            case .checkpoints(let list): "checkpoints:\(list.count)"
            case .connectionLost(_, _, let attempt): "lost:\(attempt)"
            case .reconnected: "reconnected"
            }
        }
    }
}
