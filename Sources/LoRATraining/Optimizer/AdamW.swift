import Foundation

/// AdamW (Loshchilov & Hutter 2019, "Decoupled Weight Decay Regularization") over a flat
/// parameter buffer, computed as `torch.optim.AdamW` does (decay first, then the bias-corrected
/// Adam step with eps added after the square root).
public struct AdamW: Sendable {
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-8
    public var weightDecay: Float
    /// First and second moments. [P] each.
    public private(set) var m: [Float]
    public private(set) var v: [Float]
    /// Updates applied so far.
    public private(set) var step: Int = 0

    public init(parameterCount: Int, weightDecay: Float = 0.01) {
        self.weightDecay = weightDecay
        m = [Float](repeating: 0, count: parameterCount)
        v = m
    }

    /// Restores saved moments (checkpoints).
    public init(m: [Float], v: [Float], step: Int, weightDecay: Float) {
        precondition(m.count == v.count, "moment sizes")
        self.m = m
        self.v = v
        self.step = step
        self.weightDecay = weightDecay
    }

    /// One update of `parameters` with `gradients` at learning rate `rate`.
    mutating func update(_ parameters: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>, count: Int, rate: Float) {
        precondition(count == m.count, "parameter count")
        step += 1
        let b1 = beta1, b2 = beta2, eps = epsilon, decay = 1 - rate * weightDecay
        let correction1 = 1 - powf(b1, Float(step)), correction2 = (1 - powf(b2, Float(step))).squareRoot()
        let stepSize = rate / correction1
        m.withUnsafeMutableBufferPointer { m in
            v.withUnsafeMutableBufferPointer { v in
                for i in 0..<count {
                    let g = gradients[i]
                    parameters[i] *= decay
                    m[i] += (g - m[i]) * (1 - b1)
                    v[i] = v[i] * b2 + (1 - b2) * g * g
                    let denominator = v[i].squareRoot() / correction2 + eps
                    parameters[i] -= stepSize * m[i] / denominator
                }
            }
        }
    }
}

/// Clips gradients to a maximum global L2 norm, as `torch.nn.utils.clip_grad_norm_` does.
/// - Returns: the norm before clipping.
@discardableResult
func clipGradients(_ gradients: UnsafeMutablePointer<Float>, count: Int, maxNorm: Float?) -> Double {
    var sum = 0.0
    for i in 0..<count { sum += Double(gradients[i]) * Double(gradients[i]) }
    let norm = sum.squareRoot()
    if let maxNorm, maxNorm > 0, norm.isFinite {
        let coefficient = Float(Double(maxNorm) / (norm + 1e-6))
        if coefficient < 1 { for i in 0..<count { gradients[i] *= coefficient } }
    }
    return norm
}
