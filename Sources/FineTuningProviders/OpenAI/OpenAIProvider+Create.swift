import Foundation
import OpenAIAPI

extension OpenAIProvider {
    /// The metadata key that carries `JobRequest.requestID`, so a retried create can find its job.
    public static let requestIDMetadataKey = "finetune_request_id"

    /// Creates a supervised fine-tuning job, idempotently: the POST carries `Idempotency-Key` and metadata
    /// `finetune_request_id`; after a transient failure it first looks for a job with that metadata (the
    /// lost answer may have come after the job was made) and posts again only when there is none.
    ///
    /// - Throws: `ProviderError.invalidRequest` for `--batch-size max` or an absolute `--learning-rate`
    ///   (OpenAI takes a multiplier); `.notFound` when the base model or a file is unknown; `.http` etc.
    public func createJob(_ request: JobRequest) async throws -> JobSnapshot {
        let body = try APIRequestBody.json(try Self.createBody(request))
        let policy = client.retry
        var attempt = 0
        while true {
            attempt += 1
            do {
                let job = try await client.json("POST", "fine_tuning/jobs", body: body,
                                                headers: ["Idempotency-Key": request.requestID], retry: RetryPolicy.none,
                                                as: OpenAIJobWire.self)
                return job.snapshot
            } catch let error as ProviderError where error.isTransient {
                if let made = try? await existingJob(requestID: request.requestID) { return made }
                guard attempt < policy.maxAttempts else { throw error.afterAttempts(attempt) }
                let delay = policy.delay(afterAttempt: attempt)
                client.notifyRetry(RetryNotice(attempt: attempt, maxAttempts: policy.maxAttempts, delay: delay,
                                               reason: APIClient.reason(error), method: "POST", url: client.url("fine_tuning/jobs")))
                try await Task.sleep(nanoseconds: UInt64(delay * 1_000_000_000))
            } catch ProviderError.http(404, _, _, _, _, let param, _) {
                throw ProviderError.notFound(what: Self.notFoundWhat(param), id: Self.notFoundID(param, request))
            }
        }
    }

    /// The job an earlier attempt of `requestID` made, if any.
    func existingJob(requestID: String) async throws -> JobSnapshot? {
        let page: OpenAIPageWire<OpenAIJobWire> = try await client.json(
            "GET", "fine_tuning/jobs", query: [("metadata[\(Self.requestIDMetadataKey)]", requestID), ("limit", "1")])
        return page.data.first.map(\.snapshot)
    }

    /// The JSON body of `POST /fine_tuning/jobs`: hyperparameters under `method.supervised` (the top-level
    /// `hyperparameters` is deprecated), W&B as an integration, the request id in the metadata.
    static func createBody(_ request: JobRequest) throws -> JSONValue {
        if request.batchSize == .max {
            throw ProviderError.invalidRequest(
                "\(ProviderKind.openai.displayName) has no \"max\" batch size: use --batch-size N or --batch-size auto")
        }
        if request.learningRate != nil {
            throw ProviderError.invalidRequest(
                "OpenAI takes a learning-rate multiplier, not an absolute learning rate: use --learning-rate-multiplier "
                    + "(1.0 = OpenAI's default rate) instead of --learning-rate")
        }
        if let lora = request.lora, lora != LoRARequest() {
            throw ProviderError.invalidRequest("OpenAI does not offer LoRA settings: leave out --lora-rank, --lora-alpha and --lora")
        }
        if request.useLoRA == true {
            throw ProviderError.invalidRequest("OpenAI does not offer LoRA settings: leave out --lora-rank, --lora-alpha and --lora")
        }
        var hyperparameters: [String: JSONValue] = [:]
        if let epochs = request.epochs { hyperparameters["n_epochs"] = .number(Double(epochs)) }
        if case .count(let size) = request.batchSize { hyperparameters["batch_size"] = .number(Double(size)) }
        if let multiplier = request.learningRateMultiplier { hyperparameters["learning_rate_multiplier"] = .number(multiplier) }
        var metadata = request.metadata
        metadata[requestIDMetadataKey] = request.requestID
        var body: [String: JSONValue] = [
            "model": .string(request.model),
            "training_file": .string(request.trainingFile),
            "method": ["type": "supervised", "supervised": ["hyperparameters": .object(hyperparameters)]],
            "metadata": .object(metadata.mapValues(JSONValue.string)),
        ]
        if let validation = request.validationFile, !validation.isEmpty { body["validation_file"] = .string(validation) }
        if let suffix = request.suffix { body["suffix"] = .string(suffix) }
        if let seed = request.seed { body["seed"] = .number(Double(seed)) }
        if let wandb = request.wandb {
            var settings: [String: JSONValue] = ["project": .string(wandb.project)]
            if let name = wandb.name { settings["name"] = .string(name) }
            if let entity = wandb.entity { settings["entity"] = .string(entity) }
            body["integrations"] = [["type": "wandb", "wandb": .object(settings)]]
        }
        return .object(body)
    }

    private static func notFoundWhat(_ param: String?) -> String {
        switch param {
        case "training_file": "training file"
        case "validation_file": "validation file"
        default: "base model"
        }
    }

    private static func notFoundID(_ param: String?, _ request: JobRequest) -> String {
        switch param {
        case "training_file": request.trainingFile
        case "validation_file": request.validationFile ?? ""
        default: request.model
        }
    }
}

extension ProviderError {
    /// The same failure, counting `attempts` tries.
    func afterAttempts(_ attempts: Int) -> ProviderError {
        switch self {
        case .http(let status, let method, let url, let message, let code, let param, _):
            .http(status: status, method: method, url: url, message: message, code: code, param: param, attempts: attempts)
        case .transport(let method, let url, let reason, _):
            .transport(method: method, url: url, reason: reason, attempts: attempts)
        case .timeout(let method, let url, let seconds, _):
            .timeout(method: method, url: url, seconds: seconds, attempts: attempts)
        default: self
        }
    }
}
