import Foundation
import TensorCore

/// What a user asks of a training run. `nil` means "choose for me" (see `resolve`).
public struct TrainingOptions: Sendable, Equatable, Codable {
    public var epochs: Int?
    public var learningRate: Float?
    /// Examples per optimizer step.
    public var batchSize: Int?
    /// Tokens per forward/backward pass at most; larger steps accumulate gradients over passes.
    public var maxBatchTokens: Int = 2048
    /// Longest example in tokens; longer ones are cut (and counted).
    public var maxLength: Int?
    public var warmupRatio: Float = 0.05
    public var decay: LearningRateSchedule.Decay = .cosine
    public var weightDecay: Float = 0.01
    /// Clip the global gradient norm to this (nil: no clipping).
    public var maxGradNorm: Float? = 1.0
    public var seed: UInt64 = 42
    public var trainOnInputs: Bool = false
    /// Validation every N steps (nil: about ten times per run) and at the end.
    public var evalEvery: Int?
    /// Checkpoint every N steps (nil: about four times per run) and at the end.
    public var checkpointEvery: Int?
    /// Checkpoints kept (the newest).
    public var keepCheckpoints: Int = 2
    public var precision: MatrixPrecision = .bestAvailable
    public var lora = LoRAConfiguration()

    public init() {}
}

/// The values a run uses, after `auto` choices; printed at the start and saved with the run.
public struct ResolvedHyperparameters: Sendable, Equatable, Codable {
    public var epochs: Int
    public var learningRate: Float
    public var batchSize: Int
    public var stepsPerEpoch: Int
    public var totalSteps: Int
    public var warmupSteps: Int
    public var evalEvery: Int
    public var checkpointEvery: Int
    public var maxLength: Int
    /// Which of epochs, learning rate and batch size were chosen automatically.
    public var automatic: [String]
}

extension TrainingOptions {
    /// The learning rate `auto` starts from for a model of `parameters` weights, before the
    /// batch scale: 1e-3 below 1B parameters, 5e-4 up to 10B, 2e-4 beyond.
    public static func baseLearningRate(parameters: Int) -> Float {
        parameters < 1_000_000_000 ? 1e-3 : parameters < 10_000_000_000 ? 5e-4 : 2e-4
    }

    /// How `auto` scales the base rate with the batch: √(batch / 8), at most 1.5.
    public static func batchScale(batchSize: Int) -> Float { min(1.5, (Float(batchSize) / 8).squareRoot()) }

    /// Fills in what the user left to `auto`, from the dataset size and the model size, the way
    /// OpenAI's fine-tuning API does for epochs (about 3, more for tiny datasets, fewer for huge
    /// ones) and with learning rates that train LoRA adapters on small models without tuning:
    /// 1e-3 below 1B parameters, 5e-4 up to 10B, 2e-4 beyond, scaled by √(batch / 8) (at most 1.5×).
    /// - Parameters:
    ///   - examples: training examples.
    ///   - parameters: the base model's parameter count.
    ///   - contextLength: the model's context (caps the maximum length).
    public func resolve(examples: Int, parameters: Int, contextLength: Int) throws(TrainingError) -> ResolvedHyperparameters {
        guard examples > 0 else { throw .invalidHyperparameter(name: "training data", message: "no examples to train on") }
        var automatic: [String] = []
        let batch: Int
        if let batchSize {
            guard batchSize > 0 else { throw .invalidHyperparameter(name: "--batch-size", message: "must be at least 1 (or auto)") }
            batch = min(batchSize, examples)
        } else {
            automatic.append("batch_size")
            var size = 1
            while size * 64 < examples { size *= 2 }      // about 1/64 of the data, a power of two
            batch = min(examples, max(4, min(32, size)))
        }
        let epochCount: Int
        if let epochs {
            guard epochs > 0 else { throw .invalidHyperparameter(name: "--epochs", message: "must be at least 1 (or auto)") }
            epochCount = epochs
        } else {
            automatic.append("n_epochs")
            if examples * 3 < 100 { epochCount = min(25, (100 + examples - 1) / examples) }
            else if examples * 3 > 25_000 { epochCount = max(1, 25_000 / examples) }
            else { epochCount = 3 }
        }
        let rate: Float
        if let learningRate {
            guard learningRate > 0, learningRate.isFinite, learningRate < 1 else {
                throw .invalidHyperparameter(name: "--learning-rate", message: "must be a positive number below 1, e.g. 1e-3 (or auto)")
            }
            rate = learningRate
        } else {
            automatic.append("learning_rate")
            rate = Self.baseLearningRate(parameters: parameters) * Self.batchScale(batchSize: batch)
        }
        guard lora.rank > 0, lora.rank <= 256 else { throw .invalidHyperparameter(name: "--lora-rank", message: "must be between 1 and 256") }
        guard lora.dropout >= 0, lora.dropout < 1 else { throw .invalidHyperparameter(name: "--lora-dropout", message: "must be in [0, 1)") }
        guard !lora.targets.isEmpty else { throw .invalidHyperparameter(name: "--lora-targets", message: "name at least one layer (q,k,v,o,gate,up,down or all)") }
        guard maxBatchTokens >= 16 else { throw .invalidHyperparameter(name: "--max-batch-tokens", message: "must be at least 16") }
        let length = min(maxLength ?? 2048, contextLength)
        guard length >= 8 else { throw .invalidHyperparameter(name: "--max-length", message: "must be at least 8 tokens") }
        let stepsPerEpoch = (examples + batch - 1) / batch
        let total = stepsPerEpoch * epochCount
        let warmup = warmupRatio > 0 ? max(1, Int((Float(total) * warmupRatio).rounded())) : 0
        if let evalEvery, evalEvery < 1 { throw .invalidHyperparameter(name: "--eval-every", message: "must be at least 1 step") }
        if let checkpointEvery, checkpointEvery < 1 { throw .invalidHyperparameter(name: "--checkpoint-every", message: "must be at least 1 step") }
        return ResolvedHyperparameters(
            epochs: epochCount, learningRate: rate, batchSize: batch, stepsPerEpoch: stepsPerEpoch, totalSteps: total,
            warmupSteps: min(warmup, total), evalEvery: evalEvery ?? max(1, total / 10),
            checkpointEvery: checkpointEvery ?? max(1, total / 4), maxLength: length, automatic: automatic)
    }
}
