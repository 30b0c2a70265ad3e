import ArgumentParser
import FineTuningProviders
import LanguageModel
import LoRATraining
import TensorCore

/// A number or `auto` (finetune chooses from the model and the data).
enum Automatic<Value: LosslessStringConvertible & Sendable>: ExpressibleByArgument, Sendable {
    case auto
    case value(Value)

    init?(argument: String) {
        if argument.lowercased() == "auto" { self = .auto; return }
        guard let value = Value(argument) else { return nil }
        self = .value(value)
    }

    var value: Value? {
        if case .value(let value) = self { return value }
        return nil
    }

    var defaultValueDescription: String { "auto" }
}

/// The hyperparameters of `finetune train` (and of the server's local jobs later).
struct TrainingOptionsGroup: ParsableArguments {
    @Option(help: "Passes over the training data (a number or auto).")
    var epochs: Automatic<Int> = .auto

    @Option(name: .customLong("learning-rate"), help: "Peak learning rate (a number such as 1e-3, or auto).")
    var learningRate: Automatic<Float> = .auto

    @Option(name: .customLong("batch-size"), help: "Examples per optimizer step: a number, auto, or max (Together: the largest the model allows).")
    var batchSize: BatchSizeChoice = .auto

    @Option(name: .customLong("lora-rank"), help: "Rank of the LoRA adapters (default: 8 locally, the provider's default on Together).")
    var rank: Int?

    @Option(name: .customLong("lora-alpha"), help: "LoRA alpha; the update is scaled by alpha / rank (default: 2 × rank).")
    var alpha: Float?

    @Option(name: .customLong("lora-dropout"), help: "Dropout on the adapters' inputs while training.")
    var dropout: Float = 0.05

    @Option(name: .customLong("lora-targets"), help: "Layers to adapt, comma-separated: q,k,v,o,gate,up,down or all.")
    var targets = "all"

    @Option(name: .customLong("max-length"), help: "Longest example in tokens; longer ones are cut (default: 2048 or the model's context).")
    var maxLength: Int?

    @Option(name: .customLong("max-batch-tokens"), help: "Tokens per forward/backward pass; bigger steps accumulate gradients over passes.")
    var maxBatchTokens = 2048

    @Option(name: .customLong("warmup-ratio"), help: "Fraction of the steps spent warming the learning rate up from 0.")
    var warmupRatio: Float = 0.05

    @Option(help: "Learning-rate decay after warm-up: cosine, linear or constant.")
    var schedule: LearningRateSchedule.Decay = .cosine

    @Option(name: .customLong("weight-decay"), help: "AdamW's decoupled weight decay.")
    var weightDecay: Float = 0.01

    @Option(name: .customLong("max-grad-norm"), help: "Clip the gradient norm to this (0 turns clipping off).")
    var maxGradNorm: Float = 1

    @Option(help: "Random seed: the same seed, data, options and thread count repeat a run bit for bit.")
    var seed: UInt64 = 42

    @Flag(name: .customLong("train-on-inputs"), help: "Also train on system and user tokens (assistant messages with weight 0 stay untrained).")
    var trainOnInputs = false

    @Option(name: .customLong("eval-every"), help: "Validate every N steps (default: about ten times per run) and at the end.")
    var evalEvery: Int?

    @Option(name: .customLong("checkpoint-every"), help: "Checkpoint every N steps (default: about four times per run) and at the end.")
    var checkpointEvery: Int?

    @Option(help: "Frozen-weight products in fp32 or bf16 (default: bf16 where the CPU has native bf16 instructions).")
    var precision: MatrixPrecision = .bestAvailable

    func validate() throws {
        if let rank, rank < 1 { throw ValidationError("--lora-rank must be at least 1.") }
        guard LoRATargetList.parse(targets) != nil else {
            throw ValidationError("--lora-targets: '\(targets)' names no layer; use q,k,v,o,gate,up,down or all.")
        }
        guard maxGradNorm >= 0 else { throw ValidationError("--max-grad-norm must be 0 (off) or more.") }
        guard warmupRatio >= 0, warmupRatio < 1 else { throw ValidationError("--warmup-ratio must be in [0, 1).") }
        guard weightDecay >= 0 else { throw ValidationError("--weight-decay must be 0 or more.") }
    }

    var options: TrainingOptions {
        var options = TrainingOptions()
        options.epochs = epochs.value
        options.learningRate = learningRate.value
        if case .count(let count) = batchSize { options.batchSize = count }
        options.maxLength = maxLength
        options.maxBatchTokens = maxBatchTokens
        options.warmupRatio = warmupRatio
        options.decay = schedule
        options.weightDecay = weightDecay
        options.maxGradNorm = maxGradNorm > 0 ? maxGradNorm : nil
        options.seed = seed
        options.trainOnInputs = trainOnInputs
        options.evalEvery = evalEvery
        options.checkpointEvery = checkpointEvery
        options.precision = precision
        options.lora = LoRAConfiguration(rank: rank ?? 8, alpha: alpha, dropout: dropout, targets: LoRATargetList.parse(targets) ?? LoRATarget.allCases)
        return options
    }
}

enum LoRATargetList {
    static func parse(_ text: String) -> [LoRATarget]? {
        var targets: Set<LoRATarget> = []
        for name in text.split(separator: ",") {
            guard let parsed = LoRATarget.parse(String(name)) else { return nil }
            targets.formUnion(parsed)
        }
        return targets.isEmpty ? nil : targets.sorted()
    }
}

extension LearningRateSchedule.Decay: ExpressibleByArgument {}

extension BatchSizeChoice: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
    public var defaultValueDescription: String { description }
}
