import Foundation
@testable import LoRATraining
import TensorCore
import TensorKernels
import Testing

/// Every backward op against central finite differences of its forward (in f32, losses summed
/// in f64). Tolerance: 2e-2 of the largest gradient entry, the noise floor of f32 differences.
@Suite("Backward ops match finite differences")
struct OpGradientTests {
    static let tolerance = 2e-2
    let pool = ThreadPool(threadCount: 2)

    func dot(_ a: [Float], _ b: [Float]) -> Double { zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) } }

    @Test("RMSNorm")
    func rmsNorm() {
        var values = TestValues(seed: 1)
        let n = 3, dim = 16
        var x = values.array(n * dim, scale: 2)
        let weight = values.array(dim).map { 1 + 0.3 * $0 }
        let w = values.array(n * dim)
        func forward(_ x: [Float]) -> [Float] {
            var y = [Float](repeating: 0, count: n * dim), rstd = [Float](repeating: 0, count: n)
            RMSNorm.forward(x, weight: weight, n: n, dim: dim, eps: 1e-5, into: &y, rstd: &rstd, pool: pool)
            return y
        }
        var y = [Float](repeating: 0, count: n * dim), rstd = [Float](repeating: 0, count: n)
        RMSNorm.forward(x, weight: weight, n: n, dim: dim, eps: 1e-5, into: &y, rstd: &rstd, pool: pool)
        var dx = [Float](repeating: 0, count: n * dim)
        RMSNorm.backward(w, x: x, weight: weight, rstd: rstd, n: n, dim: dim, accumulateInto: &dx, pool: pool)
        let check = finiteDifferenceError(values: &x, analytic: dx, indices: Array(0..<(n * dim)), step: 1e-2) { dot(forward($0), w) }
        #expect(check.worst < Self.tolerance, "worst at \(check.index): \(check.worst)")
    }

    @Test("SwiGLU, both inputs")
    func swiglu() {
        var values = TestValues(seed: 2)
        let count = 40
        var g = values.array(count, scale: 4), u = values.array(count, scale: 2)
        let w = values.array(count)
        func forward(_ g: [Float], _ u: [Float]) -> [Float] {
            var h = [Float](repeating: 0, count: count)
            SwiGLU.forward(gate: g, up: u, into: &h, count: count, pool: pool)
            return h
        }
        var dg = [Float](repeating: 0, count: count), du = dg
        SwiGLU.backward(w, gate: g, up: u, gateGradient: &dg, upGradient: &du, count: count, pool: pool)
        let uCopy = u, gCopy = g
        let checkG = finiteDifferenceError(values: &g, analytic: dg, indices: Array(0..<count), step: 1e-2) { dot(forward($0, uCopy), w) }
        let checkU = finiteDifferenceError(values: &u, analytic: du, indices: Array(0..<count), step: 1e-2) { dot(forward(gCopy, $0), w) }
        #expect(checkG.worst < Self.tolerance, "gate: worst at \(checkG.index): \(checkG.worst)")
        #expect(checkU.worst < Self.tolerance, "up: worst at \(checkU.index): \(checkU.worst)")
    }

    @Test("causal softmax")
    func softmax() {
        var values = TestValues(seed: 3)
        let T = 6
        var s = values.array(T * T, scale: 3)
        let w = values.array(T * T)
        func forward(_ s: [Float]) -> [Float] {
            var p = s
            tk_causal_softmax(&p, Int32(T), Int32(T))
            return p
        }
        let p = forward(s)
        var ds = w
        tk_causal_softmax_backward(p, &ds, Int32(T), Int32(T))
        let causal = (0..<(T * T)).filter { $0 % T <= $0 / T }
        let check = finiteDifferenceError(values: &s, analytic: ds, indices: causal, step: 1e-2) { dot(forward($0), w) }
        #expect(check.worst < Self.tolerance, "worst at \(check.index): \(check.worst)")
        // Entries above the diagonal neither matter nor get gradient.
        #expect((0..<(T * T)).filter { $0 % T > $0 / T }.allSatisfy { p[$0] == 0 && ds[$0] == 0 })
    }

    @Test("cross-entropy over the vocabulary, unlabelled rows untouched")
    func crossEntropy() {
        var values = TestValues(seed: 4)
        let n = 3, V = 50
        var logits = values.array(n * V, scale: 5)
        let labels: [Int32] = [7, -1, 49]
        func loss(_ logits: [Float]) -> Double {
            var copy = logits, losses = [Float](repeating: 0, count: n), correct = [UInt8](repeating: 0, count: n)
            CrossEntropy.forwardBackward(&copy, n: n, vocab: V, labels: labels, gradScale: 1, losses: &losses, correct: &correct, pool: pool)
            return losses.reduce(0) { $0 + Double($1) }
        }
        var gradient = logits, losses = [Float](repeating: 0, count: n), correct = [UInt8](repeating: 0, count: n)
        CrossEntropy.forwardBackward(&gradient, n: n, vocab: V, labels: labels, gradScale: 1, losses: &losses, correct: &correct, pool: pool)
        let labelled = (0..<(n * V)).filter { $0 / V != 1 }
        let check = finiteDifferenceError(values: &logits, analytic: gradient, indices: labelled, step: 1e-2, loss: loss)
        #expect(check.worst < Self.tolerance, "worst at \(check.index): \(check.worst)")
        #expect(Array(gradient[V..<(2 * V)]) == Array(logits[V..<(2 * V)]))
        #expect(losses[1] == 0)
        // The loss is log-sum-exp minus the label's logit.
        let row0 = logits[0..<V].map(Double.init), m = row0.max()!
        let expected = log(row0.reduce(0) { $0 + exp($1 - m) }) + m - row0[7]
        #expect(abs(Double(losses[0]) - expected) < 1e-4)
    }

    @Test("rotary embedding: the backward is the inverse rotation")
    func rotary() {
        var values = TestValues(seed: 5)
        let n = 4, heads = 2, hd = 8
        var x = values.array(n * heads * hd)
        let w = values.array(n * heads * hd)
        let tables = Rotary.tables(positions: [0, 1, 5, 2], rotaryDimension: hd, base: 10_000)
        func forward(_ x: [Float]) -> [Float] {
            var y = x
            Rotary.apply(&y, n: n, heads: heads, headDimension: hd, rotaryDimension: hd, cos: tables.cos, sin: tables.sin, pool: pool)
            return y
        }
        var dx = w
        Rotary.apply(&dx, n: n, heads: heads, headDimension: hd, rotaryDimension: hd, cos: tables.cos, sin: tables.negativeSin, pool: pool)
        let check = finiteDifferenceError(values: &x, analytic: dx, indices: Array(0..<x.count), step: 1e-2) { dot(forward($0), w) }
        #expect(check.worst < Self.tolerance, "worst at \(check.index): \(check.worst)")
    }

    @Test("segment attention: q, k and v, two packed segments, grouped heads")
    func attention() {
        var values = TestValues(seed: 6)
        let heads = 4, kvHeads = 2, hd = 4, M = 8
        let segments = [TrainingBatch.Segment(start: 0, length: 3), TrainingBatch.Segment(start: 3, length: 5)]
        let op = SegmentAttention(heads: heads, kvHeads: kvHeads, headDimension: hd, scale: 0.5)
        var q = values.array(M * heads * hd), k = values.array(M * kvHeads * hd), v = values.array(M * kvHeads * hd)
        let w = values.array(M * heads * hd)
        var scratch = [Float](repeating: 0, count: SegmentAttention.scratchCount(longestSegment: 5, threads: 2))
        func forward(_ q: [Float], _ k: [Float], _ v: [Float]) -> [Float] {
            var out = [Float](repeating: 0, count: M * heads * hd)
            op.forward(q: q, k: k, v: v, segments: segments, into: &out, scratch: &scratch, pool: pool)
            return out
        }
        var dq = [Float](repeating: 0, count: q.count), dk = [Float](repeating: 0, count: k.count), dv = dk
        op.backward(dOut: w, q: q, k: k, v: v, segments: segments, dq: &dq, dk: &dk, dv: &dv, scratch: &scratch, pool: pool)
        let (q0, k0, v0) = (q, k, v)
        let cq = finiteDifferenceError(values: &q, analytic: dq, indices: Array(0..<q.count), step: 1e-2) { dot(forward($0, k0, v0), w) }
        let ck = finiteDifferenceError(values: &k, analytic: dk, indices: Array(0..<k.count), step: 1e-2) { dot(forward(q0, $0, v0), w) }
        let cv = finiteDifferenceError(values: &v, analytic: dv, indices: Array(0..<v.count), step: 1e-2) { dot(forward(q0, k0, $0), w) }
        #expect(cq.worst < Self.tolerance, "q: worst at \(cq.index): \(cq.worst)")
        #expect(ck.worst < Self.tolerance, "k: worst at \(ck.index): \(ck.worst)")
        #expect(cv.worst < Self.tolerance, "v: worst at \(cv.index): \(cv.worst)")
        // The second segment's first token sees only itself: its output is its own value rows.
        let out = forward(q, k, v)
        for h in 0..<heads {
            let g = h / (heads / kvHeads)
            for i in 0..<hd { #expect(abs(out[3 * heads * hd + h * hd + i] - v[3 * kvHeads * hd + g * hd + i]) < 1e-6) }
        }
    }

    @Test("LoRA linear: A, B and the input, with dropout", arguments: [Float(0), 0.3])
    func loraLinear(dropout: Float) {
        var values = TestValues(seed: 7)
        let m = 5, inputs = 12, outputs = 10, r = 3
        let weightValues = values.array(outputs * inputs)
        let weight = weightValues.withUnsafeBufferPointer {
            FrozenMatrix(rows: outputs, columns: inputs, values: $0.baseAddress!, precision: .float32, pool: pool)
        }
        var a = values.array(r * inputs, scale: 0.5), b = values.array(outputs * r, scale: 0.5)
        var x = values.array(m * inputs)
        let w = values.array(m * outputs)
        let seed: UInt64 = 99
        func forward(a: [Float], b: [Float], x: [Float]) -> [Float] {
            var a = a, b = b
            var gradA = [Float](repeating: 0, count: a.count), gradB = [Float](repeating: 0, count: b.count)
            return a.withUnsafeMutableBufferPointer { a in
                b.withUnsafeMutableBufferPointer { b in
                    gradA.withUnsafeMutableBufferPointer { gradA in
                        gradB.withUnsafeMutableBufferPointer { gradB in
                            let view = LoRAParameters.View(a: a.baseAddress!, b: b.baseAddress!, gradA: gradA.baseAddress!,
                                                           gradB: gradB.baseAddress!, rank: r, inputs: inputs, outputs: outputs)
                            let layer = LoRALinear(weight: weight, adapter: view, scale: 2)
                            var y = [Float](repeating: 0, count: m * outputs), hidden = [Float](repeating: 0, count: m * r)
                            var dropped = [Float](repeating: 0, count: m * inputs)
                            layer.forward(x, m: m, into: &y, hidden: &hidden, dropped: &dropped, dropout: dropout, seed: seed, pool: pool)
                            return y
                        }
                    }
                }
            }
        }
        // Analytic gradients.
        var gradA = [Float](repeating: 0, count: a.count), gradB = [Float](repeating: 0, count: b.count)
        var dx = [Float](repeating: 0, count: x.count)
        a.withUnsafeMutableBufferPointer { ap in
            b.withUnsafeMutableBufferPointer { bp in
                gradA.withUnsafeMutableBufferPointer { ga in
                    gradB.withUnsafeMutableBufferPointer { gb in
                        let view = LoRAParameters.View(a: ap.baseAddress!, b: bp.baseAddress!, gradA: ga.baseAddress!,
                                                       gradB: gb.baseAddress!, rank: r, inputs: inputs, outputs: outputs)
                        let layer = LoRALinear(weight: weight, adapter: view, scale: 2)
                        var y = [Float](repeating: 0, count: m * outputs), hidden = [Float](repeating: 0, count: m * r)
                        var dropped = [Float](repeating: 0, count: m * inputs)
                        layer.forward(x, m: m, into: &y, hidden: &hidden, dropped: &dropped, dropout: dropout, seed: seed, pool: pool)
                        var scratch = [Float](repeating: 0, count: m * (r + inputs))
                        layer.backward(w, x: x, m: m, hidden: hidden, into: &dx, accumulate: false, scratch: &scratch,
                                       dropout: dropout, seed: seed, pool: pool)
                    }
                }
            }
        }
        let (a0, b0, x0) = (a, b, x)
        let ca = finiteDifferenceError(values: &a, analytic: gradA, indices: Array(0..<a.count), step: 1e-2) { dot(forward(a: $0, b: b0, x: x0), w) }
        let cb = finiteDifferenceError(values: &b, analytic: gradB, indices: Array(0..<b.count), step: 1e-2) { dot(forward(a: a0, b: $0, x: x0), w) }
        let cx = finiteDifferenceError(values: &x, analytic: dx, indices: Array(0..<x.count), step: 1e-2) { dot(forward(a: a0, b: b0, x: $0), w) }
        #expect(ca.worst < Self.tolerance, "A: worst at \(ca.index): \(ca.worst)")
        #expect(cb.worst < Self.tolerance, "B: worst at \(cb.index): \(cb.worst)")
        #expect(cx.worst < Self.tolerance, "x: worst at \(cx.index): \(cx.worst)")
    }

    @Test("dropout keeps about 1 − p of the values, scaled, and the same seed drops the same ones")
    func dropout() {
        let x = [Float](repeating: 1, count: 10_000)
        var out = x, again = x
        Dropout.apply(x, into: &out, count: x.count, probability: 0.25, seed: 5, pool: pool)
        Dropout.apply(x, into: &again, count: x.count, probability: 0.25, seed: 5, pool: pool)
        #expect(out == again)
        let kept = out.filter { $0 != 0 }
        #expect(abs(Double(kept.count) / 10_000 - 0.75) < 0.02)
        #expect(kept.allSatisfy { abs($0 - 1 / 0.75) < 1e-6 })
        var other = x
        Dropout.apply(x, into: &other, count: x.count, probability: 0.25, seed: 6, pool: pool)
        #expect(other != out)
    }
}
