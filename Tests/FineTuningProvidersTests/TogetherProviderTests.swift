import FineTuningProviders
import Foundation
import OpenAIAPI
import Testing

/// Recorded Together answers in `Fixtures/together` (read by path: the test target excludes `Fixtures`).
enum TogetherFixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/together")

    static func text(_ name: String) throws -> String {
        try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
    }

    static func json(_ name: String, status: Int = 200, replacing pairs: [(String, String)] = []) throws -> ScriptedResponse {
        var body = try text(name)
        for (old, new) in pairs { body = body.replacingOccurrences(of: old, with: new) }
        return .json(body, status: status)
    }

    /// `train.jsonl`'s SHA-256 (`sha256sum`).
    static let trainSHA256 = "bf425c0d22edaeaaa94a9d33ac9ee1d1d83334a3301ba3242a3dc7a78f554131"
    static let model = "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"
    static let jobID = "ft-5c1e0a2b-91d4"
}

@Suite("TogetherProvider against recorded answers")
struct TogetherProviderTests {
    func provider(_ server: ScriptedServer, log: NoticeLog? = nil) -> TogetherProvider {
        var onRetry: (@Sendable (RetryNotice) -> Void)?
        if let log { onRetry = { log.record($0) } }
        let client = APIClient(provider: .together, baseURL: server.baseURL, apiKey: "tg-key",
                               retry: RetryPolicy(maxAttempts: 3, baseDelay: 0.01, jitter: false), onRetry: onRetry)
        return TogetherProvider(client: client, filePollInterval: .milliseconds(10))
    }

    // MARK: Upload

    @Test("upload: announce with the checksum, PUT the bytes without the key, preprocess, poll to COMPLETED")
    func threeStepUpload() async throws {
        let server = try await ScriptedServer.start()
        defer { server.stop() }
        let location = "\(server.baseURL.absoluteString)/uploads/file-7f3a?token=one-time"
        await server.script("POST", "/v1/files",
                            ScriptedResponse(status: 302, headers: ["Location": location, "X-Together-File-Id": "file-7f3a"]))
        await server.script("PUT", "/uploads/file-7f3a", ScriptedResponse(status: 200))
        await server.script("POST", "/v1/files/file-7f3a/preprocess", try TogetherFixtures.json("file-running.json"))
        await server.script("GET", "/v1/files/file-7f3a", try TogetherFixtures.json("file-running.json"),
                            try TogetherFixtures.json("file-completed.json"))
        let train = TogetherFixtures.folder.appendingPathComponent("train.jsonl")
        let bytes = try Data(contentsOf: train)
        let progress = ProgressLog()
        let file = try await provider(server).upload(train, progress: { progress.record($0, $1) })
        #expect(file == RemoteFile(id: "file-7f3a", filename: "train.jsonl", bytes: 1049, status: "COMPLETED"))

        let announce = try #require(await server.requests("POST", "/v1/files").first)
        #expect(announce.headers["authorization"] == "Bearer tg-key")
        let form = announce.text
        for (name, value) in [("purpose", "fine-tune"), ("file_name", "train.jsonl"), ("file_type", "jsonl"),
                              ("checksum", TogetherFixtures.trainSHA256)] {
            #expect(form.contains("Content-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n"), "field \(name)")
        }
        #expect(!form.contains("filename="), "the announcement has no file part")
        let put = try #require(await server.requests("PUT", "/uploads/file-7f3a").first)
        #expect(put.headers["authorization"] == nil)
        #expect(put.rawQuery == "token=one-time")
        #expect(put.headers["content-length"] == String(bytes.count))
        #expect(put.body == bytes)
        #expect(progress.values.last.map { $0 == (bytes.count, bytes.count) } == true)
        #expect(await server.requests("POST", "/v1/files/file-7f3a/preprocess").count == 1)
        #expect(await server.requests("GET", "/v1/files/file-7f3a").count == 2)
    }

    @Test("upload: 409 means the same file is already there; no PUT")
    func uploadAlreadyThere() async throws {
        let server = try await ScriptedServer.start()
        defer { server.stop() }
        await server.script("POST", "/v1/files", .json(#"{"file_id":"file-7f3a","message":"file already exists"}"#, status: 409))
        await server.script("GET", "/v1/files/file-7f3a", try TogetherFixtures.json("file-completed.json"))
        let file = try await provider(server).upload(TogetherFixtures.folder.appendingPathComponent("train.jsonl"), progress: nil)
        #expect(file.id == "file-7f3a")
        #expect(await server.requests.map(\.method) == ["POST", "GET"])
    }

    @Test("upload: INVALID_FORMAT after preprocessing is a rejection with Together's details")
    func uploadRejected() async throws {
        let server = try await ScriptedServer.start()
        defer { server.stop() }
        let location = "\(server.baseURL.absoluteString)/uploads/file-bad1"
        await server.script("POST", "/v1/files", ScriptedResponse(status: 302, headers: ["Location": location, "X-Together-File-Id": "file-bad1"]))
        await server.script("PUT", "/uploads/file-bad1", ScriptedResponse(status: 200))
        await server.script("POST", "/v1/files/file-bad1/preprocess", try TogetherFixtures.json("file-invalid.json"))
        let train = TogetherFixtures.folder.appendingPathComponent("train.jsonl")
        await #expect(throws: ProviderError.fileRejected(file: train.path, reason: "INVALID_FORMAT: Line 2: no assistant message")) {
            try await provider(server).upload(train, progress: nil)
        }
    }

    // MARK: Create

    @Test("create: checks the model's limits, then posts the documented body with an Idempotency-Key")
    func create() async throws {
        let server = try await ScriptedServer.start()
        defer { server.stop() }
        await server.script("GET", "/v1/fine-tunes/models/limits", try TogetherFixtures.json("limits.json"))
        await server.script("POST", "/v1/fine-tunes", try TogetherFixtures.json("job-running.json", replacing: [(#""running""#, #""pending""#)]))
        let request = JobRequest(model: TogetherFixtures.model, trainingFile: "file-7f3a", validationFile: "file-8b2c", epochs: 3,
                                 learningRate: 2e-5, batchSize: .count(16), suffix: "capitals", seed: 42,
                                 wandb: WandbRequest(project: "ft", name: "run-1", apiKey: "wb-key"), requestID: "req-t1")
        let job = try await provider(server).createJob(request)
        #expect(job.id == TogetherFixtures.jobID && job.status == .validating && job.providerStatus == "pending")
        let limits = try #require(await server.requests("GET", "/v1/fine-tunes/models/limits").first)
        #expect(limits.query == ["model_name": TogetherFixtures.model])
        let post = try #require(await server.requests("POST", "/v1/fine-tunes").first)
        #expect(post.headers["idempotency-key"] == "req-t1")
        let sent = try JSONDecoder().decode(JSONValue.self, from: post.body)
        let expected: JSONValue = [
            "training_file": "file-7f3a", "validation_file": "file-8b2c", "packing": true, "model": .string(TogetherFixtures.model),
            "n_epochs": 3, "learning_rate": 2e-5,
            "lr_scheduler": ["lr_scheduler_type": "cosine", "lr_scheduler_args": ["min_lr_ratio": 0, "num_cycles": 0.5]],
            "warmup_ratio": 0, "max_grad_norm": 1, "weight_decay": 0, "n_checkpoints": 1, "n_evals": 10, "batch_size": 16,
            "suffix": "capitals", "wandb_key": "wb-key", "wandb_project_name": "ft", "wandb_name": "run-1", "random_seed": 42,
            "training_type": ["type": "Lora", "lora_r": 16, "lora_alpha": 32, "lora_dropout": 0, "lora_trainable_modules": "all-linear"],
            "training_method": ["method": "sft", "train_on_inputs": "auto"],
        ]
        #expect(sent == expected)
    }

    @Test("create: defaults are 1 epoch, 1e-5, batch size max, no validation; full fine-tuning says Full")
    func createDefaultsAndFull() async throws {
        let server = try await ScriptedServer.start()
        defer { server.stop() }
        await server.script("GET", "/v1/fine-tunes/models/limits", try TogetherFixtures.json("limits.json"))
        await server.script("POST", "/v1/fine-tunes", try TogetherFixtures.json("job-running.json"))
        let together = provider(server)
        _ = try await together.createJob(JobRequest(model: TogetherFixtures.model, trainingFile: "file-7f3a"))
        _ = try await together.createJob(JobRequest(model: TogetherFixtures.model, trainingFile: "file-7f3a", batchSize: .count(64), useLoRA: false))
        let bodies = try await server.requests("POST", "/v1/fine-tunes").map { try JSONDecoder().decode(JSONValue.self, from: $0.body) }
        #expect(bodies.count == 2)
        #expect(bodies[0]["n_epochs"] == 1 && bodies[0]["learning_rate"] == 1e-5 && bodies[0]["batch_size"] == "max")
        #expect(bodies[0]["validation_file"] == "" && bodies[0]["n_evals"] == 0 && bodies[0]["suffix"] == nil)
        #expect(bodies[0]["training_type"]?["lora_r"] == 16)
        #expect(bodies[1]["training_type"] == ["type": "Full"] && bodies[1]["batch_size"] == 64)
    }

    @Test("create: options outside the model's limits are refused, naming the option and the range; nothing is posted",
          arguments: [
              (JobRequest(model: TogetherFixtures.model, trainingFile: "f", batchSize: .count(64)), "--batch-size 64", "8…32"),
              (JobRequest(model: TogetherFixtures.model, trainingFile: "f", batchSize: .count(4), useLoRA: false), "--batch-size 4", "16…96"),
              (JobRequest(model: TogetherFixtures.model, trainingFile: "f", lora: LoRARequest(rank: 128)), "--lora-rank 128", "1…64"),
              (JobRequest(model: TogetherFixtures.model, trainingFile: "f", epochs: 25), "--epochs 25", "1…20"),
              (JobRequest(model: TogetherFixtures.model, trainingFile: "f", learningRate: 2), "--learning-rate 2.0", "1e-08…1.0"),
          ])
    func createOutsideLimits(request: JobRequest, option: String, range: String) async throws {
        let server = try await ScriptedServer.start()
        defer { server.stop() }
        await server.script("GET", "/v1/fine-tunes/models/limits", try TogetherFixtures.json("limits.json"))
        let error = await #expect(throws: ProviderError.self) { try await provider(server).createJob(request) }
        guard case .invalidRequest(let text)? = error else {
            Issue.record("expected .invalidRequest, got \(String(describing: error))")
            return
        }
        #expect(text.contains(option) && text.contains(range), "\(text)")
        #expect(await server.requests("POST", "/v1/fine-tunes").isEmpty)
    }

    @Test("create: a multiplier is refused (Together takes an absolute rate)")
    func createRefusesMultiplier() async throws {
        let server = try await ScriptedServer.start()
        defer { server.stop() }
        let error = await #expect(throws: ProviderError.self) {
            try await provider(server).createJob(JobRequest(model: TogetherFixtures.model, trainingFile: "f", learningRateMultiplier: 2))
        }
        #expect(error?.description.contains("absolute --learning-rate") == true)
        #expect(await server.requests.isEmpty)
    }

    @Test("create: after a lost answer the job made by the first attempt is found in the list; one POST only")
    func idempotentCreate() async throws {
        let server = try await ScriptedServer.start()
        defer { server.stop() }
        let now = ISO8601DateFormatter().string(from: Date())
        let made = try TogetherFixtures.text("job-running.json").replacingOccurrences(of: "2024-11-22T03:10:00.123456Z", with: now)
        let old = try TogetherFixtures.text("job-running.json").replacingOccurrences(of: TogetherFixtures.jobID, with: "ft-old")
        await server.script("GET", "/v1/fine-tunes/models/limits", try TogetherFixtures.json("limits.json"))
        await server.script("POST", "/v1/fine-tunes", .error(502, message: "bad gateway"))
        await server.script("GET", "/v1/fine-tunes", .json(#"{"data":[\#(old),\#(made)]}"#))
        let request = JobRequest(model: TogetherFixtures.model, trainingFile: "file-7f3a", suffix: "capitals")
        let job = try await provider(server).createJob(request)
        #expect(job.id == TogetherFixtures.jobID)
        #expect(await server.requests("POST", "/v1/fine-tunes").count == 1)
    }

    // MARK: Jobs

    @Test("every Together status maps to the shared words",
          arguments: [("pending", JobStatus.validating), ("queued", .queued), ("running", .running), ("compressing", .running),
                      ("uploading", .running), ("cancel_requested", .running), ("cancelled", .cancelled), ("error", .failed),
                      ("user_error", .failed), ("completed", .succeeded)])
    func statuses(word: String, status: JobStatus) async throws {
        let server = try await ScriptedServer.start()
        defer { server.stop() }
        await server.script("GET", "/v1/fine-tunes/\(TogetherFixtures.jobID)",
                            try TogetherFixtures.json("job-running.json", replacing: [(#""status": "running""#, #""status": "\#(word)""#)]))
        let job = try await provider(server).job(TogetherFixtures.jobID)
        #expect(job.status == status && job.providerStatus == word)
        #expect((job.finishedAt != nil) == status.isTerminal)
    }

    @Test("a job reads ISO dates, the output name, hyperparameters, price; a failed one its error event")
    func jobFields() async throws {
        let server = try await ScriptedServer.start()
        defer { server.stop() }
        await server.script("GET", "/v1/fine-tunes/\(TogetherFixtures.jobID)",
                            try TogetherFixtures.json("job-running.json", replacing: [(#""status": "running""#, #""status": "completed""#)]))
        await server.script("GET", "/v1/fine-tunes/ft-err-0001", try TogetherFixtures.json("job-error.json"))
        let together = provider(server)
        let job = try await together.job(TogetherFixtures.jobID)
        #expect(job.fineTunedModel == "user/Meta-Llama-3.1-8B-Instruct-Reference-capitals-5c1e0a2b")
        #expect(abs((job.createdAt?.timeIntervalSince1970 ?? 0) - 1_732_245_000.123456) < 1e-5)
        #expect(job.finishedAt == Date(timeIntervalSince1970: 1_732_245_600))
        #expect(job.costUSD == 1.25)
        #expect(job.hyperparameters["lora"] == true && job.hyperparameters["lora_r"] == 16 && job.hyperparameters["n_epochs"] == 3)
        #expect(job.seed == 42 && job.suffix == "capitals" && job.validationFile == "file-8b2c")
        let failed = try await together.job("ft-err-0001")
        #expect(failed.status == .failed)
        #expect(failed.error == JobFailure(code: "error", message: "CUDA out of memory at step 3"))
        #expect(failed.createdAt == Date(timeIntervalSince1970: 1_732_241_400))
        #expect(failed.finishedAt == Date(timeIntervalSince1970: 1_732_241_550.5))
        #expect(failed.hyperparameters["lora"] == false && failed.hyperparameters["batch_size"] == "max")
        #expect(failed.validationFile == nil)
    }

    @Test("a 500 on retrieve is retried and then succeeds; a 404 is .notFound")
    func retrieveRetried() async throws {
        let server = try await ScriptedServer.start()
        defer { server.stop() }
        await server.script("GET", "/v1/fine-tunes/\(TogetherFixtures.jobID)", .error(500, message: "internal"),
                            try TogetherFixtures.json("job-running.json"))
        let log = NoticeLog()
        let together = provider(server, log: log)
        #expect(try await together.job(TogetherFixtures.jobID).status == .running)
        #expect(log.notices.count == 1)
        await #expect(throws: ProviderError.notFound(what: "fine-tuning job", id: "ft-missing")) { try await together.job("ft-missing") }
    }

    @Test("jobs are sorted newest first and capped")
    func jobsList() async throws {
        let server = try await ScriptedServer.start()
        defer { server.stop() }
        let running = try TogetherFixtures.text("job-running.json"), failed = try TogetherFixtures.text("job-error.json")
        await server.script("GET", "/v1/fine-tunes", .json(#"{"data":[\#(failed),\#(running)]}"#))
        let together = provider(server)
        #expect(try await together.jobs(limit: 10).map(\.id) == [TogetherFixtures.jobID, "ft-err-0001"])
        #expect(try await together.jobs(limit: 1).map(\.id) == [TogetherFixtures.jobID])
    }
}

@Suite("TogetherProvider: events, metrics, checkpoints, models, prices")
struct TogetherLogTests {
    func provider(_ server: ScriptedServer) -> TogetherProvider {
        TogetherProvider(client: APIClient(provider: .together, baseURL: server.baseURL, apiKey: "tg-key",
                                           retry: RetryPolicy(maxAttempts: 2, baseDelay: 0.01, jitter: false)))
    }

    static let eventsPath = "/v1/fine-tunes/\(TogetherFixtures.jobID)/events"
    static let metricsPath = "/v1/fine-tunes/\(TogetherFixtures.jobID)/metrics"

    @Test("events and metrics merge oldest first into metric points with stable ids; after: returns only newer ones")
    func eventsAndMetrics() async throws {
        let server = try await ScriptedServer.start()
        defer { server.stop() }
        await server.script("GET", Self.eventsPath, try TogetherFixtures.json("events.json"))
        await server.script("GET", Self.metricsPath, try TogetherFixtures.json("metrics.json"))
        let together = provider(server)
        let events = try await together.events(TogetherFixtures.jobID, after: nil)
        #expect(events.map(\.message) == [
            "Fine tune request created", "Training started", "Step 2 done", "Step 1: training loss=2.50",
            "Step 2: training loss=1.75, validation loss=1.90", "Validation set is small", "Checkpoint saved at step 4",
            "Step 3: training loss=1.50", "Step 4: training loss=1.25, validation loss=1.60", "Step 5: training loss=1.00",
        ])
        #expect(events.map(\.level) == ["info", "info", "info", "info", "info", "warn", "info", "info", "info", "info"])
        #expect(Array(events.map(\.id)[3...4]) == ["metrics-step-1", "metrics-step-2"])
        #expect(events[0].id.hasPrefix("evt-") && events[0].id.count == 20)
        #expect(events[2].metrics == MetricPoint(step: 2, totalSteps: 4, trainLoss: 1.75))
        #expect(events[3].metrics == MetricPoint(step: 1, epoch: 0.25, trainLoss: 2.5, learningRate: 1e-5))
        #expect(events[8].metrics == MetricPoint(step: 4, trainLoss: 1.25, validLoss: 1.6))
        #expect(zip(events, events.dropFirst()).allSatisfy { $0.createdAt <= $1.createdAt })

        let again = try await together.events(TogetherFixtures.jobID, after: nil)
        #expect(again.map(\.id) == events.map(\.id), "ids are stable between calls")
        #expect(try await together.events(TogetherFixtures.jobID, after: events[5].id).map(\.id) == events[6...].map(\.id))
        #expect(try await together.events(TogetherFixtures.jobID, after: "metrics-step-4").map(\.id) == ["metrics-step-5"])
    }

    @Test("metrics that arrive after the events around them are still delivered, once")
    func lateMetrics() async throws {
        let server = try await ScriptedServer.start()
        defer { server.stop() }
        await server.script("GET", Self.eventsPath, try TogetherFixtures.json("events.json"))
        await server.script("GET", Self.metricsPath, .error(404, message: "no metrics yet"), try TogetherFixtures.json("metrics.json"))
        let together = provider(server)
        let first = try await together.events(TogetherFixtures.jobID, after: nil)
        #expect(first.count == 5 && first.allSatisfy { !$0.id.hasPrefix("metrics-") })
        let later = try await together.events(TogetherFixtures.jobID, after: first.last?.id)
        #expect(later.map(\.id) == (1...5).map { "metrics-step-\($0)" })
        let seen = try await together.events(TogetherFixtures.jobID, after: later.last?.id)
        #expect(seen.isEmpty)
    }

    @Test("checkpoints come highest step first; cancel posts; pause and resume are unsupported")
    func checkpointsCancelPause() async throws {
        let server = try await ScriptedServer.start()
        defer { server.stop() }
        await server.script("GET", "/v1/fine-tunes/\(TogetherFixtures.jobID)/checkpoints", try TogetherFixtures.json("checkpoints.json"))
        await server.script("POST", "/v1/fine-tunes/\(TogetherFixtures.jobID)/cancel",
                            try TogetherFixtures.json("job-running.json", replacing: [(#""status": "running""#, #""status": "cancel_requested""#)]))
        let together = provider(server)
        let checkpoints = try await together.checkpoints(TogetherFixtures.jobID)
        #expect(checkpoints.map(\.id) == ["final-step-4", "intermediate-step-2"])
        #expect(checkpoints.first?.path == "s3://together/ft-5c1e0a2b/final")
        #expect(checkpoints.first?.createdAt == Date(timeIntervalSince1970: 1_732_245_300))
        let cancelled = try await together.cancel(TogetherFixtures.jobID)
        #expect(cancelled.providerStatus == "cancel_requested")
        #expect(await server.requests("POST", "/v1/fine-tunes/\(TogetherFixtures.jobID)/cancel").count == 1)
        await #expect(throws: ProviderError.unsupported(provider: .together, what: "pausing jobs")) {
            try await together.pause(TogetherFixtures.jobID)
        }
        await #expect(throws: ProviderError.unsupported(provider: .together, what: "resuming jobs")) {
            try await together.resume(TogetherFixtures.jobID)
        }
    }

    @Test("models: a bare array; fine-tuned = the output of one of the account's jobs")
    func models() async throws {
        let server = try await ScriptedServer.start()
        defer { server.stop() }
        await server.script("GET", "/v1/models", try TogetherFixtures.json("models.json"))
        await server.script("GET", "/v1/fine-tunes", .json(#"{"data":[\#(try TogetherFixtures.text("job-running.json"))]}"#))
        let models = try await provider(server).models()
        #expect(models.map(\.isFineTuned) == [false, true])
        #expect(models.first == RemoteModel(id: TogetherFixtures.model, ownedBy: "Meta", createdAt: Date(timeIntervalSince1970: 1_721_692_800),
                                            isFineTuned: false))
    }

    @Test("quote: the estimate when available, nil when not")
    func quote() async throws {
        let server = try await ScriptedServer.start()
        defer { server.stop() }
        await server.script("POST", "/v1/fine-tunes/estimate-price",
                            .json(#"{"estimation_available":true,"allowed_to_proceed":true,"estimated_total_price":3.75}"#),
                            .json(#"{"estimation_available":false,"unavailable_reason":"train_file_not_validated"}"#))
        let together = provider(server)
        let request = JobRequest(model: TogetherFixtures.model, trainingFile: "file-7f3a", validationFile: "file-8b2c", epochs: 2)
        #expect(try await together.quote(request) == 3.75)
        #expect(try await together.quote(request) == nil)
        let sent = try JSONDecoder().decode(JSONValue.self, from: try #require(await server.requests.first).body)
        #expect(sent == ["training_file": "file-7f3a", "validation_file": "file-8b2c", "model": .string(TogetherFixtures.model),
                         "n_epochs": 2, "n_evals": 10, "training_method": ["method": "sft", "train_on_inputs": "auto"],
                         "training_type": ["type": "Lora"]])
    }

    @Test("download asks for the job, checkpoint and step")
    func download() async throws {
        let server = try await ScriptedServer.start()
        defer { server.stop() }
        await server.script("GET", "/v1/finetune/download", ScriptedResponse(status: 200, body: Data("tar".utf8)))
        let target = FileManager.default.temporaryDirectory.appendingPathComponent("together-\(UUID().uuidString).tar.gz")
        defer { try? FileManager.default.removeItem(at: target) }
        let written = try await provider(server).download(jobID: TogetherFixtures.jobID, step: 2, to: target)
        #expect(written == 3)
        #expect(try String(contentsOf: target, encoding: .utf8) == "tar")
        let query = try #require(await server.requests.first).query
        #expect(query == ["ft_id": TogetherFixtures.jobID, "checkpoint": "adapter", "checkpoint_step": "2"])
    }
}
