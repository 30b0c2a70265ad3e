import TensorKernels

/// The operations a transformer forward pass needs, on raw f32 buffers. Shapes are row-major and
/// given as [rows][columns]; `n` is the number of tokens.
public enum Kernels {
    /// Below this many tokens, products read the quantized rows directly (decode, short prompts);
    /// from it on, each thread dequantizes a slice of rows and multiplies it with BLAS.
    public static let blasThreshold = 12

    /// y[t] = W · x[t] for t < n.
    /// - Parameters:
    ///   - weight: W, [rows][columns].
    ///   - x: [n][columns].
    ///   - y: [n][ldy], ldy >= rows (defaults to rows).
    public static func matmul(
        _ weight: WeightMatrix, _ x: UnsafePointer<Float>, n: Int,
        into y: UnsafeMutablePointer<Float>, ldy: Int? = nil, pool: ThreadPool
    ) {
        let ldy = ldy ?? weight.rows
        if n < blasThreshold {
            tk_matmul(pool.pointer, weight.type, weight.base, Int32(weight.rows), Int32(weight.columns),
                      x, Int32(n), y, Int32(ldy))
            return
        }
        var task = DequantizedProduct(weight: weight, x: x, n: n, y: y, ldy: ldy)
        withUnsafeMutablePointer(to: &task) { pointer in
            tk_pool_run(pool.pointer, { context, index, count in
                context!.assumingMemoryBound(to: DequantizedProduct.self).pointee
                    .run(thread: Int(index), of: Int(count))
            }, pointer)
        }
    }

    /// Several products of the same input in one pass over the threads: y_k[t] = W_k · x[t].
    /// For few tokens (decoding); with `n >= blasThreshold` each runs as `matmul`.
    /// - Parameters:
    ///   - weights: W_k, each [rows_k][columns] with the same columns.
    ///   - outputs: y_k, each [n][rows_k].
    public static func matmul(
        _ weights: [WeightMatrix], _ x: UnsafePointer<Float>, n: Int,
        into outputs: [UnsafeMutablePointer<Float>], pool: ThreadPool
    ) {
        precondition(weights.count == outputs.count && !weights.isEmpty)
        if n >= blasThreshold {
            for (weight, y) in zip(weights, outputs) { matmul(weight, x, n: n, into: y, pool: pool) }
            return
        }
        let types = weights.map(\.type), rows = weights.map { Int32($0.rows) }
        let bases: [UnsafeRawPointer?] = weights.map { $0.base }
        let ys: [UnsafeMutablePointer<Float>?] = outputs
        tk_matmul_many(pool.pointer, Int32(weights.count), types, bases, rows, Int32(weights[0].columns), x, Int32(n), ys, rows)
    }

    /// The SwiGLU hidden layer: out = silu(Wg · x) ⊙ (Wu · x).
    /// - Parameters:
    ///   - gate, up: [F][C]; x: [n][C]; out, scratch: [n][F].
    public static func swiglu(
        gate: WeightMatrix, up: WeightMatrix, _ x: UnsafePointer<Float>, n: Int,
        into out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, pool: ThreadPool
    ) {
        if n >= blasThreshold {
            matmul(gate, x, n: n, into: out, pool: pool)
            matmul(up, x, n: n, into: scratch, pool: pool)
            siluMul(out, scratch, count: n * gate.rows, pool: pool)
            return
        }
        tk_swiglu(pool.pointer, gate.type, gate.base, up.type, up.base, Int32(gate.rows), Int32(gate.columns),
                  x, Int32(n), out, scratch)
    }

    /// y[t] = x[t] / sqrt(mean(x[t]²) + eps) ⊙ weight. x, y: [n][dim]; may alias.
    public static func rmsNorm(
        _ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, n: Int, dim: Int, eps: Float,
        into y: UnsafeMutablePointer<Float>
    ) {
        tk_rms_norm(x, weight, Int32(n), Int32(dim), eps, y)
    }

    /// gate = silu(gate) ⊙ up, elementwise over `count` values.
    public static func siluMul(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, count: Int, pool: ThreadPool) {
        tk_silu_mul(pool.pointer, gate, up, count)
    }

    /// x += y over `count` values.
    public static func add(_ x: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, count: Int) {
        tk_add(x, y, count)
    }

    /// Rotary embedding in place on x: [n][heads][headDim], rotating the first `rotaryDim` values
    /// of each head by the angles in cos/sin: [n][rotaryDim / 2].
    public static func rope(
        _ x: UnsafeMutablePointer<Float>, n: Int, heads: Int, headDim: Int, rotaryDim: Int,
        cos: UnsafePointer<Float>, sin: UnsafePointer<Float>
    ) {
        tk_rope(x, Int32(n), Int32(heads), Int32(headDim), Int32(rotaryDim), cos, sin)
    }

    /// Causal attention of n new tokens at positions start..<start+n.
    /// q: [n][heads][headDim]; keys, values: [start+n][kvHeads][headDim]; out: [n][heads][headDim].
    public static func attention(
        q: UnsafePointer<Float>, n: Int, heads: Int, kvHeads: Int, headDim: Int,
        keys: UnsafePointer<Float>, values: UnsafePointer<Float>, start: Int, scale: Float,
        into out: UnsafeMutablePointer<Float>, pool: ThreadPool
    ) {
        tk_attention(pool.pointer, q, Int32(n), Int32(heads), Int32(kvHeads), Int32(headDim),
                     keys, values, Int32(start), scale, out)
    }

    /// Whether the AVX-512 kernels are in use.
    public static var isVectorized: Bool { tk_vectorized() != 0 }

    /// Switches the vectorized kernels off (false) or back on. For tests comparing the two.
    public static func setVectorized(_ enabled: Bool) { tk_set_vectorized(enabled ? 1 : 0) }
}

/// One thread's share of y = W · x for many tokens: dequantize a slice of W's rows into a scratch
/// buffer that stays in cache, multiply it with BLAS, next slice.
private struct DequantizedProduct {
    let weight: WeightMatrix
    let x: UnsafePointer<Float>
    let n: Int
    let y: UnsafeMutablePointer<Float>
    let ldy: Int

    func run(thread: Int, of threads: Int) {
        let rows = weight.rows, columns = weight.columns
        let share = ((rows + threads - 1) / threads + 15) & ~15
        let begin = thread * share, end = min(rows, begin + share)
        guard begin < end else { return }
        // Slices of about 256 KiB of f32 weights.
        let slice = max(16, min(end - begin, (65_536 / columns) & ~15))
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: slice * columns)
        defer { scratch.deallocate() }
        var row = begin
        while row < end {
            let count = min(slice, end - row)
            tk_dequantize_rows(weight.type, weight.base, Int32(row), Int32(count), Int32(columns), scratch)
            BLAS.gemmTransposedB(m: n, n: count, k: columns, a: x, lda: columns, b: scratch, ldb: columns,
                                 c: y + row, ldc: ldy)
            row += count
        }
    }
}
