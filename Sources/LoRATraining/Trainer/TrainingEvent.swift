import Foundation

/// One optimizer step's figures (a line of `metrics.jsonl`).
public struct StepMetrics: Sendable, Equatable, Codable {
    public var step: Int
    public var totalSteps: Int
    public var epoch: Double
    public var trainLoss: Double
    public var trainAccuracy: Double
    public var learningRate: Double
    public var gradientNorm: Double
    public var tokens: Int
    public var trainedTokens: Int
    public var tokensPerSecond: Double
    public var elapsedSeconds: Double
    public var etaSeconds: Double

    enum CodingKeys: String, CodingKey {
        case step, epoch
        case totalSteps = "total_steps"
        case trainLoss = "train_loss"
        case trainAccuracy = "train_mean_token_accuracy"
        case learningRate = "learning_rate"
        case gradientNorm = "grad_norm"
        case tokens
        case trainedTokens = "trained_tokens"
        case tokensPerSecond = "tokens_per_second"
        case elapsedSeconds = "elapsed_seconds"
        case etaSeconds = "eta_seconds"
    }
}

/// A validation pass's figures (a line of `metrics.jsonl` with `valid_loss`).
public struct ValidationMetrics: Sendable, Equatable, Codable {
    public var step: Int
    public var validLoss: Double
    public var validAccuracy: Double
    public var tokens: Int
    public var seconds: Double

    enum CodingKeys: String, CodingKey {
        case step, tokens, seconds
        case validLoss = "valid_loss"
        case validAccuracy = "valid_mean_token_accuracy"
    }
}

/// What a run reports while it works; the CLI draws it, the server stores it as job events.
public enum TrainingEvent: Sendable {
    /// Data read and encoded, hyperparameters resolved; training is about to start.
    case started(TrainingPlanSummary)
    case step(StepMetrics)
    case validation(ValidationMetrics)
    case checkpoint(step: Int, path: String)
    /// A long job's progress that isn't a step (e.g. validation batches, export).
    case message(String)
}

/// What the run is about to do, for the first lines a user sees.
public struct TrainingPlanSummary: Sendable, Equatable, Codable {
    public var hyperparameters: ResolvedHyperparameters
    public var trainExamples: Int
    public var validExamples: Int
    public var trainTokens: Int
    public var trainedTokens: Int
    public var truncatedExamples: Int
    public var skippedExamples: Int
    public var adapterParameters: Int
    public var precision: String
    public var threads: Int
    public var resumedFromStep: Int?
    public var estimatedMemoryBytes: Int
}
