import Foundation
import GGUF
import TensorKernels
import Testing
@testable import TensorCore

/// Deterministic test data.
struct TestRandom {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next() -> Float {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(Int64(bitPattern: state >> 11) % 2_000_001 - 1_000_000) / 1_000_000
    }
    mutating func array(_ count: Int, scale: Float = 1) -> [Float] { (0..<count).map { _ in next() * scale } }
}

/// A weight matrix of `type` built from `values` ([rows][columns]) with the GGUF quantizers.
func makeMatrix(_ values: [Float], rows: Int, columns: Int, type: GGMLType) throws -> (WeightMatrix, [Float]) {
    let bytes = try GGMLQuantization.quantize(type, values)
    let buffer = ByteBuffer(bytes)
    let matrix = try #require(WeightMatrix(type: Int32(type.rawValue), rows: rows, columns: columns,
                                           base: UnsafeRawPointer(buffer.pointer), owner: buffer))
    // What the weights really are after quantization, per the GGUF module's own dequantizer.
    var exact = [Float](repeating: 0, count: values.count)
    try bytes.withUnsafeBytes { source in
        try exact.withUnsafeMutableBufferPointer { try GGMLQuantization.dequantize(type, source, into: $0) }
    }
    return (matrix, exact)
}

/// y[t][r] = Σ W[r][c] x[t][c] in double precision.
func naiveMatmul(_ w: [Float], rows: Int, columns: Int, _ x: [Float], n: Int) -> [Float] {
    var y = [Float](repeating: 0, count: n * rows)
    for t in 0..<n {
        for r in 0..<rows {
            var sum = 0.0
            for c in 0..<columns { sum += Double(w[r * columns + c]) * Double(x[t * columns + c]) }
            y[t * rows + r] = Float(sum)
        }
    }
    return y
}

func maxRelativeError(_ a: [Float], _ b: [Float]) -> Float {
    let scale = max(b.map { abs($0) }.max() ?? 1, 1e-6)
    return zip(a, b).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
}

@Suite("Kernels", .serialized)
struct KernelTests {
    static let types: [GGMLType] = [.f32, .f16, .bf16, .q8_0, .q4_0, .q4_1]

    @Test("matmul reads every weight type in place and matches a double-precision product", arguments: types, [1, 3, 5, 40])
    func matmulMatchesNaive(type: GGMLType, n: Int) throws {
        var random = TestRandom(UInt64(type.rawValue) * 31 + UInt64(n))
        let rows = 70, columns = 96
        let (matrix, exact) = try makeMatrix(random.array(rows * columns), rows: rows, columns: columns, type: type)
        let x = random.array(n * columns)
        let expected = naiveMatmul(exact, rows: rows, columns: columns, x, n: n)
        let pool = ThreadPool(threadCount: 2)
        for vectorized in [true, false] {
            Kernels.setVectorized(vectorized)
            defer { Kernels.setVectorized(true) }
            var y = [Float](repeating: .nan, count: n * rows)
            x.withUnsafeBufferPointer { xs in
                y.withUnsafeMutableBufferPointer { Kernels.matmul(matrix, xs.baseAddress!, n: n, into: $0.baseAddress!, pool: pool) }
            }
            let error = maxRelativeError(y, expected)
            #expect(error < 1e-5, "\(type.name) n=\(n) vectorized=\(vectorized): worst relative difference \(error)")
        }
    }

    @Test("dequantized rows equal the GGUF module's dequantizer", arguments: types)
    func dequantizeRows(type: GGMLType) throws {
        var random = TestRandom(7)
        let (matrix, exact) = try makeMatrix(random.array(8 * 64), rows: 8, columns: 64, type: type)
        for vectorized in [true, false] {
            Kernels.setVectorized(vectorized)
            defer { Kernels.setVectorized(true) }
            #expect(matrix.dequantized() == exact, "\(type.name) vectorized=\(vectorized)")
        }
    }

    @Test("matmul writes into a strided output without touching the gaps")
    func stridedOutput() throws {
        var random = TestRandom(3)
        let (matrix, exact) = try makeMatrix(random.array(20 * 32), rows: 20, columns: 32, type: .q8_0)
        let x = random.array(2 * 32)
        var y = [Float](repeating: -7, count: 2 * 25)
        x.withUnsafeBufferPointer { xs in
            y.withUnsafeMutableBufferPointer { Kernels.matmul(matrix, xs.baseAddress!, n: 2, into: $0.baseAddress!, ldy: 25, pool: ThreadPool(threadCount: 2)) }
        }
        let expected = naiveMatmul(exact, rows: 20, columns: 32, x, n: 2)
        for t in 0..<2 {
            #expect(maxRelativeError(Array(y[(t * 25)..<(t * 25 + 20)]), Array(expected[(t * 20)..<(t * 20 + 20)])) < 1e-5)
            #expect(y[(t * 25 + 20)..<(t * 25 + 25)].allSatisfy { $0 == -7 })
        }
    }

    @Test("RMSNorm scales each row to unit root-mean-square, then by the weight")
    func rmsNorm() {
        let x: [Float] = [1, 2, 3, 4, -1, -1, -1, -1]
        let weight: [Float] = [1, 1, 2, 0.5]
        var y = [Float](repeating: 0, count: 8)
        Kernels.rmsNorm(x, weight: weight, n: 2, dim: 4, eps: 0, into: &y)
        let rms = (30.0 / 4).squareRoot()
        let expected: [Float] = [Float(1 / rms), Float(2 / rms), Float(6 / rms), Float(2 / rms), -1, -1, -2, -0.5]
        #expect(maxRelativeError(y, expected) < 1e-6)
    }

    @Test("SiLU·up matches x / (1 + e^-x) · up, vectorized and not", arguments: [true, false])
    func siluMul(vectorized: Bool) {
        Kernels.setVectorized(vectorized)
        defer { Kernels.setVectorized(true) }
        var random = TestRandom(11)
        let count = 20_003
        var gate = random.array(count, scale: 12)
        let up = random.array(count)
        let expected = zip(gate, up).map { g, u in Float(Double(g) / (1 + exp(-Double(g))) * Double(u)) }
        Kernels.siluMul(&gate, up, count: count, pool: ThreadPool(threadCount: 2))
        let worst = zip(gate, expected).map { abs($0 - $1) / max(abs($1), 1e-3) }.max() ?? 0
        #expect(worst < 1e-5, "worst relative difference \(worst)")
    }

    @Test("RoPE rotates adjacent pairs by position-dependent angles")
    func rope() {
        // One token, one head of 4: pairs (x0, x1) by angle a0, (x2, x3) by a1.
        var x: [Float] = [1, 0, 0, 2]
        let cos: [Float] = [Float(Foundation.cos(0.5)), Float(Foundation.cos(1.5))]
        let sin: [Float] = [Float(Foundation.sin(0.5)), Float(Foundation.sin(1.5))]
        Kernels.rope(&x, n: 1, heads: 1, headDim: 4, rotaryDim: 4, cos: cos, sin: sin)
        let expected: [Float] = [cos[0], sin[0], -2 * sin[1], 2 * cos[1]]
        #expect(maxRelativeError(x, expected) < 1e-6)
    }

    @Test("causal grouped-query attention matches a naive softmax(QKᵀ)V", arguments: [true, false], [(1, 0), (5, 0), (3, 200), (40, 100), (1, 300), (1, 1000)])
    func attention(vectorized: Bool, shape: (n: Int, start: Int)) {
        Kernels.setVectorized(vectorized)
        defer { Kernels.setVectorized(true) }
        let heads = 6, kvHeads = 2, headDim = 32, total = shape.start + shape.n
        var random = TestRandom(UInt64(total))
        let q = random.array(shape.n * heads * headDim, scale: 2)
        let k = random.array(total * kvHeads * headDim, scale: 2)
        let v = random.array(total * kvHeads * headDim)
        let scale = 1 / Float(headDim).squareRoot()
        var out = [Float](repeating: .nan, count: shape.n * heads * headDim)
        Kernels.attention(q: q, n: shape.n, heads: heads, kvHeads: kvHeads, headDim: headDim, keys: k, values: v,
                          start: shape.start, scale: scale, into: &out, pool: ThreadPool(threadCount: 2))
        var expected = [Float](repeating: 0, count: out.count)
        for t in 0..<shape.n {
            for h in 0..<heads {
                let g = h / (heads / kvHeads)
                let keys = 0...(shape.start + t)
                let scores = keys.map { j in
                    (0..<headDim).reduce(0.0) { $0 + Double(q[(t * heads + h) * headDim + $1]) * Double(k[(j * kvHeads + g) * headDim + $1]) } * Double(scale)
                }
                let m = scores.max()!
                let weights = scores.map { exp($0 - m) }
                let z = weights.reduce(0, +)
                for d in 0..<headDim {
                    var sum = 0.0
                    for (i, j) in keys.enumerated() { sum += weights[i] * Double(v[(j * kvHeads + g) * headDim + d]) }
                    expected[(t * heads + h) * headDim + d] = Float(sum / z)
                }
            }
        }
        let error = maxRelativeError(out, expected)
        #expect(error < 1e-5, "worst relative difference \(error)")
    }

    @Test("half-precision conversion round-trips every f16 value and rounds to nearest even")
    func halfPrecision() {
        for bits in UInt16.min...UInt16.max {
            let f = tk_f16_to_f32(bits)
            if f.isNaN { continue }
            #expect(tk_f32_to_f16(f) == bits, "bits \(bits)")
        }
        #expect(tk_f32_to_f16(1 + 1.0 / 2048) == 0x3C00)   // tie rounds to even (down)
        #expect(tk_f32_to_f16(1 + 3.0 / 2048) == 0x3C02)   // tie rounds to even (up)
        #expect(tk_f32_to_f16(70_000) == 0x7C00)           // overflow to infinity
        #expect(tk_f32_to_f16(3e-8) == 0x0001)             // rounds up to the smallest subnormal
    }
}

@Suite("Thread pool")
struct ThreadPoolTests {
    @Test("a large product gives the same result on 1, 2 and 3 threads")
    func sameResultAcrossThreadCounts() throws {
        var random = TestRandom(99)
        let rows = 1000, columns = 256
        let (matrix, _) = try makeMatrix(random.array(rows * columns), rows: rows, columns: columns, type: .q4_1)
        let x = random.array(columns)
        var results: [[Float]] = []
        for threads in 1...3 {
            var y = [Float](repeating: 0, count: rows)
            Kernels.matmul(matrix, x, n: 1, into: &y, pool: ThreadPool(threadCount: threads))
            results.append(y)
        }
        #expect(results[0] == results[1])
        #expect(results[1] == results[2])
    }
}

@Suite("BLAS environment")
struct BLASEnvironmentTests {
    @Test("a missing or older OpenBLAS core type is replaced on AVX-512 CPUs; other choices are kept")
    func relaunchEnvironment() throws {
        guard let core = BLASEnvironment.recommendedCoreType else { return }
        #expect(BLASEnvironment.environmentForRelaunch([:])?[BLASEnvironment.variable] == core)
        #expect(BLASEnvironment.environmentForRelaunch([BLASEnvironment.variable: core]) == nil)
        #expect(BLASEnvironment.environmentForRelaunch([BLASEnvironment.variable: "Cooperlake"]) == nil)
        #expect(BLASEnvironment.environmentForRelaunch([BLASEnvironment.variable: "Haswell", "FINETUNE_KEEP_OPENBLAS_CORETYPE": "1"]) == nil)
        if core == "SkylakeX" {
            #expect(BLASEnvironment.environmentForRelaunch([BLASEnvironment.variable: "Haswell", "HOME": "/x"]) == [BLASEnvironment.variable: "SkylakeX", "HOME": "/x"])
        }
    }
}

@Suite("Decode layouts and fused products", .serialized)
struct DecodeLayoutTests {
    @Test("the decode layout holds the same values and multiplies like the file's layout",
          arguments: [GGMLType.q4_1, .q8_0], [1, 3, 6])
    func repackedMatchesOriginal(type: GGMLType, n: Int) throws {
        var random = TestRandom(UInt64(n) * 13 + UInt64(type.rawValue))
        let rows = 37, columns = 128
        let (matrix, exact) = try makeMatrix(random.array(rows * columns), rows: rows, columns: columns, type: type)
        let repacked = matrix.repackedForDecoding()
        #expect(repacked.type != matrix.type)
        let x = random.array(n * columns)
        let expected = naiveMatmul(exact, rows: rows, columns: columns, x, n: n)
        for vectorized in [true, false] {
            Kernels.setVectorized(vectorized)
            defer { Kernels.setVectorized(true) }
            #expect(repacked.dequantized() == exact, "vectorized=\(vectorized)")
            var y = [Float](repeating: .nan, count: n * rows)
            Kernels.matmul(repacked, x, n: n, into: &y, pool: ThreadPool(threadCount: 2))
            let error = maxRelativeError(y, expected)
            #expect(error < 1e-5, "\(type.name) n=\(n) vectorized=\(vectorized): worst relative difference \(error)")
        }
    }

    @Test("types without a decode layout are returned unchanged")
    func noLayout() throws {
        var random = TestRandom(1)
        let (matrix, _) = try makeMatrix(random.array(64), rows: 2, columns: 32, type: .f16)
        #expect(matrix.repackedForDecoding().type == matrix.type)
    }

    @Test("several products in one pass equal separate products")
    func fusedProducts() throws {
        var random = TestRandom(5)
        let columns = 64
        let shapes: [(Int, GGMLType)] = [(48, .q4_1), (16, .q8_0), (33, .f32)]
        let matrices = try shapes.map { try makeMatrix(random.array($0.0 * columns), rows: $0.0, columns: columns, type: $0.1) }
        let x = random.array(2 * columns)
        let outputs = shapes.map { UnsafeMutablePointer<Float>.allocate(capacity: 2 * $0.0) }
        defer { outputs.forEach { $0.deallocate() } }
        Kernels.matmul(matrices.map { $0.0.repackedForDecoding() }, x, n: 2, into: outputs, pool: ThreadPool(threadCount: 2))
        for (index, (matrix, exact)) in matrices.enumerated() {
            let expected = naiveMatmul(exact, rows: matrix.rows, columns: columns, x, n: 2)
            let got = Array(UnsafeBufferPointer(start: outputs[index], count: 2 * matrix.rows))
            #expect(maxRelativeError(got, expected) < 1e-5, "product \(index)")
        }
    }

    @Test("the fused SwiGLU layer equals silu(gate) ⊙ up", arguments: [1, 3, 20])
    func fusedSwiGLU(n: Int) throws {
        var random = TestRandom(UInt64(n))
        let rows = 96, columns = 64
        let (gate, gateExact) = try makeMatrix(random.array(rows * columns), rows: rows, columns: columns, type: .q4_1)
        let (up, upExact) = try makeMatrix(random.array(rows * columns), rows: rows, columns: columns, type: .q8_0)
        let x = random.array(n * columns)
        let g = naiveMatmul(gateExact, rows: rows, columns: columns, x, n: n)
        let u = naiveMatmul(upExact, rows: rows, columns: columns, x, n: n)
        let expected = zip(g, u).map { gv, uv in Float(Double(gv) / (1 + exp(-Double(gv))) * Double(uv)) }
        var out = [Float](repeating: .nan, count: n * rows), scratch = out
        Kernels.swiglu(gate: gate.repackedForDecoding(), up: up.repackedForDecoding(), x, n: n, into: &out, scratch: &scratch,
                       pool: ThreadPool(threadCount: 2))
        #expect(maxRelativeError(out, expected) < 1e-5)
    }
}

@Suite("K-quant weights")
struct KQuantTests {
    /// Random Q4_K / Q6_K super-blocks (any bit pattern is valid) with f16 scales of a sane size.
    static func randomBlocks(_ type: GGMLType, rows: Int, columns: Int, seed: UInt64) -> [UInt8] {
        var random = TestRandom(seed)
        let blockBytes = type == .q4_K ? 144 : 210
        var bytes = (0..<(rows * columns / 256 * blockBytes)).map { _ in UInt8(truncatingIfNeeded: Int((random.next() + 1) * 1000)) }
        for block in 0..<(rows * columns / 256) {
            let base = block * blockBytes
            let scaleOffsets = type == .q4_K ? [0, 2] : [208]
            for offset in scaleOffsets {
                let half = tk_f32_to_f16(0.001 + abs(random.next()) * 0.01)
                bytes[base + offset] = UInt8(half & 0xFF)
                bytes[base + offset + 1] = UInt8(half >> 8)
            }
        }
        return bytes
    }

    @Test("Q4_K and Q6_K rows read in place equal the GGUF dequantizer and multiply correctly", arguments: [GGMLType.q4_K, .q6_K])
    func kQuants(type: GGMLType) throws {
        let rows = 9, columns = 512
        let bytes = Self.randomBlocks(type, rows: rows, columns: columns, seed: UInt64(type.rawValue))
        var exact = [Float](repeating: 0, count: rows * columns)
        try bytes.withUnsafeBytes { source in
            try exact.withUnsafeMutableBufferPointer { try GGMLQuantization.dequantize(type, source, into: $0) }
        }
        let buffer = ByteBuffer(bytes)
        let matrix = try #require(WeightMatrix(type: Int32(type.rawValue), rows: rows, columns: columns,
                                               base: UnsafeRawPointer(buffer.pointer), owner: buffer))
        #expect(matrix.dequantized() == exact)
        var random = TestRandom(3)
        let x = random.array(2 * columns)
        let expected = naiveMatmul(exact, rows: rows, columns: columns, x, n: 2)
        for vectorized in [true, false] {
            Kernels.setVectorized(vectorized)
            defer { Kernels.setVectorized(true) }
            var y = [Float](repeating: .nan, count: 2 * rows)
            Kernels.matmul(matrix, x, n: 2, into: &y, pool: ThreadPool(threadCount: 2))
            #expect(maxRelativeError(y, expected) < 1e-5, "\(type.name) vectorized=\(vectorized)")
        }
    }
}

@Suite("Q5_0 and Q5_1 weights")
struct Q5Tests {
    /// ggml's reference dequantization (dequantize_row_q5_0 / _q5_1), written out independently.
    static func reference(_ bytes: [UInt8], type: Int32, count: Int) -> [Float] {
        let one = type == Int32(TK_Q5_1)
        let blockBytes = one ? 24 : 22
        var out: [Float] = []
        for block in 0..<(count / 32) {
            let b = block * blockBytes
            func half(_ o: Int) -> Float { tk_f16_to_f32(UInt16(bytes[b + o]) | UInt16(bytes[b + o + 1]) << 8) }
            let d = half(0), m: Float = one ? half(2) : 0
            let h = one ? 4 : 2
            let qh = (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[b + h + $1]) << (8 * $1) }
            var low: [Float] = [], high: [Float] = []
            for j in 0..<16 {
                let q = bytes[b + h + 4 + j]
                let x0 = Int(q & 0x0F) | Int((qh >> UInt32(j)) & 1) << 4
                let x1 = Int(q >> 4) | Int((qh >> UInt32(j + 16)) & 1) << 4
                low.append(one ? (Float(x0) * d + m) : Float(x0 - 16) * d)
                high.append(one ? (Float(x1) * d + m) : Float(x1 - 16) * d)
            }
            out += low + high
        }
        return out
    }

    @Test("Q5_0 and Q5_1 rows decode as ggml defines them and multiply correctly", arguments: [Int32(TK_Q5_0), Int32(TK_Q5_1)])
    func q5(type: Int32) throws {
        let rows = 12, columns = 96
        let one = type == Int32(TK_Q5_1)
        var random = TestRandom(UInt64(type))
        var bytes: [UInt8] = []
        for _ in 0..<(rows * columns / 32) {
            let d = tk_f32_to_f16(0.01 + abs(random.next()) * 0.05), m = tk_f32_to_f16(random.next() * 0.2)
            bytes += [UInt8(d & 0xFF), UInt8(d >> 8)]
            if one { bytes += [UInt8(m & 0xFF), UInt8(m >> 8)] }
            bytes += (0..<20).map { _ in UInt8(truncatingIfNeeded: Int((random.next() + 1) * 1000)) }
        }
        let expected = Self.reference(bytes, type: type, count: rows * columns)
        let buffer = ByteBuffer(bytes)
        let matrix = try #require(WeightMatrix(type: type, rows: rows, columns: columns, base: UnsafeRawPointer(buffer.pointer), owner: buffer))
        let x = random.array(3 * columns)
        let product = naiveMatmul(expected, rows: rows, columns: columns, x, n: 3)
        for vectorized in [true, false] {
            Kernels.setVectorized(vectorized)
            defer { Kernels.setVectorized(true) }
            #expect(maxRelativeError(matrix.dequantized(), expected) < 1e-6, "vectorized=\(vectorized)")
            var y = [Float](repeating: .nan, count: 3 * rows)
            Kernels.matmul(matrix, x, n: 3, into: &y, pool: ThreadPool(threadCount: 2))
            #expect(maxRelativeError(y, product) < 1e-5, "vectorized=\(vectorized)")
        }
    }
}
