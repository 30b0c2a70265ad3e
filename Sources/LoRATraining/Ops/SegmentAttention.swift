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

    /// Query rows handled together: block i only multiplies against keys 0..<end of the block,
    /// which skips most of the masked upper triangle.
    static let rowBlock = 64

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
                let kg = k + start * kvW + g * hd, vg = v + start * kvW + g * hd
                for h in (g * group)..<((g + 1) * group) {
                    let qh = q + start * qW + h * hd, oh = out + start * qW + h * hd
                    for r0 in stride(from: 0, to: T, by: Self.rowBlock) {
                        let r1 = min(T, r0 + Self.rowBlock), pb = p + r0 * T
                        probabilities(q: qh, k: kg, T: T, rows: r0..<r1, into: pb)
                        BLAS.gemm(m: r1 - r0, n: hd, k: r1, a: pb, lda: T, b: vg, ldb: kvW, c: oh + r0 * qW, ldc: qW)
                    }
                }
            }
        }
    }

    /// Rows r0..<r1 of P = causal-softmax(scale · Q Kᵀ) for one head of one segment, into
    /// p[0..<rows][0..<r1] with row stride T.
    private func probabilities(q: UnsafePointer<Float>, k: UnsafePointer<Float>, T: Int, rows: Range<Int>,
                               into p: UnsafeMutablePointer<Float>) {
        BLAS.gemm(transposeB: true, m: rows.count, n: rows.upperBound, k: headDimension, a: q + rows.lowerBound * queryWidth,
                  lda: queryWidth, b: k, ldb: kvWidth, c: p, ldc: T, alpha: scale)
        tk_causal_softmax_rows(p, Int32(rows.lowerBound), Int32(rows.count), Int32(T), Int32(rows.upperBound))
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
                for t in 0..<T {
                    (dkg + t * kvW).update(repeating: 0, count: hd)
                    (dvg + t * kvW).update(repeating: 0, count: hd)
                }
                for h in (g * group)..<((g + 1) * group) {
                    let dOh = dOut + start * qW + h * hd, qh = q + start * qW + h * hd, dqh = dq + start * qW + h * hd
                    for r0 in stride(from: 0, to: T, by: Self.rowBlock) {
                        let r1 = min(T, r0 + Self.rowBlock), n = r1 - r0
                        let pb = p + r0 * T, db = dp + r0 * T
                        probabilities(q: qh, k: kg, T: T, rows: r0..<r1, into: pb)
                        // dP = dO Vᵀ; dV += Pᵀ dO
                        BLAS.gemm(transposeB: true, m: n, n: r1, k: hd, a: dOh + r0 * qW, lda: qW, b: vg, ldb: kvW, c: db, ldc: T)
                        BLAS.gemm(transposeA: true, m: r1, n: hd, k: n, a: pb, lda: T, b: dOh + r0 * qW, ldb: qW,
                                  c: dvg, ldc: kvW, beta: 1)
                        // dS = P ⊙ (dP − rowsum(P ⊙ dP)); dQ = scale dS K; dK += scale dSᵀ Q
                        tk_causal_softmax_backward_rows(pb, db, Int32(r0), Int32(n), Int32(T), Int32(r1))
                        BLAS.gemm(m: n, n: hd, k: r1, a: db, lda: T, b: kg, ldb: kvW, c: dqh + r0 * qW, ldc: qW, alpha: scale)
                        BLAS.gemm(transposeA: true, m: r1, n: hd, k: n, a: db, lda: T, b: qh + r0 * qW, ldb: qW,
                                  c: dkg, ldc: kvW, alpha: scale, beta: 1)
                    }
                }
            }
        }
    }
}
