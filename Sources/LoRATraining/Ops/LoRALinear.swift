import TensorCore
import TensorKernels

/// A frozen linear layer with an optional low-rank adapter beside it (Hu et al. 2021):
///   y = x·Wᵀ + s · (drop(x)·Aᵀ)·Bᵀ,  s = alpha / rank.
/// The frozen product runs through `FrozenMatrix`; the rank-r products through BLAS, split over
/// the pool's threads so that each thread writes its own rows or columns.
struct LoRALinear {
    let weight: FrozenMatrix                 // W [out][in]
    let adapter: LoRAParameters.View?        // A [r][in], B [out][r]
    let scale: Float

    var inputs: Int { weight.columns }
    var outputs: Int { weight.rows }

    /// x: [m][in] → y: [m][out]; hidden: [m][r] = drop(x)·Aᵀ, saved for the backward pass.
    /// dropped: [m][in] scratch (used when dropout > 0).
    func forward(_ x: UnsafePointer<Float>, m: Int, into y: UnsafeMutablePointer<Float>,
                 hidden: UnsafeMutablePointer<Float>?, dropped: UnsafeMutablePointer<Float>,
                 dropout: Float, seed: UInt64, pool: ThreadPool) {
        weight.forward(x, m: m, into: y, pool: pool)
        guard let lora = adapter, let hidden else { return }
        let r = lora.rank, inputs = inputs, outputs = outputs, scale = scale
        pool.parallelFor(m) { rows in
            let o = rows.lowerBound, n = rows.count
            var input = x + o * inputs
            if dropout > 0 {
                tk_dropout(input, dropped + o * inputs, n * inputs, dropout, seed, o * inputs)
                input = UnsafePointer(dropped + o * inputs)
            }
            BLAS.gemm(transposeB: true, m: n, n: r, k: inputs, a: input, lda: inputs, b: lora.a, ldb: inputs,
                      c: hidden + o * r, ldc: r)
            BLAS.gemm(transposeB: true, m: n, n: outputs, k: r, a: hidden + o * r, lda: r, b: lora.b, ldb: r,
                      c: y + o * outputs, ldc: outputs, alpha: scale, beta: 1)
        }
    }

    /// Accumulates dA, dB and (unless `dx` is nil) writes or adds dx = dy·W + drop(s·dy·B·A).
    /// dy: [m][out]; x: [m][in] (the forward's input); hidden: [m][r] from the forward;
    /// scratch: [m][r + in].
    func backward(_ dy: UnsafePointer<Float>, x: UnsafePointer<Float>, m: Int, hidden: UnsafePointer<Float>?,
                  into dx: UnsafeMutablePointer<Float>?, accumulate: Bool,
                  scratch: UnsafeMutablePointer<Float>, dropout: Float, seed: UInt64, pool: ThreadPool) {
        if let dx { weight.backward(dy, m: m, into: dx, accumulate: accumulate, pool: pool) }
        guard let lora = adapter, let hidden else { return }
        let r = lora.rank, inputs = inputs, outputs = outputs, scale = scale
        let dHidden = scratch                     // [m][r]
        let dropped = scratch + m * r             // [m][in]
        let input: UnsafePointer<Float> = dropout > 0 ? UnsafePointer(dropped) : x
        pool.run { thread, threads in
            // dB[o0..<o1] += s · dy[:, o0..<o1]ᵀ · hidden        [out][r], split by output rows
            let per = (outputs + threads - 1) / threads, o0 = min(outputs, thread * per), o1 = min(outputs, o0 + per)
            if o0 < o1 {
                BLAS.gemm(transposeA: true, m: o1 - o0, n: r, k: m, a: dy + o0, lda: outputs, b: hidden, ldb: r,
                          c: lora.gradB + o0 * r, ldc: r, alpha: scale, beta: 1)
            }
            // dHidden[rows] = s · dy[rows] · B; drop(x)[rows]    split by tokens
            let rowsPer = (m + threads - 1) / threads, t0 = min(m, thread * rowsPer), t1 = min(m, t0 + rowsPer)
            if t0 < t1 {
                BLAS.gemm(m: t1 - t0, n: r, k: outputs, a: dy + t0 * outputs, lda: outputs, b: lora.b, ldb: r,
                          c: dHidden + t0 * r, ldc: r, alpha: scale)
                if dropout > 0 { tk_dropout(x + t0 * inputs, dropped + t0 * inputs, (t1 - t0) * inputs, dropout, seed, t0 * inputs) }
            }
        }
        pool.run { thread, threads in
            // dA[:, i0..<i1] += dHiddenᵀ · drop(x)[:, i0..<i1]   [r][in], split by input columns
            let per = (inputs + threads - 1) / threads, i0 = min(inputs, thread * per), i1 = min(inputs, i0 + per)
            if i0 < i1 {
                BLAS.gemm(transposeA: true, m: r, n: i1 - i0, k: m, a: dHidden, lda: r, b: input + i0, ldb: inputs,
                          c: lora.gradA + i0, ldc: inputs, beta: 1)
            }
        }
        guard let dx else { return }
        pool.parallelFor(m) { rows in
            let o = rows.lowerBound, n = rows.count
            if dropout > 0 {
                // dx += drop(dHidden · A), the forward's mask (the dropped input is no longer needed).
                let part = dropped + o * inputs
                BLAS.gemm(m: n, n: inputs, k: r, a: dHidden + o * r, lda: r, b: lora.a, ldb: inputs, c: part, ldc: inputs)
                tk_dropout(part, part, n * inputs, dropout, seed, o * inputs)
                tk_axpy(dx + o * inputs, part, n * inputs, 1)
            } else {
                BLAS.gemm(m: n, n: inputs, k: r, a: dHidden + o * r, lda: r, b: lora.a, ldb: inputs,
                          c: dx + o * inputs, ldc: inputs, beta: 1)
            }
        }
    }
}
