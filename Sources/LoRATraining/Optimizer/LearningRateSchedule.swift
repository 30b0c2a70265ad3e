import Foundation

/// Learning rate over a run: linear warm-up from 0, then cosine or linear decay to 0, or constant.
/// The formulas are Hugging Face's `get_cosine_schedule_with_warmup` /
/// `get_linear_schedule_with_warmup` (the rate for update s uses s updates done so far).
public struct LearningRateSchedule: Sendable, Equatable, Codable {
    public enum Decay: String, Sendable, Codable, CaseIterable {
        case cosine, linear, constant
    }

    public var peak: Float
    public var warmupSteps: Int
    public var totalSteps: Int
    public var decay: Decay

    public init(peak: Float, warmupSteps: Int, totalSteps: Int, decay: Decay = .cosine) {
        self.peak = peak
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
        self.decay = decay
    }

    /// The rate for the update after `step` updates.
    public func rate(at step: Int) -> Float {
        if step < warmupSteps { return peak * Float(step) / Float(max(1, warmupSteps)) }
        switch decay {
        case .constant:
            return peak
        case .linear:
            return peak * max(0, Float(totalSteps - step) / Float(max(1, totalSteps - warmupSteps)))
        case .cosine:
            let progress = Double(step - warmupSteps) / Double(max(1, totalSteps - warmupSteps))
            return peak * Float(max(0, 0.5 * (1 + cos(Double.pi * 2 * 0.5 * progress))))
        }
    }
}
