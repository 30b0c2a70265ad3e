import Foundation

/// One dedicated thread that runs jobs one after another, in the order they were submitted.
///
/// Generation is long, blocking, CPU-bound work: running it on Swift's cooperative pool (two
/// threads on a two-core machine) would stall every HTTP request and the training scheduler.
/// A plain `Thread` keeps it apart; the forward passes then fan out over the model's own pool.
final class GenerationThread: Sendable {
    private let queue: JobQueue

    /// Starts the thread.
    /// - Parameter name: the thread's name (shown by debuggers and `top -H`).
    init(name: String = "finetune-generation") {
        let queue = JobQueue()
        self.queue = queue
        let thread = Thread { queue.drain() }
        thread.name = name
        thread.stackSize = 8 << 20
        thread.start()
    }

    deinit { queue.close() }

    /// Queues `job` behind the ones already waiting.
    /// - Returns: false when the thread was stopped (the job will never run).
    @discardableResult
    func submit(_ job: @escaping @Sendable () -> Void) -> Bool { queue.push(job) }

    /// Jobs waiting to start (the running one excluded).
    var waiting: Int { queue.waiting }

    /// Lets the queued jobs finish, then ends the thread; later submissions are refused.
    func stop() { queue.close() }
}

/// The thread's FIFO of jobs. The thread holds this object, not the `GenerationThread`, so
/// dropping the last reference to `GenerationThread` closes the queue and ends the thread.
private final class JobQueue: @unchecked Sendable {
    // @unchecked: `jobs` and `closed` are only touched while holding `condition`.
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var closed = false

    var waiting: Int {
        condition.lock()
        defer { condition.unlock() }
        return jobs.count
    }

    func push(_ job: @escaping @Sendable () -> Void) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !closed else { return false }
        jobs.append(job)
        condition.signal()
        return true
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// The thread's body: run jobs until the queue is closed and empty.
    func drain() {
        while true {
            condition.lock()
            while jobs.isEmpty, !closed { condition.wait() }
            if jobs.isEmpty {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job()
        }
    }
}
