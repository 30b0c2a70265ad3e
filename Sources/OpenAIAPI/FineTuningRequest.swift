/// Hyperparameters as a client asks for them; every key optional, each `"auto"` or a number.
public struct FineTuningHyperparameters: Codable, Sendable, Equatable {
    public var nEpochs: AutoOr<Int>?
    public var batchSize: AutoOr<Int>?
    public var learningRateMultiplier: AutoOr<Double>?

    public init(nEpochs: AutoOr<Int>? = nil, batchSize: AutoOr<Int>? = nil, learningRateMultiplier: AutoOr<Double>? = nil) {
        self.nEpochs = nEpochs
        self.batchSize = batchSize
        self.learningRateMultiplier = learningRateMultiplier
    }

    enum CodingKeys: String, CodingKey {
        case nEpochs = "n_epochs"
        case batchSize = "batch_size"
        case learningRateMultiplier = "learning_rate_multiplier"
    }

    /// These values with every key set in `other` replacing this one's.
    public func overridden(by other: FineTuningHyperparameters?) -> FineTuningHyperparameters {
        guard let other else { return self }
        return FineTuningHyperparameters(
            nEpochs: other.nEpochs ?? nEpochs,
            batchSize: other.batchSize ?? batchSize,
            learningRateMultiplier: other.learningRateMultiplier ?? learningRateMultiplier)
    }
}

/// `method.supervised`: `{"hyperparameters": {...}}`.
public struct SupervisedMethod: Codable, Sendable, Equatable {
    public var hyperparameters: FineTuningHyperparameters?

    public init(hyperparameters: FineTuningHyperparameters? = nil) {
        self.hyperparameters = hyperparameters
    }
}

/// `method` of a create request: `{"type": "supervised", "supervised": {...}}`.
///
/// `dpo` and `reinforcement` are kept only so they decode; the server refuses those types.
public struct FineTuningMethod: Codable, Sendable, Equatable {
    public var type: String
    public var supervised: SupervisedMethod?
    public var dpo: JSONValue?
    public var reinforcement: JSONValue?

    public init(type: String = "supervised", supervised: SupervisedMethod? = nil, dpo: JSONValue? = nil, reinforcement: JSONValue? = nil) {
        self.type = type
        self.supervised = supervised
        self.dpo = dpo
        self.reinforcement = reinforcement
    }
}

/// The body of `POST /v1/fine_tuning/jobs`. Unknown keys are ignored.
///
/// ```swift
/// let request = try OpenAIJSON.decoder().decode(CreateFineTuningJobRequest.self, from: body)
/// try request.validate()
/// let hyperparameters = request.effectiveHyperparameters
/// ```
public struct CreateFineTuningJobRequest: Codable, Sendable, Equatable {
    /// The base model id, as listed by `/v1/models`.
    public var model: String
    public var trainingFile: String
    /// As sent; Together sends `""` for none, see ``effectiveValidationFile``.
    public var validationFile: String?
    public var hyperparameters: FineTuningHyperparameters?
    public var method: FineTuningMethod?
    public var seed: Int?
    public var suffix: String?
    public var integrations: [JSONValue]?
    public var metadata: [String: String]?

    public init(
        model: String, trainingFile: String, validationFile: String? = nil,
        hyperparameters: FineTuningHyperparameters? = nil, method: FineTuningMethod? = nil, seed: Int? = nil,
        suffix: String? = nil, integrations: [JSONValue]? = nil, metadata: [String: String]? = nil
    ) {
        self.model = model
        self.trainingFile = trainingFile
        self.validationFile = validationFile
        self.hyperparameters = hyperparameters
        self.method = method
        self.seed = seed
        self.suffix = suffix
        self.integrations = integrations
        self.metadata = metadata
    }

    enum CodingKeys: String, CodingKey {
        case model, hyperparameters, method, seed, suffix, integrations, metadata
        case trainingFile = "training_file"
        case validationFile = "validation_file"
    }

    /// The validation file id, with `""` read as none.
    public var effectiveValidationFile: String? {
        guard let validationFile, !validationFile.isEmpty else { return nil }
        return validationFile
    }

    /// The top-level `hyperparameters`, with each key set in `method.supervised.hyperparameters`
    /// taking its place.
    public var effectiveHyperparameters: FineTuningHyperparameters {
        (hyperparameters ?? FineTuningHyperparameters()).overridden(by: method?.supervised?.hyperparameters)
    }
}

/// A request whose fields decoded but whose values are not acceptable; the server answers 400.
public struct RequestValidationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A sentence for the user: what is wrong and what is allowed.
    public var message: String
    /// The field at fault as a dotted path (`hyperparameters.n_epochs`).
    public var param: String?
    /// A machine-readable code (`unsupported`), or nil.
    public var code: String?

    public init(message: String, param: String? = nil, code: String? = nil) {
        self.message = message
        self.param = param
        self.code = code
    }

    public var description: String { message }
}
