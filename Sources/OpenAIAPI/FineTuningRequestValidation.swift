extension CreateFineTuningJobRequest {
    /// Longest accepted `suffix`.
    public static let maxSuffixLength = 64
    /// Most `metadata` keys accepted.
    public static let maxMetadataKeys = 16
    /// Longest `metadata` key.
    public static let maxMetadataKeyLength = 64
    /// Longest `metadata` value.
    public static let maxMetadataValueLength = 512

    /// Checks the values a decoded request carries (the existence of the model and files is the
    /// server's business).
    ///
    /// - Throws: `RequestValidationError` naming the first bad field: `model`, `training_file`,
    ///   `hyperparameters.<key>` or `method.supervised.hyperparameters.<key>` (n_epochs and batch_size
    ///   ≥ 1, learning_rate_multiplier finite and > 0), `method.type` (only `supervised`; code
    ///   `unsupported`), `suffix` (≤ 64 of `[A-Za-z0-9._-]`), `metadata` (≤ 16 keys).
    public func validate() throws(RequestValidationError) {
        if model.isEmpty {
            throw RequestValidationError(message: "'model' must name a base model.", param: "model")
        }
        if trainingFile.isEmpty {
            throw RequestValidationError(message: "'training_file' must be the id of an uploaded file.", param: "training_file")
        }
        if let hyperparameters {
            try Self.check(hyperparameters, prefix: "hyperparameters")
        }
        if let method {
            guard method.type == "supervised" else {
                throw RequestValidationError(
                    message: "Fine-tuning method '\(method.type)' is not supported by this server; use 'supervised'.",
                    param: "method.type", code: "unsupported")
            }
            if let inner = method.supervised?.hyperparameters {
                try Self.check(inner, prefix: "method.supervised.hyperparameters")
            }
        }
        if let suffix {
            try Self.checkSuffix(suffix)
        }
        if let metadata {
            try Self.checkMetadata(metadata)
        }
    }

    private static func check(_ values: FineTuningHyperparameters, prefix: String) throws(RequestValidationError) {
        if case .value(let epochs)? = values.nEpochs, epochs < 1 {
            throw RequestValidationError(
                message: "Invalid n_epochs: \(epochs). It must be an integer of at least 1, or \"auto\".",
                param: "\(prefix).n_epochs")
        }
        if case .value(let size)? = values.batchSize, size < 1 {
            throw RequestValidationError(
                message: "Invalid batch_size: \(size). It must be an integer of at least 1, or \"auto\".",
                param: "\(prefix).batch_size")
        }
        if case .value(let multiplier)? = values.learningRateMultiplier, !(multiplier.isFinite && multiplier > 0) {
            throw RequestValidationError(
                message: "Invalid learning_rate_multiplier: \(multiplier). It must be a number greater than 0, or \"auto\".",
                param: "\(prefix).learning_rate_multiplier")
        }
    }

    private static func checkSuffix(_ suffix: String) throws(RequestValidationError) {
        let allowed = suffix.unicodeScalars.allSatisfy { scalar in
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", ".", "_", "-": true
            default: false
            }
        }
        guard allowed, suffix.count <= maxSuffixLength else {
            throw RequestValidationError(
                message: "Invalid suffix '\(suffix)': use at most \(maxSuffixLength) characters from A-Z, a-z, 0-9, '.', '_' and '-'.",
                param: "suffix")
        }
    }

    private static func checkMetadata(_ metadata: [String: String]) throws(RequestValidationError) {
        guard metadata.count <= maxMetadataKeys else {
            throw RequestValidationError(
                message: "metadata has \(metadata.count) keys; at most \(maxMetadataKeys) are allowed.", param: "metadata")
        }
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            if key.count > maxMetadataKeyLength {
                throw RequestValidationError(
                    message: "metadata key '\(key.prefix(20))…' is longer than \(maxMetadataKeyLength) characters.", param: "metadata")
            }
            if value.count > maxMetadataValueLength {
                throw RequestValidationError(
                    message: "metadata['\(key)'] is longer than \(maxMetadataValueLength) characters.", param: "metadata")
            }
        }
    }
}
