import Foundation

/// Long blocking work (loading a model, encoding data, training) on a thread of its own, so Swift's
/// cooperative threads (two on a two-core machine) stay free for the monitor and the network.
/// The same pattern as the server's `BlockingWork`.
enum TrainingThread {
    /// Starts `body` on a new thread (8 MB stack) and returns at once.
    static func start(name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread { body() }
        thread.name = name
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Runs `body` on a new thread and awaits its result without holding a cooperative thread.
    static func run<T: Sendable>(name: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            start(name: name) { continuation.resume(with: Result { try body() }) }
        }
    }
}

/// Why a run was asked to stop between steps.
enum StopReason: Sendable, Equatable {
    case cancel, pause
}

/// Tells the trainer to stop, the same way at both places it asks.
///
/// The trainer asks `isCancelled` after a step (to save a checkpoint at that step) and before the
/// next one (to stop). A request that arrived between the two questions would stop the run
/// without a checkpoint at its last step, and a resumed run would repeat steps. So the answer is
/// latched when each step is reported: both questions after a step get the same answer.
final class StopLatch: @unchecked Sendable {
    // @unchecked: every stored property is only read and written while holding `lock`.
    private let lock = NSLock()
    private var requested: StopReason?
    private var latched: Bool?

    /// A cancel wins over a pause (a pause after a cancel stays a cancel).
    func request(_ reason: StopReason) {
        lock.withLock { if requested == nil || reason == .cancel { requested = reason } }
    }

    /// Why the run was asked to stop, if it was.
    var reason: StopReason? { lock.withLock { requested } }

    /// Called when the trainer reports a step: fixes the answer until the next step.
    func stepReported() {
        lock.withLock { latched = requested != nil }
    }

    /// The trainer's `isCancelled`: the live request before the first step, the latched answer after.
    var isCancelled: Bool {
        lock.withLock { latched ?? (requested != nil) }
    }
}
