import Foundation
import Testing
@testable import TensorCore

/// GFLOP/s of the training shapes, fp32 against bf16, on 2 and 1 threads. Runs only with
/// FINETUNE_GEMM_BENCH=1 (and OPENBLAS_CORETYPE=SkylakeX for a fair fp32 peer); prints a table.
/// FINETUNE_GEMM_BENCH_M picks the token counts (default "256,1024,2048"; the head also runs 128),
/// FINETUNE_GEMM_BENCH_THREADS the thread counts (default "2,1").
@Suite("FrozenMatrix benchmark", .serialized,
       .enabled(if: ProcessInfo.processInfo.environment["FINETUNE_GEMM_BENCH"] == "1"))
struct FrozenMatrixBenchmarkTests {
    static let shapes = [(576, 576), (192, 576), (1536, 576), (576, 1536), (49152, 576)]

    /// (median, fastest) seconds of each body over `runs` runs, the bodies interleaved so that a
    /// busy spell of the machine slows all of them alike.
    static func timings(runs: Int, _ bodies: [() -> Void]) -> [(median: Double, best: Double)] {
        var times = [[Double]](repeating: [], count: bodies.count)
        for body in bodies { body() }  // warm up
        for _ in 0..<runs {
            for (index, body) in bodies.enumerated() {
                let start = DispatchTime.now().uptimeNanoseconds
                body()
                times[index].append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
        }
        return times.map { ($0.sorted()[$0.count / 2], $0.min() ?? 0) }
    }

    @Test("prints GFLOP/s of fp32 and bf16 forward and backward products")
    func gflops() {
        let tokenCounts = (ProcessInfo.processInfo.environment["FINETUNE_GEMM_BENCH_M"] ?? "256,1024,2048")
            .split(separator: ",").compactMap { Int($0) }
        print("BLAS core: \(BLAS.coreName)")
        print("GFLOP/s as median (best) of interleaved runs")
        print("threads  pass         N     K     m        fp32 GF/s         bf16 GF/s   bf16/fp32 median (best)")
        let threadCounts = (ProcessInfo.processInfo.environment["FINETUNE_GEMM_BENCH_THREADS"] ?? "2,1")
            .split(separator: ",").compactMap { Int($0) }
        for threads in threadCounts {
            let pool = ThreadPool(threadCount: threads)
            for (n, k) in Self.shapes {
                var random = TestRandom(UInt64(n + k))
                let w = random.array(n * k)
                let fp32 = FrozenMatrix(rows: n, columns: k, values: w, precision: .float32, pool: pool)
                let bf16 = FrozenMatrix(rows: n, columns: k, values: w, precision: .bfloat16, pool: pool)
                // The output head also at 128 tokens (the trainer's chunk), not at 2048 (400 MB of logits).
                for m in n == 49152 ? [128] + tokenCounts.filter { $0 <= 1024 } : tokenCounts {
                    let flops = 2.0 * Double(m * n * k)
                    let runs = max(5, min(40, Int(4e9 / flops)))
                    for forward in [true, false] {
                        let input = random.array(m * (forward ? k : n))
                        let x = UnsafeMutablePointer<Float>.allocate(capacity: input.count)
                        x.initialize(from: input, count: input.count)
                        let y = UnsafeMutablePointer<Float>.allocate(capacity: m * (forward ? n : k))
                        defer { x.deallocate(); y.deallocate() }
                        let run = { (matrix: FrozenMatrix) in
                            if forward { matrix.forward(x, m: m, into: y, pool: pool) }
                            else { matrix.backward(x, m: m, into: y, pool: pool) }
                        }
                        // What is timed must be the same product: bf16 within 1% of fp32.
                        let count = m * (forward ? n : k)
                        run(fp32)
                        let exact = Array(UnsafeBufferPointer(start: y, count: count))
                        run(bf16)
                        let scale = exact.map(abs).max() ?? 1
                        let worst = (0..<count).map { abs(y[$0] - exact[$0]) }.max() ?? 0
                        #expect(worst <= 0.01 * scale, "N=\(n) K=\(k) m=\(m): bf16 differs from fp32 by \(worst)")
                        let time = Self.timings(runs: runs, [{ run(fp32) }, { run(bf16) }])
                        let gflops = time.map { (flops / $0.median / 1e9, flops / $0.best / 1e9) }
                        let line = String(format: "%7d  %-8@ %6d %5d %5d   %6.1f (%6.1f)   %6.1f (%6.1f)   %5.2f (%5.2f)", threads,
                                          forward ? "forward" : "backward", n, k, m, gflops[0].0, gflops[0].1,
                                          gflops[1].0, gflops[1].1, time[0].median / time[1].median,
                                          time[0].best / time[1].best)
                        print(line)
                    }
                }
            }
        }
    }
}
