// PROVISIONAL: fp32 stand-in until TensorCore.FrozenMatrix lands; delete then.
import TensorCore

public enum MatrixPrecision: String, Sendable, Codable, CaseIterable {
    case float32 = "fp32", bfloat16 = "bf16"
    public static var bestAvailable: MatrixPrecision { .float32 }
}

public final class FrozenMatrix: @unchecked Sendable {
    public let rows: Int
    public let columns: Int
    public let precision: MatrixPrecision
    let values: [Float]

    public init(_ weight: WeightMatrix, precision: MatrixPrecision, pool: ThreadPool) {
        rows = weight.rows
        columns = weight.columns
        self.precision = .float32
        values = weight.dequantized()
    }

    public init(rows: Int, columns: Int, values: UnsafePointer<Float>, precision: MatrixPrecision, pool: ThreadPool) {
        self.rows = rows
        self.columns = columns
        self.precision = .float32
        self.values = Array(UnsafeBufferPointer(start: values, count: rows * columns))
    }

    public var byteCount: Int { values.count * 4 }

    public func forward(_ x: UnsafePointer<Float>, m: Int, into y: UnsafeMutablePointer<Float>, accumulate: Bool = false, pool: ThreadPool) {
        let N = rows, K = columns
        values.withUnsafeBufferPointer { w in
            pool.run { thread, threads in
                let per = (N + threads - 1) / threads, begin = thread * per, end = min(N, begin + per)
                guard begin < end else { return }
                BLAS.gemm(transposeB: true, m: m, n: end - begin, k: K, a: x, lda: K, b: w.baseAddress! + begin * K, ldb: K,
                          c: y + begin, ldc: N, beta: accumulate ? 1 : 0)
            }
        }
    }

    public func backward(_ dy: UnsafePointer<Float>, m: Int, into dx: UnsafeMutablePointer<Float>, accumulate: Bool = false, pool: ThreadPool) {
        let N = rows, K = columns
        values.withUnsafeBufferPointer { w in
            pool.run { thread, threads in
                let per = (K + threads - 1) / threads, begin = thread * per, end = min(K, begin + per)
                guard begin < end else { return }
                BLAS.gemm(m: m, n: end - begin, k: N, a: dy, lda: N, b: w.baseAddress! + begin, ldb: K,
                          c: dx + begin, ldc: K, beta: accumulate ? 1 : 0)
            }
        }
    }
}
