import Dispatch
import FineTuningProviders
import Foundation

/// Follows a job until it ends: draws it (`JobMonitorView`), keeps its run record up to date, and turns
/// Ctrl-C into "stop watching" (the caller decides what that means for the job).
struct JobFollower {
    enum Outcome {
        case finished(JobSnapshot)
        /// Ctrl-C: the monitor stopped; the job was left as it was.
        case interrupted
    }

    let provider: any FineTuningProvider
    let interval: Duration
    let keeper: RecordKeeper?

    func follow(_ jobID: String, after lastEventID: String? = nil) async throws -> (Outcome, JobMonitorView) {
        let state = FollowState(keeper: keeper)
        let monitor = JobMonitor(provider: provider, interval: interval)
        let task = Task { () async throws -> JobSnapshot in
            try await monitor.follow(jobID, after: lastEventID) { update in state.handle(update) }
        }
        let watcher = InterruptWatcher { task.cancel() }
        defer { watcher.stop() }
        do {
            let job = try await task.value
            state.finish()
            return (.finished(job), state.view)
        } catch is CancellationError {
            state.finish()
            return (.interrupted, state.view)
        } catch {
            state.finish()
            if task.isCancelled { return (.interrupted, state.view) }
            throw error
        }
    }
}

/// The run record being kept while a job runs: updated from every monitor update, written at once on a
/// status change or a checkpoint and at most once a second otherwise (and always at the end).
final class RecordKeeper: @unchecked Sendable {
    // @unchecked: every access goes through `lock`.
    private let lock = NSLock()
    private var value: ExperimentRecord
    private var lastWrite = Date.distantPast
    let store: ExperimentRecordStore
    let url: URL
    /// Told every change (an experiment tracker's feed); called outside the lock.
    private let onChange: (@Sendable (ExperimentRecord) -> Void)?

    init(store: ExperimentRecordStore, url: URL, record: ExperimentRecord,
         onChange: (@Sendable (ExperimentRecord) -> Void)? = nil) {
        self.store = store
        self.url = url
        value = record
        self.onChange = onChange
    }

    var record: ExperimentRecord { lock.withLock { value } }

    /// Changes the record and writes it (now when `force`, else when a second has passed).
    func update(force: Bool = true, _ change: (inout ExperimentRecord) -> Void) {
        let changed = lock.withLock { () -> ExperimentRecord in
            change(&value)
            let now = Date()
            if force || now.timeIntervalSince(lastWrite) >= 1 { write(now) }
            return value
        }
        onChange?(changed)
    }

    /// Writes whatever is pending.
    func flush() {
        lock.withLock { write(Date()) }
    }

    private func write(_ now: Date) {
        value.updatedAt = ExperimentRecord.localISOString(now)
        do {
            try store.write(value, to: url)
            lastWrite = now
        } catch {
            Console.err(Console.paint("finetune: warning: \(error)", .yellow))
        }
    }

    func take(_ update: MonitorUpdate) {
        switch update {
        case .snapshot(let job): self.update { $0.apply(job) }
        case .event(let event):
            self.update(force: false) { record in
                if let point = event.metrics { record.record(point) }
                record.lastEventID = event.id
            }
        case .checkpoints(let checkpoints): self.update { $0.checkpoints = checkpoints }
        case .connectionLost, .reconnected: break
        }
    }
}

/// The view and the record, fed one update at a time by the monitor.
private final class FollowState: @unchecked Sendable {
    // @unchecked: the monitor calls `handle` from one task at a time; `lock` makes that explicit.
    private let lock = NSLock()
    let view = JobMonitorView()
    let keeper: RecordKeeper?

    init(keeper: RecordKeeper?) { self.keeper = keeper }

    func handle(_ update: MonitorUpdate) {
        lock.withLock {
            keeper?.take(update)
            view.handle(update)
        }
    }

    func finish() {
        lock.withLock {
            view.finish()
            keeper?.flush()
        }
    }
}

/// Calls `action` on the first Ctrl-C; a second one quits at once (status 130).
final class InterruptWatcher: @unchecked Sendable {
    // @unchecked: the source is only touched on creation and in `stop`.
    private let source: DispatchSourceSignal
    private let presses = Counter()

    init(action: @escaping @Sendable () -> Void) {
        signal(SIGINT, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        let presses = presses
        source.setEventHandler {
            if presses.increment() > 1 { _exit(130) }
            action()
        }
        source.resume()
    }

    func stop() {
        source.cancel()
        signal(SIGINT, SIG_DFL)
    }

    private final class Counter: @unchecked Sendable {
        // @unchecked: guarded by `lock`.
        private let lock = NSLock()
        private var count = 0
        func increment() -> Int { lock.withLock { count += 1; return count } }
    }
}
