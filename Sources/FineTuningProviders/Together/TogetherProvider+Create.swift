import Foundation
import OpenAIAPI

extension TogetherProvider {
    /// Together's default absolute learning rate.
    public static let defaultLearningRate = 1e-5
    /// Evaluations per run when there is a validation file.
    public static let defaultEvaluations = 10

    /// `POST /v1/fine-tunes/estimate-price`: the estimated total in US dollars, nil when Together can't
    /// estimate yet (`estimation_available: false`) or the endpoint doesn't exist (404).
    public func quote(_ request: JobRequest) async throws -> Double? {
        var body: [String: JSONValue] = [
            "training_file": .string(request.trainingFile),
            "model": .string(request.model),
            "n_epochs": .number(Double(request.epochs ?? 1)),
            "n_evals": .number(Double(Self.evaluations(request, limits: nil))),
            "training_method": ["method": "sft", "train_on_inputs": "auto"],
        ]
        if let validation = request.validationFile, !validation.isEmpty { body["validation_file"] = .string(validation) }
        if request.useLoRA == false { body["training_type"] = ["type": "Full"] } else { body["training_type"] = ["type": "Lora"] }
        do {
            let answer: JSONValue = try await client.json("POST", "/v1/fine-tunes/estimate-price", body: try .json(JSONValue.object(body)))
            guard answer["estimation_available"]?.boolValue != false else { return nil }
            return TogetherWire.double(answer["estimated_total_price"])
        } catch ProviderError.http(404, _, _, _, _, _, _) {
            return nil
        }
    }

    /// Checks the request against `GET /v1/fine-tunes/models/limits`, then creates the job idempotently:
    /// the POST carries `Idempotency-Key`; after a transient failure it looks in `GET /v1/fine-tunes` for
    /// a job with the same training file, model and suffix made since the first attempt (less 60 s of clock
    /// skew) and posts again only when there is none.
    ///
    /// - Throws: `ProviderError.invalidRequest` naming the option and the allowed range when the request is
    ///   outside Together's limits, or for `--learning-rate-multiplier` (Together takes an absolute rate).
    public func createJob(_ request: JobRequest) async throws -> JobSnapshot {
        if request.learningRateMultiplier != nil {
            throw ProviderError.invalidRequest(
                "Together takes an absolute --learning-rate (default \(Self.defaultLearningRate)), not --learning-rate-multiplier")
        }
        let limitsAnswer = try await notFound("base model", request.model) {
            try await client.json("GET", "/v1/fine-tunes/models/limits", query: [("model_name", request.model)], as: JSONValue.self)
        }
        let limits = TogetherLimits(limitsAnswer.objectValue ?? [:])
        let body = try APIRequestBody.json(try Self.createBody(request, limits: limits))
        let started = Date()
        let policy = client.retry
        var attempt = 0
        while true {
            attempt += 1
            do {
                let answer: JSONValue = try await client.json("POST", "/v1/fine-tunes", body: body,
                                                              headers: ["Idempotency-Key": request.requestID], retry: RetryPolicy.none)
                return try job(from: answer, method: "POST", path: "/v1/fine-tunes").snapshot
            } catch let error as ProviderError where error.isTransient {
                if let made = try? await existingJob(for: request, since: started.addingTimeInterval(-60)) { return made }
                guard attempt < policy.maxAttempts else { throw error.afterAttempts(attempt) }
                let delay = policy.delay(afterAttempt: attempt)
                client.notifyRetry(RetryNotice(attempt: attempt, maxAttempts: policy.maxAttempts, delay: delay,
                                               reason: APIClient.reason(error), method: "POST", url: client.url("/v1/fine-tunes")))
                try await Task.sleep(nanoseconds: UInt64(delay * 1_000_000_000))
            }
        }
    }

    /// A job an earlier attempt of `request` made: same training file, model and suffix, created since `since`.
    func existingJob(for request: JobRequest, since: Date) async throws -> JobSnapshot? {
        try await allJobs().filter { job in
            job.trainingFile == request.trainingFile && job.model == request.model && job.suffix == request.suffix.flatMap { $0.isEmpty ? nil : $0 }
                && (job.createdAt ?? .distantPast) >= since
        }.max { ($0.createdAt ?? .distantPast) < ($1.createdAt ?? .distantPast) }?.snapshot
    }

    /// The body of `POST /v1/fine-tunes` (API.md §9), after checking the request against `limits`.
    static func createBody(_ request: JobRequest, limits: TogetherLimits) throws -> JSONValue {
        let useLoRA = request.useLoRA != false
        let training: TogetherLimits.Training
        if useLoRA {
            guard let lora = limits.lora else {
                throw ProviderError.invalidRequest("Together cannot fine-tune \(request.model) with LoRA: try --full (full fine-tuning)")
            }
            training = lora
        } else {
            guard limits.supportsFullTraining, let full = limits.full else {
                throw ProviderError.invalidRequest("Together cannot fully fine-tune \(request.model): leave out --full to train a LoRA adapter")
            }
            training = full
        }
        let method = useLoRA ? "LoRA" : "full fine-tuning"
        if case .count(let size) = request.batchSize {
            let low = training.minBatchSize ?? 1, high = training.maxBatchSize ?? Int.max
            if size < low || size > high {
                throw ProviderError.invalidRequest(
                    "--batch-size \(size) is outside Together's range for \(request.model) with \(method): "
                        + "\(low)…\(high == Int.max ? "" : String(high)) (or --batch-size max)")
            }
        }
        let epochs = request.epochs ?? 1
        if let maxEpochs = limits.maxEpochs, epochs > maxEpochs {
            throw ProviderError.invalidRequest("--epochs \(epochs) is more than Together allows for \(request.model): 1…\(maxEpochs)")
        }
        let rate = request.learningRate ?? defaultLearningRate
        if let low = limits.minLearningRate, let high = limits.maxLearningRate, rate < low || rate > high {
            throw ProviderError.invalidRequest("--learning-rate \(rate) is outside Together's range for \(request.model): \(low)…\(high)")
        }
        var body: [String: JSONValue] = [
            "training_file": .string(request.trainingFile),
            "validation_file": .string(request.validationFile ?? ""),
            "packing": true,
            "model": .string(request.model),
            "n_epochs": .number(Double(epochs)),
            "learning_rate": .number(rate),
            "lr_scheduler": ["lr_scheduler_type": "cosine", "lr_scheduler_args": ["min_lr_ratio": 0, "num_cycles": 0.5]],
            "warmup_ratio": 0,
            "max_grad_norm": 1,
            "weight_decay": 0,
            "n_checkpoints": 1,
            "n_evals": .number(Double(evaluations(request, limits: limits))),
            "training_method": ["method": "sft", "train_on_inputs": "auto"],
        ]
        switch request.batchSize {
        case .count(let size): body["batch_size"] = .number(Double(size))
        case .auto, .max: body["batch_size"] = "max"
        }
        if let suffix = request.suffix, !suffix.isEmpty { body["suffix"] = .string(suffix) }
        if let seed = request.seed { body["random_seed"] = .number(Double(seed)) }
        if let wandb = request.wandb {
            if let key = wandb.apiKey { body["wandb_key"] = .string(key) }
            body["wandb_project_name"] = .string(wandb.project)
            if let name = wandb.name { body["wandb_name"] = .string(name) }
        }
        if useLoRA {
            body["training_type"] = try loraSettings(request, training: training)
        } else {
            body["training_type"] = ["type": "Full"]
        }
        return .object(body)
    }

    /// `{type: "Lora", lora_r, lora_alpha, lora_dropout, lora_trainable_modules}`: the rank defaults to the
    /// model's default rank (8 if Together gives none), alpha to 2 × rank, dropout to 0, modules to all-linear.
    private static func loraSettings(_ request: JobRequest, training: TogetherLimits.Training) throws -> JSONValue {
        let rank = request.lora?.rank ?? training.defaultRank ?? 8
        if let maxRank = training.maxRank, rank > maxRank || rank < 1 {
            throw ProviderError.invalidRequest("--lora-rank \(rank) is outside Together's range for \(request.model): 1…\(maxRank)")
        }
        let alpha = request.lora?.alpha ?? Double(2 * rank)
        let modules = request.lora?.targetModules.map { $0.joined(separator: ",") } ?? "all-linear"
        return ["type": "Lora", "lora_r": .number(Double(rank)), "lora_alpha": .number(alpha),
                "lora_dropout": .number(request.lora?.dropout ?? 0), "lora_trainable_modules": .string(modules)]
    }

    /// 0 without a validation file, else `defaultEvaluations` capped at the model's `max_num_evals`.
    static func evaluations(_ request: JobRequest, limits: TogetherLimits?) -> Int {
        guard let validation = request.validationFile, !validation.isEmpty else { return 0 }
        return min(defaultEvaluations, limits?.maxEvals ?? defaultEvaluations)
    }
}
