import Foundation
import GGUF
import TensorKernels
import Testing
@testable import TensorCore

/// One product to check: m tokens, W [n][k].
struct ProductShape: Sendable, CustomTestStringConvertible {
    let m: Int, n: Int, k: Int
    var testDescription: String { "m=\(m) N=\(n) K=\(k)" }
}

/// Runs forward (y = x·Wᵀ, x [m][K]) or backward (dx = dy·W, dy [m][N]) into a copy of `initial`.
func product(_ matrix: FrozenMatrix, forward: Bool, _ input: [Float], m: Int, initial: [Float], accumulate: Bool,
             pool: ThreadPool) -> [Float] {
    var out = initial
    input.withUnsafeBufferPointer { source in
        out.withUnsafeMutableBufferPointer { target in
            if forward {
                matrix.forward(source.baseAddress!, m: m, into: target.baseAddress!, accumulate: accumulate, pool: pool)
            } else {
                matrix.backward(source.baseAddress!, m: m, into: target.baseAddress!, accumulate: accumulate, pool: pool)
            }
        }
    }
    return out
}

/// Reference in double precision: forward out[t][r] = Σ_c w[r][c]·in[t][c]; backward
/// out[t][c] = Σ_r in[t][r]·w[r][c]. Also returns Σ |w|·|in| per element (the error scale of a sum).
func referenceProduct(_ w: [Float], n: Int, k: Int, forward: Bool, _ input: [Float], m: Int) -> (values: [Double], magnitudes: [Double]) {
    let width = forward ? n : k, depth = forward ? k : n
    var values = [Double](repeating: 0, count: m * width), magnitudes = values
    for t in 0..<m {
        for o in 0..<width {
            var sum = 0.0, magnitude = 0.0
            for d in 0..<depth {
                let weight = Double(forward ? w[o * k + d] : w[d * k + o]), x = Double(input[t * depth + d])
                sum += weight * x
                magnitude += abs(weight * x)
            }
            values[t * width + o] = sum
            magnitudes[t * width + o] = magnitude
        }
    }
    return (values, magnitudes)
}

/// Worst |got − (expected + initial)| / (Σ|w·x| + |initial| + 1e-30), and where.
func worstError(_ got: [Float], _ expected: (values: [Double], magnitudes: [Double]), initial: [Float]? = nil) -> (error: Double, index: Int) {
    var worst = (error: 0.0, index: -1)
    for i in got.indices {
        let base = initial.map { Double($0[i]) } ?? 0
        let error = abs(Double(got[i]) - (expected.values[i] + base)) / (expected.magnitudes[i] + abs(base) + 1e-30)
        if !(error <= worst.error) { worst = (error, i) }  // NaN counts as worst
    }
    return worst
}

func bf16Rounded(_ values: [Float]) -> [Float] { values.map { tk_bf16_to_f32(tk_f32_to_bf16($0)) } }

@Suite("FrozenMatrix", .serialized)
struct FrozenMatrixTests {
    static let shapes = [
        ProductShape(m: 1, n: 5, k: 3), ProductShape(m: 7, n: 17, k: 64), ProductShape(m: 33, n: 192, k: 577),
        ProductShape(m: 40, n: 70, k: 96), ProductShape(m: 100, n: 33, k: 1201),
        ProductShape(m: 30, n: 4100, k: 40),  // wide: the bf16 kernels walk B in groups of strips
    ]

    @Test("fp32 forward and backward match a double-precision product, with and without accumulate",
          arguments: shapes, [false, true])
    func float32MatchesReference(shape: ProductShape, accumulate: Bool) {
        var random = TestRandom(UInt64(shape.m * 1000 + shape.n * 10 + shape.k))
        let w = random.array(shape.n * shape.k)
        let pool = ThreadPool(threadCount: 2)
        let matrix = FrozenMatrix(rows: shape.n, columns: shape.k, values: w, precision: .float32, pool: pool)
        for forward in [true, false] {
            let input = random.array(shape.m * (forward ? shape.k : shape.n))
            let initial = random.array(shape.m * (forward ? shape.n : shape.k))
            let got = product(matrix, forward: forward, input, m: shape.m, initial: initial, accumulate: accumulate, pool: pool)
            let reference = referenceProduct(w, n: shape.n, k: shape.k, forward: forward, input, m: shape.m)
            let worst = worstError(got, reference, initial: accumulate ? initial : nil)
            #expect(worst.error < 1e-6, "\(forward ? "forward" : "backward") worst relative error \(worst.error) at \(worst.index)")
        }
    }

    @Test("bf16 products equal a double-precision product of the bf16-rounded inputs, vectorized or not",
          arguments: shapes, [true, false])
    func bfloat16MatchesRoundedReference(shape: ProductShape, vectorized: Bool) {
        Kernels.setVectorized(vectorized)
        defer { Kernels.setVectorized(true) }
        var random = TestRandom(UInt64(shape.m * 1000 + shape.n * 10 + shape.k) + 7)
        let w = random.array(shape.n * shape.k)
        let pool = ThreadPool(threadCount: 2)
        let matrix = FrozenMatrix(rows: shape.n, columns: shape.k, values: w, precision: .bfloat16, pool: pool)
        for forward in [true, false] {
            for accumulate in [false, true] {
                let input = random.array(shape.m * (forward ? shape.k : shape.n), scale: 3)
                let initial = random.array(shape.m * (forward ? shape.n : shape.k))
                let got = product(matrix, forward: forward, input, m: shape.m, initial: initial, accumulate: accumulate, pool: pool)
                let reference = referenceProduct(bf16Rounded(w), n: shape.n, k: shape.k, forward: forward, bf16Rounded(input), m: shape.m)
                let worst = worstError(got, reference, initial: accumulate ? initial : nil)
                // f32 sums of up to ~1200 terms: a few units of 2^-24 relative to Σ|w·x|.
                #expect(worst.error < 2e-6, "\(forward ? "forward" : "backward") accumulate=\(accumulate): worst error \(worst.error) at \(worst.index)")
                // The unrounded product differs by about 2^-9 relative: the inputs really are rounded.
                if shape.k >= 64 && shape.n >= 17 && !accumulate {
                    let unrounded = referenceProduct(w, n: shape.n, k: shape.k, forward: forward, input, m: shape.m)
                    #expect(worstError(got, unrounded).error > 1e-4)
                }
            }
        }
    }

    @Test("the vectorized and portable bf16 products agree to f32 rounding")
    func vectorizedMatchesPortable() {
        var random = TestRandom(5)
        let shape = ProductShape(m: 45, n: 100, k: 333)
        let w = random.array(shape.n * shape.k)
        let pool = ThreadPool(threadCount: 2)
        let matrix = FrozenMatrix(rows: shape.n, columns: shape.k, values: w, precision: .bfloat16, pool: pool)
        for forward in [true, false] {
            let input = random.array(shape.m * (forward ? shape.k : shape.n))
            let initial = [Float](repeating: 0, count: shape.m * (forward ? shape.n : shape.k))
            let fast = product(matrix, forward: forward, input, m: shape.m, initial: initial, accumulate: false, pool: pool)
            Kernels.setVectorized(false)
            let portable = product(matrix, forward: forward, input, m: shape.m, initial: initial, accumulate: false, pool: pool)
            Kernels.setVectorized(true)
            // Error scale: Σ|w·x| of the rounded inputs.
            let scale = referenceProduct(bf16Rounded(w), n: shape.n, k: shape.k, forward: forward, bf16Rounded(input), m: shape.m)
            let worst = worstError(fast, (portable.map(Double.init), scale.magnitudes))
            #expect(worst.error < 2e-6, "worst difference \(worst.error) at \(worst.index)")
            if MatrixPrecision.bfloat16.isSupported {  // else both ran the portable code
                #expect(fast != portable, "the two kernels sum in different orders, so some bits should differ")
            }
        }
    }

    @Test("bf16 rounding is to nearest even, flushes subnormals like AVX512_BF16 and keeps NaN, vectorized or not")
    func bf16Rounding() {
        let cases: [(Float, UInt16)] = [
            (1, 0x3F80), (-2, 0xC000), (1 + 1.0 / 256, 0x3F80),  // tie between 0x3F80 and 0x3F81: even
            (1 + 3.0 / 256, 0x3F82), (1 + 1.0 / 256 + 1.0 / 65536, 0x3F81),  // tie to even (up); above a tie
            (.infinity, 0x7F80), (-.infinity, 0xFF80), (.greatestFiniteMagnitude, 0x7F80),  // rounds up to ∞
            (Float(bitPattern: 0x0000_0001), 0), (-Float(bitPattern: 0x007F_FFFF), 0x8000),  // subnormals → ±0
            (.leastNormalMagnitude, 0x0080), (0, 0), (-0.0, 0x8000),
        ]
        var random = TestRandom(1)
        var inputs = cases.map(\.0) + random.array(200, scale: 1e3) + [.nan, Float(bitPattern: 0x7F80_0001)]
        inputs += (0..<37).map { Float(bitPattern: 0x3F80_8000 + UInt32($0) << 16) }  // exact ties
        for (value, expected) in cases { #expect(tk_f32_to_bf16(value) == expected, "bf16(\(value))") }
        #expect(tk_bf16_to_f32(tk_f32_to_bf16(.nan)).isNaN)
        #expect(tk_f32_to_bf16(Float(bitPattern: 0x7F80_0001)) & 0x7FC0 == 0x7FC0, "signalling NaN becomes quiet")
        var results: [[UInt16]] = []
        for vectorized in [true, false] {
            Kernels.setVectorized(vectorized)
            var out = [UInt16](repeating: 1, count: inputs.count)
            tk_bf16_convert(inputs, inputs.count, &out)
            results.append(out)
        }
        Kernels.setVectorized(true)
        #expect(results[0] == results[1])
        #expect(results[1] == inputs.map(tk_f32_to_bf16))
    }

    @Test("a Q4_1 weight read from its file bytes equals the same weight given as f32", arguments: MatrixPrecision.allCases)
    func fromQuantizedWeight(precision: MatrixPrecision) throws {
        var random = TestRandom(21)
        let n = 300, k = 96, m = 20  // 300 rows: two preparation chunks, the second partial
        let (weight, exact) = try makeMatrix(random.array(n * k), rows: n, columns: k, type: .q4_1)
        let pool = ThreadPool(threadCount: 2)
        let quantized = FrozenMatrix(weight, precision: precision, pool: pool)
        let plain = FrozenMatrix(rows: n, columns: k, values: exact, precision: precision, pool: pool)
        #expect(quantized.rows == n && quantized.columns == k && quantized.precision == precision)
        // bf16: forward 10 strips × 48 pairs × 32 × 2, backward 3 strips × 150 pairs × 32 × 2, 2 bytes each.
        #expect(quantized.byteCount == (precision == .float32 ? n * k * 4 : (10 * 48 + 3 * 150) * 64 * 2))
        for forward in [true, false] {
            let input = random.array(m * (forward ? k : n))
            let zeros = [Float](repeating: 0, count: m * (forward ? n : k))
            let a = product(quantized, forward: forward, input, m: m, initial: zeros, accumulate: false, pool: pool)
            let b = product(plain, forward: forward, input, m: m, initial: zeros, accumulate: false, pool: pool)
            #expect(a == b)
            let rounded = precision == .bfloat16
            let reference = referenceProduct(rounded ? bf16Rounded(exact) : exact, n: n, k: k, forward: forward,
                                             rounded ? bf16Rounded(input) : input, m: m)
            #expect(worstError(a, reference).error < 2e-6)
        }
    }

    @Test("1, 2 and 3 threads give identical bits", arguments: MatrixPrecision.allCases,
          [ProductShape(m: 130, n: 200, k: 300), ProductShape(m: 5, n: 576, k: 64), ProductShape(m: 64, n: 1000, k: 40),
           ProductShape(m: 50, n: 4100, k: 72)])
    func sameBitsAcrossThreadCounts(precision: MatrixPrecision, shape: ProductShape) {
        var random = TestRandom(77)
        let w = random.array(shape.n * shape.k)
        for forward in [true, false] {
            let input = random.array(shape.m * (forward ? shape.k : shape.n))
            let initial = random.array(shape.m * (forward ? shape.n : shape.k))
            var results: [[Float]] = []
            for threads in 1...3 {
                let pool = ThreadPool(threadCount: threads)
                let matrix = FrozenMatrix(rows: shape.n, columns: shape.k, values: w, precision: precision, pool: pool)
                for accumulate in [false, true] {
                    results.append(product(matrix, forward: forward, input, m: shape.m, initial: initial, accumulate: accumulate, pool: pool))
                }
            }
            #expect(results[0] == results[2] && results[2] == results[4], "\(forward ? "forward" : "backward")")
            #expect(results[1] == results[3] && results[3] == results[5], "\(forward ? "forward" : "backward") accumulate")
        }
    }

    @Test("strided inputs and outputs are read and written only in their first columns", arguments: MatrixPrecision.allCases)
    func strided(precision: MatrixPrecision) {
        var random = TestRandom(8)
        let m = 30, n = 40, k = 50, pad = 7
        let w = random.array(n * k)
        let pool = ThreadPool(threadCount: 2)
        let matrix = FrozenMatrix(rows: n, columns: k, values: w, precision: precision, pool: pool)
        let x = random.array(m * k)
        var wide = [Float](repeating: .nan, count: m * (k + pad))  // NaN in the gaps must not be read
        for t in 0..<m { for c in 0..<k { wide[t * (k + pad) + c] = x[t * k + c] } }
        var y = [Float](repeating: -3, count: m * (n + pad))
        wide.withUnsafeBufferPointer { xs in
            y.withUnsafeMutableBufferPointer { ys in
                matrix.forward(xs.baseAddress!, m: m, ldx: k + pad, into: ys.baseAddress!, ldy: n + pad, pool: pool)
            }
        }
        let dense = product(matrix, forward: true, x, m: m, initial: [Float](repeating: 0, count: m * n), accumulate: false, pool: pool)
        for t in 0..<m {
            #expect(Array(y[(t * (n + pad))..<(t * (n + pad) + n)]) == Array(dense[(t * n)..<(t * n + n)]))
            #expect(y[(t * (n + pad) + n)..<((t + 1) * (n + pad))].allSatisfy { $0 == -3 })
        }
        var dx = [Float](repeating: -3, count: m * (k + pad))
        let dy = random.array(m * n)
        var wideDy = [Float](repeating: .nan, count: m * (n + pad))
        for t in 0..<m { for r in 0..<n { wideDy[t * (n + pad) + r] = dy[t * n + r] } }
        wideDy.withUnsafeBufferPointer { ds in
            dx.withUnsafeMutableBufferPointer { xs in
                matrix.backward(ds.baseAddress!, m: m, lddy: n + pad, into: xs.baseAddress!, lddx: k + pad, pool: pool)
            }
        }
        let denseDx = product(matrix, forward: false, dy, m: m, initial: [Float](repeating: 0, count: m * k), accumulate: false, pool: pool)
        for t in 0..<m {
            #expect(Array(dx[(t * (k + pad))..<(t * (k + pad) + k)]) == Array(denseDx[(t * k)..<(t * k + k)]))
            #expect(dx[(t * (k + pad) + k)..<((t + 1) * (k + pad))].allSatisfy { $0 == -3 })
        }
    }

    @Test("the best available precision is bf16 exactly where the CPU has AVX512_BF16")
    func bestAvailable() {
        #expect(MatrixPrecision.float32.isSupported)
        #expect(MatrixPrecision.bestAvailable == (tk_cpu_has_avx512_bf16() != 0 ? .bfloat16 : .float32))
        #expect(MatrixPrecision(rawValue: "bf16") == .bfloat16 && MatrixPrecision(rawValue: "fp32") == .float32)
    }
}
