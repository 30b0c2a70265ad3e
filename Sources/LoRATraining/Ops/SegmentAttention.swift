import TensorCore
import TensorKernels

/// Causal grouped-query attention over packed segments. Each segment attends only to itself.
/// The probabilities are not kept: the backward pass recomputes them (one more T×T product per
/// head), so memory stays at two T×T blocks per thread however long the examples are.
///
/// Forward, per segment and head h (KV head g = h / (H / KV)), T = segment length:
///   S = scale · Q_h K_gᵀ   [T][T];  P = causal-softmax(S);  O_h = P V_g   [T][hd]
/// Backward:
///   dP = dO_h V_gᵀ;  dV_g += Pᵀ dO_h;  dS = P ⊙ (dP − rowsum(P ⊙ dP));
///   dQ_h = scale · dS K_g;  dK_g += scale · dSᵀ Q_h
/// Work is split by (segment, KV head), so every task writes its own rows and columns.
struct SegmentAttention {
    let heads: Int          // H
    let kvHeads: Int        // KV
    let headDimension: Int  // hd
    let scale: Float

    var queryWidth: Int { heads * headDimension }
    var kvWidth: Int { kvHeads * headDimension }

    /// Tasks (segment, KV head), largest first, dealt round-robin to threads.
    private func tasks(_ segments: [TrainingBatch.Segment]) -> [(segment: Int, group: Int)] {
        let order = segments.indices.sorted { segments[$0].length > segments[$1].length || (segments[$0].length == segments[$1].length && $0 < $1) }
        return order.flatMap { s in (0..<kvHeads).map { (s, $0) } }
    }

    /// Scratch floats the passes need: two [T][T] blocks per thread.
    static func scratchCount(longestSegment T: Int, threads: Int) -> Int { 2 * T * T * threads }

    /// q: [M][H·hd], k, v: [M][KV·hd] → out: [M][H·hd].
    func forward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                 segments: [TrainingBatch.Segment], into out: UnsafeMutablePointer<Float>,
                 scratch: UnsafeMutablePointer<Float>, pool: ThreadPool) {
        let work = tasks(segments)
        let qW = queryWidth, kvW = kvWidth, hd = headDimension, group = heads / kvHeads
        let longest = segments.map(\.length).max() ?? 0
        pool.run { thread, threads in
            let p = scratch + thread * 2 * longest * longest
            var index = thread
            while index < work.count {
                let (s, g) = work[index]
                index += threads
                let start = segments[s].start, T = segments[s].length
                for h in (g * group)..<((g + 1) * group) {
                    probabilities(q: q + start * qW + h * hd, k: k + start * kvW + g * hd, T: T, into: p)
                    BLAS.gemm(m: T, n: hd, k: T, a: p, lda: T, b: v + start * kvW + g * hd, ldb: kvW,
                              c: out + start * qW + h * hd, ldc: qW)
                }
            }
        }
    }

    /// P = causal-softmax(scale · Q Kᵀ) for one head of one segment: [T][T].
    private func probabilities(q: UnsafePointer<Float>, k: UnsafePointer<Float>, T: Int, into p: UnsafeMutablePointer<Float>) {
        BLAS.gemm(transposeB: true, m: T, n: T, k: headDimension, a: q, lda: queryWidth, b: k, ldb: kvWidth,
                  c: p, ldc: T, alpha: scale)
        tk_causal_softmax(p, Int32(T), Int32(T))
    }

    /// dOut: [M][H·hd] → dq: [M][H·hd], dk, dv: [M][KV·hd] (all overwritten).
    func backward(dOut: UnsafePointer<Float>, q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                  segments: [TrainingBatch.Segment],
                  dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>,
                  scratch: UnsafeMutablePointer<Float>, pool: ThreadPool) {
        let work = tasks(segments)
        let qW = queryWidth, kvW = kvWidth, hd = headDimension, group = heads / kvHeads
        let longest = segments.map(\.length).max() ?? 0
        pool.run { thread, threads in
            let p = scratch + thread * 2 * longest * longest, dp = p + longest * longest
            var index = thread
            while index < work.count {
                let (s, g) = work[index]
                index += threads
                let start = segments[s].start, T = segments[s].length
                let kg = k + start * kvW + g * hd, vg = v + start * kvW + g * hd
                let dkg = dk + start * kvW + g * hd, dvg = dv + start * kvW + g * hd
                for h in (g * group)..<((g + 1) * group) {
                    let first: Float = h == g * group ? 0 : 1
                    let dOh = dOut + start * qW + h * hd, qh = q + start * qW + h * hd
                    probabilities(q: qh, k: kg, T: T, into: p)
                    BLAS.gemm(transposeB: true, m: T, n: T, k: hd, a: dOh, lda: qW, b: vg, ldb: kvW, c: dp, ldc: T)
                    BLAS.gemm(transposeA: true, m: T, n: hd, k: T, a: p, lda: T, b: dOh, ldb: qW, c: dvg, ldc: kvW, beta: first)
                    tk_causal_softmax_backward(p, dp, Int32(T), Int32(T))
                    BLAS.gemm(m: T, n: hd, k: T, a: dp, lda: T, b: kg, ldb: kvW, c: dq + start * qW + h * hd, ldc: qW, alpha: scale)
                    BLAS.gemm(transposeA: true, m: T, n: hd, k: T, a: dp, lda: T, b: qh, ldb: qW, c: dkg, ldc: kvW,
                              alpha: scale, beta: first)
                }
            }
        }
    }
}
