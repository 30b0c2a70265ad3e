import OpenAIAPI

/// An uploaded file's record; its bytes live in `FileStorage` under the same id.
public struct StoredFile: Sendable, Equatable, Codable {
    /// `file-…`
    public var id: String
    /// The multipart filename as uploaded (never used as a path).
    public var filename: String
    /// The upload purpose as sent (`fine-tune`, `fine-tune-results`, ...).
    public var purpose: String
    /// Exact size on disk.
    public var bytes: Int
    /// Unix seconds.
    public var createdAt: Int
    public var status: FileStatus
    /// Why the file is in `error`, naming the first bad lines; nil otherwise.
    public var statusDetails: String?
    /// Lowercase hex SHA-256 of the bytes.
    public var sha256: String
    /// Non-blank lines of a validated training file; nil when not validated.
    public var exampleCount: Int?
    /// Unix seconds, nil when the file never expires.
    public var expiresAt: Int?

    public init(id: String, filename: String, purpose: String, bytes: Int, createdAt: Int, status: FileStatus,
                statusDetails: String? = nil, sha256: String, exampleCount: Int? = nil, expiresAt: Int? = nil) {
        self.id = id
        self.filename = filename
        self.purpose = purpose
        self.bytes = bytes
        self.createdAt = createdAt
        self.status = status
        self.statusDetails = statusDetails
        self.sha256 = sha256
        self.exampleCount = exampleCount
        self.expiresAt = expiresAt
    }
}

/// Where a fine-tuning job stands (API.md §6.3). `paused` is this server's addition.
public enum JobStatus: String, Sendable, Codable, CaseIterable {
    case validatingFiles = "validating_files"
    case queued, running, paused, succeeded, failed, cancelled

    /// Succeeded, failed and cancelled jobs never change again.
    public var isTerminal: Bool {
        switch self {
        case .succeeded, .failed, .cancelled: true
        case .validatingFiles, .queued, .running, .paused: false
        }
    }
}

/// The concrete hyperparameters a job trains with, fixed when it leaves `validating_files`.
public struct ResolvedJobHyperparameters: Sendable, Equatable, Codable {
    public var nEpochs: Int
    public var batchSize: Int
    public var learningRateMultiplier: Double
    /// The absolute learning rate: the engine's base rate times the multiplier.
    public var learningRate: Double
    /// Optimizer steps over the whole run.
    public var totalSteps: Int

    public init(nEpochs: Int, batchSize: Int, learningRateMultiplier: Double, learningRate: Double, totalSteps: Int) {
        self.nEpochs = nEpochs
        self.batchSize = batchSize
        self.learningRateMultiplier = learningRateMultiplier
        self.learningRate = learningRate
        self.totalSteps = totalSteps
    }
}

/// A fine-tuning job's record.
public struct StoredJob: Sendable, Equatable, Codable {
    /// `ftjob-…`
    public var id: String
    /// Unix seconds.
    public var createdAt: Int
    /// The base model id as requested.
    public var model: String
    public var status: JobStatus
    public var trainingFile: String
    public var validationFile: String?
    /// What the client asked for (keys left out or `"auto"` stay so).
    public var requested: FineTuningHyperparameters
    /// The values training uses; nil while `validating_files`.
    public var resolved: ResolvedJobHyperparameters?
    public var seed: Int
    public var suffix: String?
    public var metadata: [String: String]?
    public var integrations: [JSONValue]?
    /// The `ft:` name planned at creation; becomes `fineTunedModel` on success.
    public var modelName: String
    /// Set when the job succeeds.
    public var fineTunedModel: String?
    public var finishedAt: Int?
    public var trainedTokens: Int?
    public var error: FineTuningJobError?
    public var estimatedFinish: Int?
    /// Ids of result files (the metrics CSV).
    public var resultFiles: [String]
    /// True once `DELETE /v1/models/{fine_tuned_model}` removed the model; the job stays.
    public var modelDeleted: Bool
    /// The trainer's run folder.
    public var runDirectory: String
    /// Unix seconds when training first started.
    public var startedAt: Int?

    public init(id: String, createdAt: Int, model: String, status: JobStatus, trainingFile: String,
                validationFile: String? = nil, requested: FineTuningHyperparameters = FineTuningHyperparameters(),
                resolved: ResolvedJobHyperparameters? = nil, seed: Int, suffix: String? = nil,
                metadata: [String: String]? = nil, integrations: [JSONValue]? = nil, modelName: String,
                fineTunedModel: String? = nil, finishedAt: Int? = nil, trainedTokens: Int? = nil,
                error: FineTuningJobError? = nil, estimatedFinish: Int? = nil, resultFiles: [String] = [],
                modelDeleted: Bool = false, runDirectory: String, startedAt: Int? = nil) {
        self.id = id
        self.createdAt = createdAt
        self.model = model
        self.status = status
        self.trainingFile = trainingFile
        self.validationFile = validationFile
        self.requested = requested
        self.resolved = resolved
        self.seed = seed
        self.suffix = suffix
        self.metadata = metadata
        self.integrations = integrations
        self.modelName = modelName
        self.fineTunedModel = fineTunedModel
        self.finishedAt = finishedAt
        self.trainedTokens = trainedTokens
        self.error = error
        self.estimatedFinish = estimatedFinish
        self.resultFiles = resultFiles
        self.modelDeleted = modelDeleted
        self.runDirectory = runDirectory
        self.startedAt = startedAt
    }
}

/// One event of a job (`fine_tuning.job.event`). Events are never deleted.
public struct StoredEvent: Sendable, Equatable, Codable {
    /// `ftevent-…`
    public var id: String
    public var jobID: String
    /// Unix seconds.
    public var createdAt: Int
    /// `info`, `warn` or `error`.
    public var level: String
    public var message: String
    /// `message` or `metrics`.
    public var type: String
    /// For metrics events: `{"step": …, "train_loss": …, "total_steps": …, …}`.
    public var data: JSONValue?

    public init(id: String, jobID: String, createdAt: Int, level: String, message: String,
                type: String = "message", data: JSONValue? = nil) {
        self.id = id
        self.jobID = jobID
        self.createdAt = createdAt
        self.level = level
        self.message = message
        self.type = type
        self.data = data
    }
}

/// A saved checkpoint of a job, servable under `modelName`.
public struct StoredCheckpoint: Sendable, Equatable, Codable {
    /// `ftckpt-…`
    public var id: String
    public var jobID: String
    /// Unix seconds.
    public var createdAt: Int
    public var stepNumber: Int
    /// `<fine_tuned_model>:ckpt-step-<N>`.
    public var modelName: String
    public var metrics: CheckpointMetrics
    /// The checkpoint's adapter folder.
    public var path: String

    public init(id: String, jobID: String, createdAt: Int, stepNumber: Int, modelName: String,
                metrics: CheckpointMetrics, path: String) {
        self.id = id
        self.jobID = jobID
        self.createdAt = createdAt
        self.stepNumber = stepNumber
        self.modelName = modelName
        self.metrics = metrics
        self.path = path
    }
}

/// One page of a list: the items in list order and whether more follow.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    /// Exact: true only when at least one more item follows the last one.
    public var hasMore: Bool

    public init(items: [Item], hasMore: Bool) {
        self.items = items
        self.hasMore = hasMore
    }
}

extension Page: Equatable where Item: Equatable {}

/// What a store reports when it cannot do what was asked.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `after` names no item of the list (the server answers 400, param `after`).
    case unknownCursor(String)
    /// The id names no record (a job for events and checkpoints; a file to update).
    case notFound(String)
    /// The database failed or refused a write (e.g. a duplicate id).
    case database(String)
    /// A file or folder of `FileStorage` could not be read or written.
    case fileSystem(path: String, reason: String)

    public var description: String {
        switch self {
        case .unknownCursor(let id): "no item with id \(id) to continue the list after; use the id of an item in the list"
        case .notFound(let id): "no record with id \(id)"
        case .database(let message): "database error: \(message)"
        case .fileSystem(let path, let reason): "cannot use \(path): \(reason)"
        }
    }
}
