import Foundation
import TensorCore
import TensorKernels

// Row-wise and elementwise ops, split over the pool's threads by rows (every row's result is
// independent, so the split doesn't change any value).

/// RMSNorm (Zhang & Sennrich 2019) with a frozen gain: y = x · rstd · weight.
enum RMSNorm {
    /// x, y: [n][dim]; rstd: [n] saved for the backward pass.
    static func forward(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, n: Int, dim: Int, eps: Float,
                        into y: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>, pool: ThreadPool) {
        pool.parallelFor(n) { rows in
            let o = rows.lowerBound
            tk_rms_norm_forward(x + o * dim, weight, Int32(rows.count), Int32(dim), eps, y + o * dim, rstd + o)
        }
    }

    /// dx += ∂y/∂x ᵀ · dy. dy, x, dx: [n][dim]; rstd: [n] from the forward.
    static func backward(_ dy: UnsafePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                         rstd: UnsafePointer<Float>, n: Int, dim: Int, accumulateInto dx: UnsafeMutablePointer<Float>, pool: ThreadPool) {
        pool.parallelFor(n) { rows in
            let o = rows.lowerBound
            tk_rms_norm_backward(dy + o * dim, x + o * dim, weight, rstd + o, Int32(rows.count), Int32(dim), dx + o * dim)
        }
    }
}

/// The SwiGLU gate (Shazeer 2020): h = silu(g) ⊙ u.
enum SwiGLU {
    /// g, u, h: [count].
    static func forward(gate g: UnsafePointer<Float>, up u: UnsafePointer<Float>, into h: UnsafeMutablePointer<Float>,
                        count: Int, pool: ThreadPool) {
        pool.parallelFor(count, granularity: 64) { r in tk_swiglu_forward(g + r.lowerBound, u + r.lowerBound, h + r.lowerBound, r.count) }
    }

    /// dg, du: [count] (overwritten) from dh: [count].
    static func backward(_ dh: UnsafePointer<Float>, gate g: UnsafePointer<Float>, up u: UnsafePointer<Float>,
                         gateGradient dg: UnsafeMutablePointer<Float>, upGradient du: UnsafeMutablePointer<Float>,
                         count: Int, pool: ThreadPool) {
        pool.parallelFor(count, granularity: 64) { r in
            let o = r.lowerBound
            tk_swiglu_backward(dh + o, g + o, u + o, dg + o, du + o, r.count)
        }
    }
}

/// Rotary position embedding (Su et al. 2021) in GGUF's adjacent-pair layout. The backward pass
/// is the inverse rotation: the same kernel with the sines negated.
enum Rotary {
    /// Angle tables for `positions`: cos, sin, −sin, each [M][rotaryDim / 2].
    static func tables(positions: [Int32], rotaryDimension: Int, base: Float) -> (cos: [Float], sin: [Float], negativeSin: [Float]) {
        let half = rotaryDimension / 2
        // As the reference computes them, in f32: base^(-2i/d).
        let inverse = (0..<half).map { 1 / powf(base, Float(2 * $0) / Float(rotaryDimension)) }
        var cos = [Float](repeating: 0, count: positions.count * half), sin = cos
        for (t, position) in positions.enumerated() {
            for i in 0..<half {
                let angle = Float(position) * inverse[i]
                cos[t * half + i] = cosf(angle)
                sin[t * half + i] = sinf(angle)
            }
        }
        return (cos, sin, sin.map { -$0 })
    }

    /// Rotates x: [n][heads][headDim] in place (forward with `sin`, backward with `negativeSin`).
    static func apply(_ x: UnsafeMutablePointer<Float>, n: Int, heads: Int, headDimension: Int, rotaryDimension: Int,
                      cos: UnsafePointer<Float>, sin: UnsafePointer<Float>, pool: ThreadPool) {
        let width = heads * headDimension, half = rotaryDimension / 2
        pool.parallelFor(n) { rows in
            let o = rows.lowerBound
            tk_rope(x + o * width, Int32(rows.count), Int32(heads), Int32(headDimension), Int32(rotaryDimension),
                    cos + o * half, sin + o * half)
        }
    }
}

/// Inverted dropout with masks recomputed from a seed (the backward pass is the same call).
enum Dropout {
    static func apply(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int, probability: Float,
                      seed: UInt64, pool: ThreadPool) {
        pool.parallelFor(count, granularity: 64) { r in
            tk_dropout(x + r.lowerBound, out + r.lowerBound, r.count, probability, seed, r.lowerBound)
        }
    }
}

/// Softmax cross-entropy over the vocabulary, its gradient written over the logits.
enum CrossEntropy {
    /// logits: [n][vocab] replaced by (softmax − onehot)·gradScale on labelled rows; losses, correct: [n].
    static func forwardBackward(_ logits: UnsafeMutablePointer<Float>, n: Int, vocab: Int, labels: UnsafePointer<Int32>,
                                gradScale: Float, losses: UnsafeMutablePointer<Float>, correct: UnsafeMutablePointer<UInt8>,
                                pool: ThreadPool) {
        pool.parallelFor(n) { rows in
            let o = rows.lowerBound
            tk_cross_entropy(logits + o * vocab, Int32(rows.count), Int32(vocab), labels + o, gradScale, losses + o, correct + o)
        }
    }
}

/// y += x, split over threads.
func addInPlace(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int, pool: ThreadPool) {
    pool.parallelFor(count, granularity: 64) { r in tk_axpy(y + r.lowerBound, x + r.lowerBound, r.count, 1) }
}
