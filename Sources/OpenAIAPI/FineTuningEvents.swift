/// A job event (`object: "fine_tuning.job.event"`); `data` is emitted as `null` when absent.
public struct FineTuningJobEvent: Codable, Sendable, Equatable, Identifiable {
    public var id: String
    public var object: String
    /// Unix seconds.
    public var createdAt: Int
    /// `info`, `warn` or `error`.
    public var level: String
    public var message: String
    /// `message` or `metrics`.
    public var type: String
    /// For metrics events: `{step, train_loss, total_steps, ...}`.
    public var data: JSONValue?

    public init(
        id: String, object: String = "fine_tuning.job.event", createdAt: Int, level: String = "info",
        message: String, type: String = "message", data: JSONValue? = nil
    ) {
        self.id = id
        self.object = object
        self.createdAt = createdAt
        self.level = level
        self.message = message
        self.type = type
        self.data = data
    }

    enum CodingKeys: String, CodingKey {
        case id, object, level, message, type, data
        case createdAt = "created_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(object, forKey: .object)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(level, forKey: .level)
        try container.encode(message, forKey: .message)
        try container.encode(type, forKey: .type)
        try container.encode(data, forKey: .data)
    }
}

/// A saved checkpoint (`object: "fine_tuning.job.checkpoint"`).
public struct FineTuningCheckpoint: Codable, Sendable, Equatable, Identifiable {
    public var id: String
    public var object: String
    /// Unix seconds.
    public var createdAt: Int
    /// `<fine_tuned_model>:ckpt-step-<N>`.
    public var fineTunedModelCheckpoint: String
    public var fineTuningJobID: String
    public var stepNumber: Int
    public var metrics: CheckpointMetrics

    public init(
        id: String, object: String = "fine_tuning.job.checkpoint", createdAt: Int, fineTunedModelCheckpoint: String,
        fineTuningJobID: String, stepNumber: Int, metrics: CheckpointMetrics
    ) {
        self.id = id
        self.object = object
        self.createdAt = createdAt
        self.fineTunedModelCheckpoint = fineTunedModelCheckpoint
        self.fineTuningJobID = fineTuningJobID
        self.stepNumber = stepNumber
        self.metrics = metrics
    }

    enum CodingKeys: String, CodingKey {
        case id, object, metrics
        case createdAt = "created_at"
        case fineTunedModelCheckpoint = "fine_tuned_model_checkpoint"
        case fineTuningJobID = "fine_tuning_job_id"
        case stepNumber = "step_number"
    }
}

/// A checkpoint's metrics; every key emitted, `null` when not measured.
public struct CheckpointMetrics: Codable, Sendable, Equatable {
    public var step: Double?
    public var trainLoss: Double?
    public var trainMeanTokenAccuracy: Double?
    public var validLoss: Double?
    public var validMeanTokenAccuracy: Double?
    public var fullValidLoss: Double?
    public var fullValidMeanTokenAccuracy: Double?

    public init(
        step: Double? = nil, trainLoss: Double? = nil, trainMeanTokenAccuracy: Double? = nil, validLoss: Double? = nil,
        validMeanTokenAccuracy: Double? = nil, fullValidLoss: Double? = nil, fullValidMeanTokenAccuracy: Double? = nil
    ) {
        self.step = step
        self.trainLoss = trainLoss
        self.trainMeanTokenAccuracy = trainMeanTokenAccuracy
        self.validLoss = validLoss
        self.validMeanTokenAccuracy = validMeanTokenAccuracy
        self.fullValidLoss = fullValidLoss
        self.fullValidMeanTokenAccuracy = fullValidMeanTokenAccuracy
    }

    enum CodingKeys: String, CodingKey {
        case step
        case trainLoss = "train_loss"
        case trainMeanTokenAccuracy = "train_mean_token_accuracy"
        case validLoss = "valid_loss"
        case validMeanTokenAccuracy = "valid_mean_token_accuracy"
        case fullValidLoss = "full_valid_loss"
        case fullValidMeanTokenAccuracy = "full_valid_mean_token_accuracy"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(step, forKey: .step)
        try container.encode(trainLoss, forKey: .trainLoss)
        try container.encode(trainMeanTokenAccuracy, forKey: .trainMeanTokenAccuracy)
        try container.encode(validLoss, forKey: .validLoss)
        try container.encode(validMeanTokenAccuracy, forKey: .validMeanTokenAccuracy)
        try container.encode(fullValidLoss, forKey: .fullValidLoss)
        try container.encode(fullValidMeanTokenAccuracy, forKey: .fullValidMeanTokenAccuracy)
    }
}
