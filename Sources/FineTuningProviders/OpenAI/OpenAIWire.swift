import Foundation
import OpenAIAPI

/// OpenAI's job object, read leniently: only `id`, `status` and `model` are required, so a field the API
/// adds, drops or leaves null (an old job without `method`, a DPO job) never makes a job unreadable.
struct OpenAIJobWire: Decodable, Sendable {
    var id: String
    var status: String
    var model: String
    var createdAt: Int?
    var finishedAt: Int?
    var estimatedFinish: Int?
    var fineTunedModel: String?
    var trainingFile: String?
    var validationFile: String?
    var hyperparameters: [String: JSONValue]?
    var method: JSONValue?
    var trainedTokens: Int?
    var error: ErrorWire?
    var seed: Int?
    var userProvidedSuffix: String?
    var metadata: [String: String]?

    struct ErrorWire: Decodable, Sendable {
        var code: String?
        var message: String?
        var param: String?
    }

    enum CodingKeys: String, CodingKey {
        case id, status, model, hyperparameters, method, error, seed, metadata
        case createdAt = "created_at"
        case finishedAt = "finished_at"
        case estimatedFinish = "estimated_finish"
        case fineTunedModel = "fine_tuned_model"
        case trainingFile = "training_file"
        case validationFile = "validation_file"
        case trainedTokens = "trained_tokens"
        case userProvidedSuffix = "user_provided_suffix"
    }

    /// The provider-neutral snapshot. Hyperparameters come from `method.<type>.hyperparameters` when
    /// present (the current API), else the deprecated top-level `hyperparameters`.
    var snapshot: JobSnapshot {
        var resolved = hyperparameters ?? [:]
        if let type = method?["type"]?.stringValue, let inner = method?[type]?["hyperparameters"]?.objectValue {
            resolved.merge(inner) { _, new in new }
        }
        var failure: JobFailure?
        if let error, let message = error.message, !message.isEmpty {
            failure = JobFailure(code: error.code, message: message)
        }
        return JobSnapshot(
            id: id, status: JobStatus(openAI: status), providerStatus: status, model: model, fineTunedModel: fineTunedModel,
            createdAt: createdAt.map(Self.date), finishedAt: finishedAt.map(Self.date),
            estimatedFinish: estimatedFinish.map(Self.date), trainingFile: trainingFile,
            validationFile: validationFile.flatMap { $0.isEmpty ? nil : $0 }, hyperparameters: resolved,
            trainedTokens: trainedTokens, error: failure, seed: seed, suffix: userProvidedSuffix)
    }

    static func date(_ seconds: Int) -> Date { Date(timeIntervalSince1970: TimeInterval(seconds)) }
}

/// OpenAI's file object, read leniently (`status` as text).
struct OpenAIFileWire: Decodable, Sendable {
    var id: String
    var filename: String?
    var bytes: Int?
    var status: String?
    var statusDetails: String?

    enum CodingKeys: String, CodingKey {
        case id, filename, bytes, status
        case statusDetails = "status_details"
    }

    var remoteFile: RemoteFile {
        RemoteFile(id: id, filename: filename ?? id, bytes: bytes ?? 0, status: status, statusDetails: statusDetails)
    }
}

/// A cursor page read leniently: a missing `has_more` means no more pages.
struct OpenAIPageWire<Item: Decodable & Sendable>: Decodable, Sendable {
    var data: [Item]
    var hasMore: Bool?

    enum CodingKeys: String, CodingKey {
        case data
        case hasMore = "has_more"
    }
}

extension MetricPoint {
    /// A metrics event's `data` (`{step, total_steps, train_loss, train_mean_token_accuracy, valid_loss, …}`);
    /// nil without a step.
    init?(openAIData data: JSONValue?) {
        guard let data, let step = data["step"].flatMap(Self.number).map({ Int($0) }) else { return nil }
        func value(_ key: String) -> Double? { data[key].flatMap(Self.number) }
        self.init(step: step, totalSteps: value("total_steps").map { Int($0) }, epoch: value("epoch"),
                  trainLoss: value("train_loss"), trainAccuracy: value("train_mean_token_accuracy"),
                  validLoss: value("valid_loss"), validAccuracy: value("valid_mean_token_accuracy"),
                  fullValidLoss: value("full_valid_loss"), fullValidAccuracy: value("full_valid_mean_token_accuracy"),
                  learningRate: value("learning_rate"))
    }

    /// A finite number, or a string holding one.
    static func number(_ value: JSONValue) -> Double? {
        switch value {
        case .number(let number): number.isFinite ? number : nil
        case .string(let text): Double(text).flatMap { $0.isFinite ? $0 : nil }
        default: nil
        }
    }
}

extension JobEvent {
    /// An OpenAI event; metrics events carry their `MetricPoint`.
    init(openAI event: FineTuningJobEvent) {
        let metrics = event.type == "metrics" ? MetricPoint(openAIData: event.data) : nil
        self.init(id: event.id, createdAt: OpenAIJobWire.date(event.createdAt), level: event.level, message: event.message,
                  metrics: metrics)
    }
}

extension RemoteCheckpoint {
    /// An OpenAI checkpoint, its model name chat-able (`…:ckpt-step-N`).
    init(openAI checkpoint: FineTuningCheckpoint) {
        let figures = checkpoint.metrics
        let metrics = MetricPoint(
            step: figures.step.map { Int($0) } ?? checkpoint.stepNumber, trainLoss: figures.trainLoss,
            trainAccuracy: figures.trainMeanTokenAccuracy, validLoss: figures.validLoss,
            validAccuracy: figures.validMeanTokenAccuracy, fullValidLoss: figures.fullValidLoss,
            fullValidAccuracy: figures.fullValidMeanTokenAccuracy)
        self.init(id: checkpoint.id, step: checkpoint.stepNumber, model: checkpoint.fineTunedModelCheckpoint,
                  createdAt: OpenAIJobWire.date(checkpoint.createdAt), metrics: metrics)
    }
}
