import Foundation

/// What `JobMonitor.follow` reports while it watches a job.
public enum MonitorUpdate: Sendable {
    /// The first look at the job, then each change of its status, fine-tuned model or error.
    case snapshot(JobSnapshot)
    /// Each new event once, oldest first.
    case event(JobEvent)
    /// The job's checkpoints (newest first), on the first look and whenever the list changed.
    case checkpoints([RemoteCheckpoint])
    /// The provider could not be reached (a transient error); the monitor tries again after `retryIn`.
    /// `attempt` counts the failed looks of this outage, from 1.
    case connectionLost(ProviderError, retryIn: Duration, attempt: Int)
    /// The provider answered again after an outage of `after`.
    case reconnected(after: Duration)
}

/// Follows a fine-tuning job on any provider until it finishes: polls its status, events and
/// checkpoints, reports each change once, and rides out network outages.
///
/// ```swift
/// let monitor = JobMonitor(provider: provider, interval: .seconds(10))
/// let final = try await monitor.follow(job.id) { update in
///     if case .event(let event) = update { print(event.message) }
/// }
/// print(final.status, final.fineTunedModel ?? "-")
/// ```
public struct JobMonitor: Sendable {
    public let provider: any FineTuningProvider
    /// Time between looks while the job runs.
    public let interval: Duration
    /// The longest outage to ride out (transient errors in a row); longer ones throw the last error.
    public let maxOutage: Duration
    /// The longest wait between tries during an outage.
    public let maxRetryDelay: Duration

    /// - Parameters:
    ///   - provider: where the job runs.
    ///   - interval: time between looks, and the first delay after a failed one (it doubles while
    ///     the outage lasts, up to `maxRetryDelay`).
    ///   - maxOutage: how long the provider may stay unreachable before `follow` gives up.
    ///   - maxRetryDelay: the longest wait between tries during an outage (default 60 s).
    public init(provider: any FineTuningProvider, interval: Duration = .seconds(10), maxOutage: Duration = .seconds(1800),
                maxRetryDelay: Duration = .seconds(60)) {
        self.provider = provider
        self.interval = interval
        self.maxOutage = maxOutage
        self.maxRetryDelay = max(maxRetryDelay, interval)
    }

    /// Follows the job until its status is terminal (succeeded, failed or cancelled), then
    /// reports its last events and checkpoints and returns the final snapshot.
    ///
    /// Order of updates: the first snapshot comes first; later status changes come before the
    /// events of the same look, except the terminal snapshot, which comes after the job's last
    /// events and checkpoints. Transient errors (`ProviderError.isTransient`) report
    /// `connectionLost` and are retried with a doubling delay; events are asked for after the last
    /// one delivered, so none is lost or repeated across an outage.
    /// - Parameters:
    ///   - jobID: the job.
    ///   - after: the id of the last event already seen (to re-attach to a job without repeating
    ///     its log); nil reports every event.
    ///   - onUpdate: called with each update, in order, before the monitor looks again.
    /// - Returns: the job's terminal snapshot.
    /// - Throws: the first non-transient `ProviderError` (a wrong key, an unknown job), the last
    ///   transient one when an outage outlasts `maxOutage`, or `CancellationError` as soon as the
    ///   calling task is cancelled.
    public func follow(_ jobID: String, after: String? = nil,
                       onUpdate: @Sendable (MonitorUpdate) async -> Void) async throws -> JobSnapshot {
        var state = FollowState(lastEventID: after)
        let clock = ContinuousClock()
        var outageStart: ContinuousClock.Instant?
        var failures = 0
        while true {
            try Task.checkCancellation()
            do {
                let finished = try await look(jobID, state: &state, onUpdate: { update in
                    // The provider answered: an outage (if any) ends before the first update.
                    if let start = outageStart {
                        outageStart = nil
                        failures = 0
                        await onUpdate(.reconnected(after: clock.now - start))
                    }
                    await onUpdate(update)
                })
                if let start = outageStart {
                    outageStart = nil
                    failures = 0
                    await onUpdate(.reconnected(after: clock.now - start))
                }
                if let finished { return finished }
                try await Task.sleep(for: interval)
            } catch let error as ProviderError where error.isTransient {
                let now = clock.now
                let start = outageStart ?? now
                outageStart = start
                failures += 1
                let elapsed = now - start
                guard elapsed < maxOutage else { throw error }
                let delay = min(retryDelay(failure: failures), maxOutage - elapsed)
                await onUpdate(.connectionLost(error, retryIn: delay, attempt: failures))
                try await Task.sleep(for: delay)
            }
        }
    }

    /// The wait after the `failure`-th failed look in a row: the interval, doubling, at most `maxRetryDelay`.
    func retryDelay(failure: Int) -> Duration {
        var delay = interval
        for _ in 1..<max(1, failure) {
            delay *= 2
            if delay >= maxRetryDelay { return maxRetryDelay }
        }
        return min(delay, maxRetryDelay)
    }

    /// What the monitor has delivered so far.
    private struct FollowState {
        var lastEventID: String?
        var seenEvents: Set<String> = []
        var snapshot: JobSnapshot?
        var checkpoints: [RemoteCheckpoint]?
    }

    /// One look: the job, its new events and (when something happened) its checkpoints.
    /// - Returns: the terminal snapshot once the job has finished, else nil.
    private func look(_ jobID: String, state: inout FollowState,
                      onUpdate: (MonitorUpdate) async -> Void) async throws -> JobSnapshot? {
        let provider = provider
        let snapshot = try await cancellable { try await provider.job(jobID) }
        let changed = state.snapshot.map { Self.differs($0, snapshot) } ?? true
        if changed, !snapshot.status.isTerminal {
            state.snapshot = snapshot
            await onUpdate(.snapshot(snapshot))
        }
        let after = state.lastEventID
        let events = try await cancellable { try await provider.events(jobID, after: after) }
        var fresh = false
        for event in events where !state.seenEvents.contains(event.id) {
            state.seenEvents.insert(event.id)
            state.lastEventID = event.id
            fresh = true
            await onUpdate(.event(event))
        }
        if fresh || state.checkpoints == nil || snapshot.status.isTerminal {
            let checkpoints: [RemoteCheckpoint]
            do { checkpoints = try await cancellable { try await provider.checkpoints(jobID) } } catch ProviderError.unsupported {
                checkpoints = []      // a provider that keeps no checkpoints
            }
            if checkpoints != state.checkpoints {
                if !(state.checkpoints == nil && checkpoints.isEmpty) { await onUpdate(.checkpoints(checkpoints)) }
                state.checkpoints = checkpoints
            }
        }
        guard snapshot.status.isTerminal else { return nil }
        if changed {
            state.snapshot = snapshot
            await onUpdate(.snapshot(snapshot))
        }
        return snapshot
    }

    /// Whether the change from `old` to `new` is worth reporting.
    static func differs(_ old: JobSnapshot, _ new: JobSnapshot) -> Bool {
        old.status != new.status || old.providerStatus != new.providerStatus || old.fineTunedModel != new.fineTunedModel
            || old.error != new.error
    }
}

/// Runs `body` in a task of its own and returns its result, or throws `CancellationError` as soon
/// as the calling task is cancelled (the body's task is cancelled too, but not waited for): a
/// provider call stuck on a slow network must not hold up Ctrl-C.
func cancellable<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let race = CancellableRace<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            race.start(continuation, body: body)
        }
    } onCancel: {
        race.cancel()
    }
}

/// The continuation of one `cancellable` call, resumed once: by the body's result or by cancellation.
private final class CancellableRace<T: Sendable>: @unchecked Sendable {
    // @unchecked: `continuation`, `task` and `cancelled` are only touched while holding `lock`.
    private let lock = NSLock()
    private var continuation: CheckedContinuation<T, any Error>?
    private var task: Task<Void, Never>?
    private var cancelled = false

    func start(_ continuation: CheckedContinuation<T, any Error>, body: @escaping @Sendable () async throws -> T) {
        let alreadyCancelled = lock.withLock { () -> Bool in
            if cancelled { return true }
            self.continuation = continuation
            return false
        }
        if alreadyCancelled {
            continuation.resume(throwing: CancellationError())
            return
        }
        let task = Task {
            let result: Result<T, any Error>
            do { result = .success(try await body()) } catch { result = .failure(error) }
            self.finish(result)
        }
        let cancelNow = lock.withLock { () -> Bool in
            self.task = task
            return cancelled
        }
        if cancelNow { task.cancel() }
    }

    func cancel() {
        let (continuation, task) = lock.withLock { () -> (CheckedContinuation<T, any Error>?, Task<Void, Never>?) in
            cancelled = true
            defer { self.continuation = nil }
            return (self.continuation, self.task)
        }
        task?.cancel()
        continuation?.resume(throwing: CancellationError())
    }

    private func finish(_ result: Result<T, any Error>) {
        let continuation = lock.withLock { () -> CheckedContinuation<T, any Error>? in
            defer { self.continuation = nil }
            return self.continuation
        }
        continuation?.resume(with: result)
    }
}
