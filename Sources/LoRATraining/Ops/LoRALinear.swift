import TensorCore
import TensorKernels

/// A frozen linear layer with an optional low-rank adapter beside it (Hu et al. 2021):
///   y = x·Wᵀ + s · (drop(x)·Aᵀ)·Bᵀ,  s = alpha / rank.
/// The frozen product runs through `FrozenMatrix`; the rank-r products through BLAS.
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
        let input = droppedInput(x, m: m, scratch: dropped, dropout: dropout, seed: seed)
        BLAS.gemm(transposeB: true, m: m, n: lora.rank, k: inputs, a: input, lda: inputs, b: lora.a, ldb: inputs,
                  c: hidden, ldc: lora.rank)
        BLAS.gemm(transposeB: true, m: m, n: outputs, k: lora.rank, a: hidden, lda: lora.rank, b: lora.b, ldb: lora.rank,
                  c: y, ldc: outputs, alpha: scale, beta: 1)
    }

    /// Accumulates dA, dB and (unless `dx` is nil) writes or adds dx = dy·W + drop(s·dy·B·A).
    /// dy: [m][out]; x: [m][in] (the forward's input); hidden: [m][r] from the forward;
    /// scratch: [m][in] + [m][r].
    func backward(_ dy: UnsafePointer<Float>, x: UnsafePointer<Float>, m: Int, hidden: UnsafePointer<Float>?,
                  into dx: UnsafeMutablePointer<Float>?, accumulate: Bool,
                  scratch: UnsafeMutablePointer<Float>, dropout: Float, seed: UInt64, pool: ThreadPool) {
        if let dx { weight.backward(dy, m: m, into: dx, accumulate: accumulate, pool: pool) }
        guard let lora = adapter, let hidden else { return }
        let r = lora.rank
        let dHidden = scratch                     // [m][r]
        let dropped = scratch + m * r             // [m][in]
        // dB += s · dyᵀ · hidden            [out][r]
        BLAS.gemm(transposeA: true, m: outputs, n: r, k: m, a: dy, lda: outputs, b: hidden, ldb: r,
                  c: lora.gradB, ldc: r, alpha: scale, beta: 1)
        // dHidden = s · dy · B               [m][r]
        BLAS.gemm(m: m, n: r, k: outputs, a: dy, lda: outputs, b: lora.b, ldb: r, c: dHidden, ldc: r, alpha: scale)
        // dA += dHiddenᵀ · drop(x)           [r][in]
        let input = droppedInput(x, m: m, scratch: dropped, dropout: dropout, seed: seed)
        BLAS.gemm(transposeA: true, m: r, n: inputs, k: m, a: dHidden, lda: r, b: input, ldb: inputs,
                  c: lora.gradA, ldc: inputs, beta: 1)
        guard let dx else { return }
        if dropout > 0 {
            // dx += drop(dHidden · A): the same mask as the forward.
            BLAS.gemm(m: m, n: inputs, k: r, a: dHidden, lda: r, b: lora.a, ldb: inputs, c: dropped, ldc: inputs)
            Dropout.apply(dropped, into: dropped, count: m * inputs, probability: dropout, seed: seed)
            addInPlace(dx, dropped, count: m * inputs)
        } else {
            BLAS.gemm(m: m, n: inputs, k: r, a: dHidden, lda: r, b: lora.a, ldb: inputs, c: dx, ldc: inputs, beta: 1)
        }
    }

    private func droppedInput(_ x: UnsafePointer<Float>, m: Int, scratch: UnsafeMutablePointer<Float>,
                              dropout: Float, seed: UInt64) -> UnsafePointer<Float> {
        guard dropout > 0 else { return x }
        Dropout.apply(x, into: scratch, count: m * inputs, probability: dropout, seed: seed)
        return UnsafePointer(scratch)
    }
}

func addInPlace(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int, alpha: Float = 1) {
    tk_axpy(y, x, count, alpha)
}
