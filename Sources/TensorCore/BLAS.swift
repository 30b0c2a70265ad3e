// The one file that calls BLAS (OpenBLAS on Linux, Accelerate on macOS).
import CBLAS

/// Single-precision matrix products through the system BLAS.
public enum BLAS {
    /// C[m][n] = alpha * A[m][k] · B[n][k]ᵀ + beta * C, all row-major.
    /// - Parameters: lda, ldb, ldc: row strides in elements.
    public static func gemmTransposedB(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int,
        alpha: Float = 1, beta: Float = 0
    ) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k),
                    alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// C[m][n] = alpha * op(A) · op(B) + beta * C, row-major, where op(A) is [m][k] (A stored
    /// [k][m] when `transposeA`) and op(B) is [k][n] (B stored [n][k] when `transposeB`).
    /// - Parameters: lda, ldb, ldc: row strides in elements of the matrices as stored.
    public static func gemm(
        transposeA: Bool = false, transposeB: Bool = false,
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int,
        alpha: Float = 1, beta: Float = 0
    ) {
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// finetune splits work over its own threads and calls BLAS from each, so BLAS itself runs
    /// single-threaded (two thread pools spinning on two cores would fight).
    public static func useSingleThread() {
        #if os(Linux)
        openblas_set_num_threads(1)
        #endif
    }

    /// The kernel family the BLAS library chose for this CPU (OpenBLAS's core name), e.g. "SkylakeX".
    public static var coreName: String {
        #if os(Linux)
        if let name = openblas_get_corename() { return String(cString: name) }
        return "unknown"
        #else
        return "Accelerate"
        #endif
    }
}
