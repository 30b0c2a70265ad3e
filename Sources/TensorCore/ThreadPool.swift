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
}
