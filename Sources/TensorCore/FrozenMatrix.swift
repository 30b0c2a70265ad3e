import TensorKernels

/// The number format a `FrozenMatrix` multiplies in.
public enum MatrixPrecision: String, Sendable, Codable, CaseIterable {
    /// f32 weights and activations, OpenBLAS sgemm.
    case float32 = "fp32"
    /// Weights and activations rounded to bf16 (nearest even), products summed in f32.
    case bfloat16 = "bf16"

    /// bf16 where the CPU has native bf16 dot products (x86 AVX512_BF16), else fp32.
    public static var bestAvailable: MatrixPrecision {
        MatrixPrecision.bfloat16.isSupported ? .bfloat16 : .float32
    }

    /// Whether this precision runs at native speed here. fp32 always does; bf16 needs AVX512_BF16
    /// (elsewhere it still gives the same rounding of inputs, through slow portable code).
    public var isSupported: Bool {
        switch self {
        case .float32: true
        case .bfloat16: tk_cpu_has_avx512_bf16() != 0
        }
    }
}

/// A frozen (not trained) linear weight W [N = rows][K = columns], prepared once for the two
/// products training needs: the forward y = x · Wᵀ and the input gradient dx = dy · W.
///
/// fp32 keeps W as f32 [N][K] and splits each product over the pool's threads by output columns,
/// each thread calling single-threaded BLAS on its slice. bf16 keeps W rounded to bf16 twice, packed
/// for each product's kernel (see bf16gemm.c), rounds x or dy to bf16 while packing them and sums
/// in f32. Either way every output element is computed by one thread in a fixed order, so results
/// are the same for any thread count.
///
/// ```swift
/// let wq = FrozenMatrix(weight, precision: .bestAvailable, pool: pool)
/// wq.forward(x, m: tokens, into: q, pool: pool)                    // q = x · Wqᵀ
/// wq.backward(dq, m: tokens, into: dx, accumulate: true, pool: pool)  // dx += dq · Wq
/// ```
///
/// `@unchecked Sendable`: the buffers are written only in `init` and read-only afterwards.
public final class FrozenMatrix: @unchecked Sendable {
    /// N: outputs of the forward product.
    public let rows: Int
    /// K: inputs of the forward product.
    public let columns: Int
    public let precision: MatrixPrecision

    /// fp32: W [N][K]. bf16: W packed for the forward product, then for the backward product.
    private let storage: UnsafeMutableRawPointer
    private let storageBytes: Int

    /// Prepares a weight read in place from a model file (dequantized once).
    /// - Parameters:
    ///   - weight: W [N][K] in any type `WeightMatrix` reads.
    ///   - pool: threads to prepare it with.
    public convenience init(_ weight: WeightMatrix, precision: MatrixPrecision, pool: ThreadPool) {
        self.init(rows: weight.rows, columns: weight.columns, precision: precision, pool: pool) { begin, count, scratch in
            tk_dequantize_rows(weight.type, weight.base, Int32(begin), Int32(count), Int32(weight.columns), scratch)
            return UnsafePointer(scratch)
        }
    }

    /// Prepares a weight given as f32 values.
    /// - Parameters:
    ///   - values: W [rows][columns], row-major; copied.
    public convenience init(rows: Int, columns: Int, values: UnsafePointer<Float>, precision: MatrixPrecision, pool: ThreadPool) {
        self.init(rows: rows, columns: columns, precision: precision, pool: pool) { begin, _, _ in
            values + begin * columns
        }
    }

    /// - Parameter rowsOf: (first row, row count, scratch [count][columns]) → those rows as f32,
    ///   either in scratch or elsewhere. Called from the pool's threads.
    private init(
        rows: Int, columns: Int, precision: MatrixPrecision, pool: ThreadPool,
        rowsOf: @escaping (Int, Int, UnsafeMutablePointer<Float>) -> UnsafePointer<Float>
    ) {
        precondition(rows > 0 && columns > 0, "FrozenMatrix needs a non-empty weight, got [\(rows)][\(columns)]")
        self.rows = rows
        self.columns = columns
        self.precision = precision
        BLAS.useSingleThread()  // the fp32 products run BLAS on each of the pool's threads
        let forwardCount = tk_bf16_packed_count(Int32(columns), Int32(rows))  // B = Wᵀ: [K][N]
        let backwardCount = tk_bf16_packed_count(Int32(rows), Int32(columns))  // B = W: [N][K]
        storageBytes = precision == .float32 ? rows * columns * MemoryLayout<Float>.size
            : (forwardCount + backwardCount) * MemoryLayout<UInt16>.size
        storage = UnsafeMutableRawPointer.allocate(byteCount: storageBytes, alignment: 64)
        switch precision {  // bind once; later accesses use assumingMemoryBound
        case .float32: storage.bindMemory(to: Float.self, capacity: rows * columns)
        case .bfloat16: storage.bindMemory(to: UInt16.self, capacity: forwardCount + backwardCount)
        }
        let chunks = (rows + PreparationTask.chunkRows - 1) / PreparationTask.chunkRows
        var task = PreparationTask(
            rows: rows, columns: columns, chunks: chunks, precision: precision, storage: storage,
            packedCount: forwardCount, rowsOf: rowsOf)
        withUnsafeMutablePointer(to: &task) { pointer in
            tk_pool_run(pool.pointer, { context, index, count in
                context!.assumingMemoryBound(to: PreparationTask.self).pointee.run(thread: Int(index), of: Int(count))
            }, pointer)
        }
    }

    deinit { storage.deallocate() }

    /// Bytes of weight data held.
    public var byteCount: Int { storageBytes }

    /// y[m][N] = x[m][K] · Wᵀ (+ y when `accumulate`).
    /// - Parameters:
    ///   - x: [m][ldx], ldx ≥ K (defaults to K); the first K columns are read.
    ///   - y: [m][ldy], ldy ≥ N (defaults to N); the first N columns are written.
    public func forward(
        _ x: UnsafePointer<Float>, m: Int, ldx: Int? = nil, into y: UnsafeMutablePointer<Float>, ldy: Int? = nil,
        accumulate: Bool = false, pool: ThreadPool
    ) {
        let ldx = ldx ?? columns, ldy = ldy ?? rows
        precondition(m >= 0 && ldx >= columns && ldy >= rows, "forward: m \(m), ldx \(ldx) < K \(columns) or ldy \(ldy) < N \(rows)")
        guard m > 0 else { return }
        switch precision {
        case .bfloat16:
            tk_bf16_gemm(pool.pointer, Int32(m), Int32(rows), Int32(columns), x, Int32(ldx),
                         storage.assumingMemoryBound(to: UInt16.self), y, Int32(ldy), accumulate ? 1 : 0)
        case .float32:
            var task = FloatProduct(forward: true, m: m, rows: rows, columns: columns, weight: storage.assumingMemoryBound(to: Float.self),
                                    input: x, ldInput: ldx, output: y, ldOutput: ldy, beta: accumulate ? 1 : 0)
            task.run(pool: pool)
        }
    }

    /// dx[m][K] = dy[m][N] · W (+ dx when `accumulate`).
    /// - Parameters:
    ///   - dy: [m][lddy], lddy ≥ N (defaults to N); the first N columns are read.
    ///   - dx: [m][lddx], lddx ≥ K (defaults to K); the first K columns are written.
    public func backward(
        _ dy: UnsafePointer<Float>, m: Int, lddy: Int? = nil, into dx: UnsafeMutablePointer<Float>, lddx: Int? = nil,
        accumulate: Bool = false, pool: ThreadPool
    ) {
        let lddy = lddy ?? rows, lddx = lddx ?? columns
        precondition(m >= 0 && lddy >= rows && lddx >= columns, "backward: m \(m), lddy \(lddy) < N \(rows) or lddx \(lddx) < K \(columns)")
        guard m > 0 else { return }
        switch precision {
        case .bfloat16:
            let packed = tk_bf16_packed_count(Int32(columns), Int32(rows))  // the forward layout comes first
            tk_bf16_gemm(pool.pointer, Int32(m), Int32(columns), Int32(rows), dy, Int32(lddy),
                         storage.assumingMemoryBound(to: UInt16.self) + packed, dx, Int32(lddx), accumulate ? 1 : 0)
        case .float32:
            var task = FloatProduct(forward: false, m: m, rows: rows, columns: columns, weight: storage.assumingMemoryBound(to: Float.self),
                                    input: dy, ldInput: lddy, output: dx, ldOutput: lddx, beta: accumulate ? 1 : 0)
            task.run(pool: pool)
        }
    }
}

/// One thread's share of preparing a FrozenMatrix: chunks of rows, dealt round-robin.
private struct PreparationTask {
    /// Rows of W per step: a multiple of the bf16 strip width (TK_BF16_STRIP), so chunks pack
    /// disjoint bytes.
    static let chunkRows = 256

    let rows: Int
    let columns: Int
    let chunks: Int
    let precision: MatrixPrecision
    let storage: UnsafeMutableRawPointer
    let packedCount: Int  // uint16 elements of the forward layout
    let rowsOf: (Int, Int, UnsafeMutablePointer<Float>) -> UnsafePointer<Float>

    func run(thread: Int, of threads: Int) {
        let chunkRows = Self.chunkRows
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: chunkRows * columns)  // [chunkRows][K]
        defer { scratch.deallocate() }
        for chunk in stride(from: thread, to: chunks, by: threads) {
            let begin = chunk * chunkRows, count = min(chunkRows, rows - begin)
            let values = rowsOf(begin, count, scratch)  // [count][K]
            switch precision {
            case .float32:
                (storage.assumingMemoryBound(to: Float.self) + begin * columns).initialize(from: values, count: count * columns)
            case .bfloat16:
                let forward = storage.assumingMemoryBound(to: UInt16.self)
                tk_bf16_pack_weight_rows(values, Int32(begin), Int32(count), Int32(rows), Int32(columns),
                                         forward, forward + packedCount)
            }
        }
    }
}

/// An fp32 product split over threads by output columns: forward y = x · Wᵀ (columns of y are
/// rows of W), backward dx = dy · W (columns of dx are columns of W). No sums cross threads.
private struct FloatProduct {
    let forward: Bool
    let m: Int
    let rows: Int  // N
    let columns: Int  // K
    let weight: UnsafePointer<Float>  // [N][K]
    let input: UnsafePointer<Float>  // x [m][ldInput] or dy [m][ldInput]
    let ldInput: Int
    let output: UnsafeMutablePointer<Float>  // y [m][ldOutput] or dx [m][ldOutput]
    let ldOutput: Int
    let beta: Float
    /// Columns per slice (a multiple of 16, so threads don't share cache lines of the output)
    /// and the number of slices; threads beyond it idle.
    var share = 0, slices = 1

    /// Fewest multiply-adds in a slice. OpenBLAS multiplies products of at most 10⁶ multiply-adds
    /// with other kernels (SkylakeX's "small matrix" path) that sum in another order; products
    /// above it take the blocked path, whose sums don't depend on where the columns were cut. So
    /// small products run whole on one thread and no slice is small: results are the same on
    /// any number of threads.
    static let minimumSliceWork = 1 << 20

    mutating func run(pool: ThreadPool) {
        let width = forward ? rows : columns, perColumn = m * (forward ? columns : rows)
        share = width
        slices = 1
        for count in stride(from: pool.threadCount, to: 1, by: -1) {
            let candidate = ((width + count - 1) / count + 15) & ~15
            let used = (width + candidate - 1) / candidate
            if (width - (used - 1) * candidate) * perColumn >= Self.minimumSliceWork {
                (share, slices) = (candidate, used)
                break
            }
        }
        if slices == 1 {
            run(slice: 0)
            return
        }
        withUnsafeMutablePointer(to: &self) { pointer in
            tk_pool_run(pool.pointer, { context, index, _ in
                let task = context!.assumingMemoryBound(to: FloatProduct.self).pointee
                if Int(index) < task.slices { task.run(slice: Int(index)) }
            }, pointer)
        }
    }

    func run(slice: Int) {
        let width = forward ? rows : columns
        let begin = slice * share, end = min(width, begin + share)
        guard begin < end else { return }
        if forward {
            BLAS.gemm(transposeB: true, m: m, n: end - begin, k: columns, a: input, lda: ldInput,
                      b: weight + begin * columns, ldb: columns, c: output + begin, ldc: ldOutput, beta: beta)
        } else {
            BLAS.gemm(m: m, n: end - begin, k: rows, a: input, lda: ldInput,
                      b: weight + begin, ldb: columns, c: output + begin, ldc: ldOutput, beta: beta)
        }
    }
}
