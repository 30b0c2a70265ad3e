import Foundation
import TensorKernels

/// The worker threads the kernels split their work over (the calling thread is one of them).
///
/// One pool runs one kernel at a time: a model owns its pool and runs one forward pass at a time.
/// `@unchecked Sendable`: the pool's state is only touched inside `tk_pool_run`, which callers
/// serialise (see `LlamaModel`); the C side synchronises with its workers through atomics.
public final class ThreadPool: @unchecked Sendable {
    let pointer: OpaquePointer?
    /// Number of threads, the caller included.
    public let threadCount: Int

    /// - Parameter threadCount: threads to use, the caller included; at least 1.
    public init(threadCount: Int) {
        let count = max(1, threadCount)
        pointer = count > 1 ? tk_pool_create(Int32(count)) : nil
        self.threadCount = pointer.map { Int(tk_pool_thread_count($0)) } ?? 1
    }

    deinit {
        if let pointer { tk_pool_destroy(pointer) }
    }

    /// The default thread count: the machine's active processors.
    public static var defaultThreadCount: Int { ProcessInfo.processInfo.activeProcessorCount }

    /// Runs `body(thread, threadCount)` once on each thread of the pool (the caller's included)
    /// and returns when all are done. Split work by `thread` with a fixed rule so results don't
    /// depend on timing.
    ///
    /// The body runs concurrently on several threads: it must only write memory its `thread`
    /// index owns.
    public func run(_ body: (_ thread: Int, _ threadCount: Int) -> Void) {
        guard let pointer else {
            body(0, 1)
            return
        }
        withoutActuallyEscaping(body) { escapable in
            let task = PoolTask(body: escapable)
            withExtendedLifetime(task) {
                tk_pool_run(pointer, { context, index, count in
                    guard let context else { return }
                    Unmanaged<PoolTask>.fromOpaque(context).takeUnretainedValue().body(Int(index), Int(count))
                }, Unmanaged.passUnretained(task).toOpaque())
            }
        }
    }
}

extension ThreadPool {
    /// Splits 0..<count into one contiguous range per thread (sizes rounded to `granularity`) and
    /// runs `body` on each non-empty range in parallel. The split depends only on the count and
    /// the thread count, so results are the same run to run.
    public func parallelFor(_ count: Int, granularity: Int = 1, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        if threadCount == 1 || count <= granularity {
            body(0..<count)
            return
        }
        run { thread, threads in
            let chunks = (count + granularity - 1) / granularity
            let per = (chunks + threads - 1) / threads
            let begin = min(count, thread * per * granularity), end = min(count, (thread + 1) * per * granularity)
            if begin < end { body(begin..<end) }
        }
    }
}

/// Carries a Swift closure through the C pool's `void *` context.
/// `@unchecked Sendable`: the closure is only called between `tk_pool_run`'s start and return,
/// and `run`'s contract makes each thread write only what it owns.
private final class PoolTask: @unchecked Sendable {
    let body: (Int, Int) -> Void
    init(body: @escaping (Int, Int) -> Void) { self.body = body }
}
