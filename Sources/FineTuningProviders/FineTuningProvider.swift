import Foundation
import OpenAIAPI

/// Where a fine-tune runs: this machine's engine, OpenAI, or Together.
public enum ProviderKind: String, Sendable, Codable, CaseIterable {
    case local, openai, together

    /// The provider's name for messages.
    public var displayName: String {
        switch self {
        case .local: "the local engine"
        case .openai: "OpenAI"
        case .together: "Together"
        }
    }

    /// The environment variable holding the API key (none for the in-process local engine).
    public var apiKeyVariable: String {
        switch self {
        case .local: "FINETUNE_API_KEY"
        case .openai: "OPENAI_API_KEY"
        case .together: "TOGETHER_API_KEY"
        }
    }

    /// The environment variable that overrides the base URL.
    public var baseURLVariable: String {
        switch self {
        case .local: "FINETUNE_BASE_URL"
        case .openai: "OPENAI_BASE_URL"
        case .together: "TOGETHER_BASE_URL"
        }
    }

    /// The provider's own API (a `finetune serve` for `local`, which speaks OpenAI's API).
    /// OpenAI's base URL ends in `/v1`; Together's does not (its paths start with `/v1`).
    public var defaultBaseURL: URL {
        switch self {
        case .local: URL(string: "http://127.0.0.1:8089/v1")!
        case .openai: URL(string: "https://api.openai.com/v1")!
        case .together: URL(string: "https://api.together.xyz")!
        }
    }
}

/// `--batch-size N|max|auto`.
public enum BatchSizeChoice: Sendable, Equatable, Codable, CustomStringConvertible {
    /// The provider chooses.
    case auto
    /// The largest the provider allows for the model (Together's `"max"`).
    case max
    case count(Int)

    public init?(_ text: String) {
        switch text.lowercased() {
        case "auto": self = .auto
        case "max": self = .max
        default:
            guard let count = Int(text), count >= 1 else { return nil }
            self = .count(count)
        }
    }

    public var description: String {
        switch self {
        case .auto: "auto"
        case .max: "max"
        case .count(let count): String(count)
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let count = try? container.decode(Int.self) { self = .count(count); return }
        let text = try container.decode(String.self)
        guard let value = BatchSizeChoice(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "batch size must be a number, \"max\" or \"auto\"")
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .count(let count): try container.encode(count)
        default: try container.encode(description)
        }
    }
}

/// LoRA settings for providers that offer them (Together; the local engine always trains LoRA).
public struct LoRARequest: Sendable, Equatable, Codable {
    public var rank: Int?
    public var alpha: Double?
    public var dropout: Double?
    /// Module names, e.g. `["q_proj", "v_proj"]`, or `["all-linear"]`; nil = the provider's default.
    public var targetModules: [String]?

    public init(rank: Int? = nil, alpha: Double? = nil, dropout: Double? = nil, targetModules: [String]? = nil) {
        self.rank = rank
        self.alpha = alpha
        self.dropout = dropout
        self.targetModules = targetModules
    }
}

/// Experiment tracking with Weights & Biases: OpenAI's `integrations`, Together's `wandb_*` fields.
public struct WandbRequest: Sendable, Equatable, Codable {
    public var project: String
    public var name: String?
    public var entity: String?
    /// Together needs the key itself (`wandb_api_key`); OpenAI uses the key stored in the organization.
    public var apiKey: String?

    public init(project: String, name: String? = nil, entity: String? = nil, apiKey: String? = nil) {
        self.project = project
        self.name = name
        self.entity = entity
        self.apiKey = apiKey
    }
}

/// What to fine-tune: the provider-neutral form of a create request.
public struct JobRequest: Sendable, Equatable {
    /// The base model, in the provider's naming.
    public var model: String
    /// The uploaded training file's id (`RemoteFile.id`).
    public var trainingFile: String
    public var validationFile: String?
    public var epochs: Int?
    /// An absolute learning rate (the local engine, Together).
    public var learningRate: Double?
    /// A multiplier of the provider's own rate (OpenAI, `finetune serve`).
    public var learningRateMultiplier: Double?
    public var batchSize: BatchSizeChoice
    /// nil: the provider's default (LoRA on Together, full fine-tuning on OpenAI).
    public var lora: LoRARequest?
    /// Whether to fine-tune with LoRA where the provider lets you choose (Together); nil = its default.
    public var useLoRA: Bool?
    public var suffix: String?
    public var seed: Int?
    public var wandb: WandbRequest?
    public var metadata: [String: String]
    /// A fresh id per `finetune train` or `jobs create`: sent as `Idempotency-Key`, and (OpenAI-style
    /// providers) as metadata `finetune_request_id`, so a create retried after a lost response finds the
    /// job the first attempt made instead of making a second one.
    public var requestID: String

    public init(model: String, trainingFile: String, validationFile: String? = nil, epochs: Int? = nil,
                learningRate: Double? = nil, learningRateMultiplier: Double? = nil, batchSize: BatchSizeChoice = .auto,
                lora: LoRARequest? = nil, useLoRA: Bool? = nil, suffix: String? = nil, seed: Int? = nil,
                wandb: WandbRequest? = nil, metadata: [String: String] = [:], requestID: String = UUID().uuidString.lowercased()) {
        self.model = model
        self.trainingFile = trainingFile
        self.validationFile = validationFile
        self.epochs = epochs
        self.learningRate = learningRate
        self.learningRateMultiplier = learningRateMultiplier
        self.batchSize = batchSize
        self.lora = lora
        self.useLoRA = useLoRA
        self.suffix = suffix
        self.seed = seed
        self.wandb = wandb
        self.metadata = metadata
        self.requestID = requestID
    }
}

/// A job's state, the same words on every provider.
public enum JobStatus: String, Sendable, Codable, CaseIterable {
    case validating, queued, running, paused, succeeded, failed, cancelled

    /// Succeeded, failed and cancelled never change again.
    public var isTerminal: Bool { self == .succeeded || self == .failed || self == .cancelled }

    /// OpenAI's (and `finetune serve`'s) status words.
    public init(openAI status: String) {
        switch status {
        case "validating_files": self = .validating
        case "queued": self = .queued
        case "running": self = .running
        case "paused": self = .paused
        case "succeeded": self = .succeeded
        case "failed": self = .failed
        case "cancelled": self = .cancelled
        default: self = .running
        }
    }

    /// Together's status words (API.md §9): pending, queued, running, compressing, uploading,
    /// cancel_requested, cancelled, error, user_error, completed.
    public init(together status: String) {
        switch status {
        case "pending": self = .validating
        case "queued": self = .queued
        case "running", "compressing", "uploading", "cancel_requested": self = .running
        case "cancelled": self = .cancelled
        case "error", "user_error": self = .failed
        case "completed": self = .succeeded
        default: self = .running
        }
    }
}

/// Why a job failed, as the provider said it.
public struct JobFailure: Sendable, Equatable, Codable {
    public var code: String?
    public var message: String

    public init(code: String?, message: String) {
        self.code = code
        self.message = message
    }
}

/// One look at a job.
public struct JobSnapshot: Sendable, Equatable, Codable {
    public var id: String
    public var status: JobStatus
    /// The provider's own word for the status (`validating_files`, `compressing`, …).
    public var providerStatus: String
    /// The base model.
    public var model: String
    /// The model to chat with once the job succeeded (OpenAI's `fine_tuned_model`, Together's `model_output_name`).
    public var fineTunedModel: String?
    public var createdAt: Date?
    public var finishedAt: Date?
    public var estimatedFinish: Date?
    public var trainingFile: String?
    public var validationFile: String?
    /// The hyperparameters as the provider resolved them (`n_epochs`, `batch_size`, `learning_rate_multiplier`
    /// or `learning_rate`, `lora`, …).
    public var hyperparameters: [String: JSONValue]
    public var trainedTokens: Int?
    public var error: JobFailure?
    /// What the provider charged, in US dollars, where it says so.
    public var costUSD: Double?
    public var seed: Int?
    public var suffix: String?

    public init(id: String, status: JobStatus, providerStatus: String, model: String, fineTunedModel: String? = nil,
                createdAt: Date? = nil, finishedAt: Date? = nil, estimatedFinish: Date? = nil, trainingFile: String? = nil,
                validationFile: String? = nil, hyperparameters: [String: JSONValue] = [:], trainedTokens: Int? = nil,
                error: JobFailure? = nil, costUSD: Double? = nil, seed: Int? = nil, suffix: String? = nil) {
        self.id = id
        self.status = status
        self.providerStatus = providerStatus
        self.model = model
        self.fineTunedModel = fineTunedModel
        self.createdAt = createdAt
        self.finishedAt = finishedAt
        self.estimatedFinish = estimatedFinish
        self.trainingFile = trainingFile
        self.validationFile = validationFile
        self.hyperparameters = hyperparameters
        self.trainedTokens = trainedTokens
        self.error = error
        self.costUSD = costUSD
        self.seed = seed
        self.suffix = suffix
    }

    enum CodingKeys: String, CodingKey {
        case id, status, model, hyperparameters, error, seed, suffix
        case providerStatus = "provider_status"
        case fineTunedModel = "fine_tuned_model"
        case createdAt = "created_at"
        case finishedAt = "finished_at"
        case estimatedFinish = "estimated_finish"
        case trainingFile = "training_file"
        case validationFile = "validation_file"
        case trainedTokens = "trained_tokens"
        case costUSD = "cost_usd"
    }
}

/// Training figures at one step. Every field but `step` is optional: providers report different sets.
public struct MetricPoint: Sendable, Equatable, Codable {
    public var step: Int
    public var totalSteps: Int?
    public var epoch: Double?
    public var trainLoss: Double?
    public var trainAccuracy: Double?
    public var validLoss: Double?
    public var validAccuracy: Double?
    public var fullValidLoss: Double?
    public var fullValidAccuracy: Double?
    public var learningRate: Double?

    public init(step: Int, totalSteps: Int? = nil, epoch: Double? = nil, trainLoss: Double? = nil, trainAccuracy: Double? = nil,
                validLoss: Double? = nil, validAccuracy: Double? = nil, fullValidLoss: Double? = nil,
                fullValidAccuracy: Double? = nil, learningRate: Double? = nil) {
        self.step = step
        self.totalSteps = totalSteps
        self.epoch = epoch
        self.trainLoss = trainLoss
        self.trainAccuracy = trainAccuracy
        self.validLoss = validLoss
        self.validAccuracy = validAccuracy
        self.fullValidLoss = fullValidLoss
        self.fullValidAccuracy = fullValidAccuracy
        self.learningRate = learningRate
    }

    enum CodingKeys: String, CodingKey {
        case step, epoch
        case totalSteps = "total_steps"
        case trainLoss = "train_loss"
        case trainAccuracy = "train_mean_token_accuracy"
        case validLoss = "valid_loss"
        case validAccuracy = "valid_mean_token_accuracy"
        case fullValidLoss = "full_valid_loss"
        case fullValidAccuracy = "full_valid_mean_token_accuracy"
        case learningRate = "learning_rate"
    }

    /// The validation loss to show: the full pass where there is one, else the batch's.
    public var bestValidLoss: Double? { fullValidLoss ?? validLoss }

    /// This step's figures with `newer`'s filled in: the fields `newer` has replace these, the others stay
    /// (a step's training and validation figures may arrive in separate events).
    public func merging(_ newer: MetricPoint) -> MetricPoint {
        var merged = self
        merged.totalSteps = newer.totalSteps ?? totalSteps
        merged.epoch = newer.epoch ?? epoch
        merged.trainLoss = newer.trainLoss ?? trainLoss
        merged.trainAccuracy = newer.trainAccuracy ?? trainAccuracy
        merged.validLoss = newer.validLoss ?? validLoss
        merged.validAccuracy = newer.validAccuracy ?? validAccuracy
        merged.fullValidLoss = newer.fullValidLoss ?? fullValidLoss
        merged.fullValidAccuracy = newer.fullValidAccuracy ?? fullValidAccuracy
        merged.learningRate = newer.learningRate ?? learningRate
        return merged
    }
}

/// One entry of a job's event log.
public struct JobEvent: Sendable, Equatable, Codable, Identifiable {
    /// Unique within the job (providers without ids get one derived from time and text).
    public var id: String
    public var createdAt: Date
    /// `info`, `warn` or `error`.
    public var level: String
    public var message: String
    /// Set on metrics events.
    public var metrics: MetricPoint?

    public init(id: String, createdAt: Date, level: String, message: String, metrics: MetricPoint? = nil) {
        self.id = id
        self.createdAt = createdAt
        self.level = level
        self.message = message
        self.metrics = metrics
    }

    enum CodingKeys: String, CodingKey {
        case id, level, message, metrics
        case createdAt = "created_at"
    }
}

/// An uploaded file.
public struct RemoteFile: Sendable, Equatable, Codable {
    public var id: String
    public var filename: String
    public var bytes: Int
    /// `processed`, `error`, … (the provider's word), nil where it has none.
    public var status: String?
    public var statusDetails: String?

    public init(id: String, filename: String, bytes: Int, status: String? = nil, statusDetails: String? = nil) {
        self.id = id
        self.filename = filename
        self.bytes = bytes
        self.status = status
        self.statusDetails = statusDetails
    }

    enum CodingKeys: String, CodingKey {
        case id, filename, bytes, status
        case statusDetails = "status_details"
    }
}

/// A saved checkpoint of a job.
public struct RemoteCheckpoint: Sendable, Equatable, Codable {
    public var id: String
    public var step: Int
    /// A model name to chat with, where the provider serves checkpoints (OpenAI: `…:ckpt-step-N`).
    public var model: String?
    /// Where the provider keeps it, where it says (Together's `path`).
    public var path: String?
    public var createdAt: Date?
    public var metrics: MetricPoint?

    public init(id: String, step: Int, model: String? = nil, path: String? = nil, createdAt: Date? = nil, metrics: MetricPoint? = nil) {
        self.id = id
        self.step = step
        self.model = model
        self.path = path
        self.createdAt = createdAt
        self.metrics = metrics
    }

    enum CodingKeys: String, CodingKey {
        case id, step, model, path, metrics
        case createdAt = "created_at"
    }
}

/// A model the provider serves.
public struct RemoteModel: Sendable, Equatable, Codable {
    public var id: String
    public var ownedBy: String?
    public var createdAt: Date?
    /// Made by fine-tuning (an `ft:` name on OpenAI).
    public var isFineTuned: Bool

    public init(id: String, ownedBy: String? = nil, createdAt: Date? = nil, isFineTuned: Bool) {
        self.id = id
        self.ownedBy = ownedBy
        self.createdAt = createdAt
        self.isFineTuned = isFineTuned
    }

    enum CodingKeys: String, CodingKey {
        case id
        case ownedBy = "owned_by"
        case createdAt = "created_at"
        case isFineTuned = "is_fine_tuned"
    }
}

/// A backend that fine-tunes: the same calls on the local engine, OpenAI and Together.
///
/// Every method throws `ProviderError`, whose description says what went wrong and what to do.
public protocol FineTuningProvider: Sendable {
    var kind: ProviderKind { get }
    /// Where it is, for messages and run records (a URL, or "this process").
    var location: String { get }

    /// Uploads a chat JSONL file for fine-tuning and waits until the provider has processed it; a file the
    /// provider rejects throws `ProviderError.fileRejected` with its reason.
    func upload(_ file: URL, progress: (@Sendable (Int, Int) -> Void)?) async throws -> RemoteFile
    /// What the provider would charge for `request`, in US dollars, where it quotes prices (Together); nil otherwise.
    func quote(_ request: JobRequest) async throws -> Double?
    /// Creates the job. Retried creates are idempotent (see `JobRequest.requestID`).
    func createJob(_ request: JobRequest) async throws -> JobSnapshot
    func job(_ id: String) async throws -> JobSnapshot
    /// Newest first, at most `limit`.
    func jobs(limit: Int) async throws -> [JobSnapshot]
    /// The job's events after the one with id `after` (all of them when nil), **oldest first**.
    func events(_ id: String, after: String?) async throws -> [JobEvent]
    func cancel(_ id: String) async throws -> JobSnapshot
    /// Throws `ProviderError.unsupported` where the provider cannot pause.
    func pause(_ id: String) async throws -> JobSnapshot
    func resume(_ id: String) async throws -> JobSnapshot
    /// Newest (highest step) first.
    func checkpoints(_ id: String) async throws -> [RemoteCheckpoint]
    /// Every model the provider lists (`isFineTuned` tells the fine-tuned ones).
    func models() async throws -> [RemoteModel]
}
