/// A fine-tuning job (`object: "fine_tuning.job"`). Every key is always emitted, nil as `null`.
public struct FineTuningJob: Codable, Sendable, Equatable, Identifiable {
    public var id: String
    public var object: String
    /// Unix seconds.
    public var createdAt: Int
    /// The base model id as requested.
    public var model: String
    public var organizationID: String
    /// `validating_files`, `queued`, `running`, `paused`, `succeeded`, `failed` or `cancelled`.
    public var status: String
    public var trainingFile: String
    public var validationFile: String?
    /// Concrete numbers once the job has left `validating_files`.
    public var hyperparameters: JobHyperparameters
    /// Mirrors `hyperparameters`.
    public var method: JobMethod
    public var seed: Int
    /// `[]` until the job succeeds; then the results CSV file id.
    public var resultFiles: [String]
    /// The `ft:` model name, set on success.
    public var fineTunedModel: String?
    /// Unix seconds, set when the job becomes terminal.
    public var finishedAt: Int?
    public var trainedTokens: Int?
    /// Set when the job failed.
    public var error: FineTuningJobError?
    /// Unix seconds, while running.
    public var estimatedFinish: Int?
    public var integrations: [JSONValue]?
    public var metadata: [String: String]?
    public var userProvidedSuffix: String?

    public init(
        id: String, object: String = "fine_tuning.job", createdAt: Int, model: String, organizationID: String,
        status: String, trainingFile: String, validationFile: String? = nil, hyperparameters: JobHyperparameters,
        method: JobMethod? = nil, seed: Int, resultFiles: [String] = [], fineTunedModel: String? = nil,
        finishedAt: Int? = nil, trainedTokens: Int? = nil, error: FineTuningJobError? = nil,
        estimatedFinish: Int? = nil, integrations: [JSONValue]? = nil, metadata: [String: String]? = nil,
        userProvidedSuffix: String? = nil
    ) {
        self.id = id
        self.object = object
        self.createdAt = createdAt
        self.model = model
        self.organizationID = organizationID
        self.status = status
        self.trainingFile = trainingFile
        self.validationFile = validationFile
        self.hyperparameters = hyperparameters
        self.method = method ?? JobMethod(hyperparameters: hyperparameters)
        self.seed = seed
        self.resultFiles = resultFiles
        self.fineTunedModel = fineTunedModel
        self.finishedAt = finishedAt
        self.trainedTokens = trainedTokens
        self.error = error
        self.estimatedFinish = estimatedFinish
        self.integrations = integrations
        self.metadata = metadata
        self.userProvidedSuffix = userProvidedSuffix
    }

    enum CodingKeys: String, CodingKey {
        case id, object, model, status, hyperparameters, method, seed, error, integrations, metadata
        case createdAt = "created_at"
        case organizationID = "organization_id"
        case trainingFile = "training_file"
        case validationFile = "validation_file"
        case resultFiles = "result_files"
        case fineTunedModel = "fine_tuned_model"
        case finishedAt = "finished_at"
        case trainedTokens = "trained_tokens"
        case estimatedFinish = "estimated_finish"
        case userProvidedSuffix = "user_provided_suffix"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(object, forKey: .object)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(model, forKey: .model)
        try container.encode(organizationID, forKey: .organizationID)
        try container.encode(status, forKey: .status)
        try container.encode(trainingFile, forKey: .trainingFile)
        try container.encode(validationFile, forKey: .validationFile)
        try container.encode(hyperparameters, forKey: .hyperparameters)
        try container.encode(method, forKey: .method)
        try container.encode(seed, forKey: .seed)
        try container.encode(resultFiles, forKey: .resultFiles)
        try container.encode(fineTunedModel, forKey: .fineTunedModel)
        try container.encode(finishedAt, forKey: .finishedAt)
        try container.encode(trainedTokens, forKey: .trainedTokens)
        try container.encode(error, forKey: .error)
        try container.encode(estimatedFinish, forKey: .estimatedFinish)
        try container.encode(integrations, forKey: .integrations)
        try container.encode(metadata, forKey: .metadata)
        try container.encode(userProvidedSuffix, forKey: .userProvidedSuffix)
    }
}

/// A job's hyperparameters as reported: all three keys always present, `"auto"` or a number.
public struct JobHyperparameters: Codable, Sendable, Equatable {
    public var nEpochs: AutoOr<Int>
    public var batchSize: AutoOr<Int>
    public var learningRateMultiplier: AutoOr<Double>

    public init(nEpochs: AutoOr<Int> = .auto, batchSize: AutoOr<Int> = .auto, learningRateMultiplier: AutoOr<Double> = .auto) {
        self.nEpochs = nEpochs
        self.batchSize = batchSize
        self.learningRateMultiplier = learningRateMultiplier
    }

    enum CodingKeys: String, CodingKey {
        case nEpochs = "n_epochs"
        case batchSize = "batch_size"
        case learningRateMultiplier = "learning_rate_multiplier"
    }
}

/// A job's `method`: `{"type": "supervised", "supervised": {"hyperparameters": {...}}}`.
public struct JobMethod: Codable, Sendable, Equatable {
    public var type: String
    public var supervised: JobSupervisedMethod

    public init(type: String = "supervised", supervised: JobSupervisedMethod) {
        self.type = type
        self.supervised = supervised
    }

    /// A supervised method carrying these hyperparameters.
    public init(hyperparameters: JobHyperparameters) {
        self.init(supervised: JobSupervisedMethod(hyperparameters: hyperparameters))
    }
}

/// `method.supervised` of a job.
public struct JobSupervisedMethod: Codable, Sendable, Equatable {
    public var hyperparameters: JobHyperparameters

    public init(hyperparameters: JobHyperparameters) {
        self.hyperparameters = hyperparameters
    }
}

/// Why a job failed: `{"code", "message", "param"}` (`param` explicit `null`).
public struct FineTuningJobError: Codable, Sendable, Equatable {
    /// e.g. `invalid_training_file`, `training_failed`.
    public var code: String
    public var message: String
    public var param: String?

    public init(code: String, message: String, param: String? = nil) {
        self.code = code
        self.message = message
        self.param = param
    }

    enum CodingKeys: String, CodingKey {
        case code, message, param
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(code, forKey: .code)
        try container.encode(message, forKey: .message)
        try container.encode(param, forKey: .param)
    }
}
