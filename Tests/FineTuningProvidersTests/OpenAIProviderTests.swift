import APIServer
import FineTuningProviders
import Foundation
import Logging
import ModelHub
import OpenAIAPI
import Testing

/// A real `finetune serve` on a free port, in a temporary finetune home with the real SmolLM2 registered as
/// `smollm2-test`.
struct LiveOpenAIServer: Sendable {
    static let baseModel = "smollm2-test"
    let home: FinetuneHome
    let baseURL: URL
    private let task: Task<Void, any Error>

    static func start() async throws -> LiveOpenAIServer {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("finetune-openai-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        let home = FinetuneHome(url: url)
        let model = try #require(LocalTestSupport.realModel)
        try ModelStore(home: home, catalog: ModelCatalog(entries: [])).add(path: model, name: baseModel)
        var configuration = ServerConfiguration(home: home)
        configuration.port = 0
        configuration.threads = 2
        configuration.inferenceThreads = 1
        var logger = Logger(label: "live-server")
        logger.logLevel = .critical
        let (addresses, continuation) = AsyncStream.makeStream(of: String.self)
        let app = try await buildApplication(configuration: configuration, logger: logger) { address in
            continuation.yield(address)
            continuation.finish()
        }
        let task = Task { try await app.runService(gracefulShutdownSignals: []) }
        var address: String?
        for await value in addresses { address = value }
        let base = try #require(address.flatMap { URL(string: $0 + "/v1") })
        return LiveOpenAIServer(home: home, baseURL: base, task: task)
    }

    func stop() {
        task.cancel()
    }

    func file(_ text: String, name: String) throws -> URL {
        let url = home.url.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    var provider: OpenAIProvider {
        OpenAIProvider(kind: .local, client: APIClient(provider: .local, baseURL: baseURL, apiKey: nil),
                       filePollInterval: .milliseconds(100))
    }
}

@Suite("OpenAIProvider against a live finetune serve", .needsLocalModel, .serialized)
struct OpenAIProviderLiveTests {
    @Test("upload, create, follow to success; events, checkpoints, models, jobs; a second job cancelled")
    func fullJob() async throws {
        let server = try await LiveOpenAIServer.start()
        defer { server.stop() }
        let openAI = server.provider
        #expect(openAI.kind == .local)

        let trainURL = try server.file(LocalData.train, name: "train.jsonl")
        let train = try await openAI.upload(trainURL, progress: nil)
        #expect(train.status == "processed")
        #expect(train.filename == "train.jsonl")
        #expect(train.bytes == LocalData.train.utf8.count)
        let valid = try await openAI.upload(try server.file(LocalData.valid, name: "valid.jsonl"), progress: nil)
        let invalidURL = try server.file(LocalData.missingAnswerOnLine2, name: "invalid.jsonl")
        do {
            _ = try await openAI.upload(invalidURL, progress: nil)
            Issue.record("the invalid file was accepted")
        } catch ProviderError.fileRejected(let file, let reason) {
            #expect(file == invalidURL.path)
            #expect(reason.lowercased().contains("line 2"), "\(reason)")
        }

        let request = JobRequest(model: LiveOpenAIServer.baseModel, trainingFile: train.id, validationFile: valid.id, epochs: 1,
                                 batchSize: .count(4), suffix: "capitals", seed: 7, metadata: ["purpose": "test"])
        let created = try await openAI.createJob(request)
        #expect([.validating, .queued, .running].contains(created.status))
        #expect(created.model == LiveOpenAIServer.baseModel && created.trainingFile == train.id && created.validationFile == valid.id)
        #expect(created.seed == 7)
        // A second job waits in the queue behind the first; cancelling it answers `cancelled` at once.
        let second = try await openAI.createJob(JobRequest(model: LiveOpenAIServer.baseModel, trainingFile: train.id, epochs: 2))
        let cancelled = try await openAI.cancel(second.id)
        #expect(cancelled.status == .cancelled)

        var job = created
        let clock = ContinuousClock(), deadline = clock.now + .seconds(300)
        while !job.status.isTerminal, clock.now < deadline {
            try await Task.sleep(for: .milliseconds(250))
            job = try await openAI.job(created.id)
        }
        #expect(job.status == .succeeded, "error: \(String(describing: job.error))")
        let model = try #require(job.fineTunedModel)
        #expect(model.hasPrefix("ft:") && model.contains("capitals"))
        #expect(job.finishedAt != nil && (job.trainedTokens ?? 0) > 0)
        #expect(job.hyperparameters["n_epochs"] == 1 && job.hyperparameters["batch_size"] == 4)
        #expect(job.suffix == "capitals")

        let events = try await openAI.events(job.id, after: nil)
        #expect(zip(events, events.dropFirst()).allSatisfy { $0.createdAt <= $1.createdAt }, "events are oldest first")
        #expect(events.first?.message.contains("Created fine-tuning job") == true)
        #expect(Set(events.map(\.id)).count == events.count)
        let metrics = events.compactMap(\.metrics)
        #expect(metrics.filter { $0.trainLoss != nil }.map(\.step) == [1, 2, 3])
        #expect(metrics.allSatisfy { $0.totalSteps == 3 })
        #expect(metrics.contains { $0.bestValidLoss != nil }, "a validation file gives a validation loss")
        let middle = events.count / 2
        #expect(try await openAI.events(job.id, after: events[middle].id) == Array(events[(middle + 1)...]))
        #expect(try await openAI.events(job.id, after: events.last?.id).isEmpty)

        let checkpoints = try await openAI.checkpoints(job.id)
        #expect(!checkpoints.isEmpty)
        #expect(checkpoints.map(\.step) == checkpoints.map(\.step).sorted(by: >))
        #expect(checkpoints.first?.step == 3)
        #expect(checkpoints.allSatisfy { $0.model?.hasPrefix(model + ":ckpt-step-") == true })

        let models = try await openAI.models()
        #expect(models.first { $0.id == model }?.isFineTuned == true)
        #expect(models.first { $0.id == LiveOpenAIServer.baseModel }?.isFineTuned == false)
        let jobs = try await openAI.jobs(limit: 10)
        #expect(Set(jobs.map(\.id)) == [job.id, second.id])
        #expect(try await openAI.job(second.id).status == .cancelled)
        #expect(try await openAI.job(second.id).fineTunedModel == nil)
        await #expect(throws: ProviderError.notFound(what: "fine-tuning job", id: "ftjob-nope")) {
            try await openAI.job("ftjob-nope")
        }
    }
}

@Suite("OpenAIProvider against scripted answers")
struct OpenAIProviderScriptedTests {
    static let retry = RetryPolicy(maxAttempts: 3, baseDelay: 0.01, jitter: false)

    func provider(_ server: ScriptedServer) -> OpenAIProvider {
        OpenAIProvider(client: APIClient(provider: .openai, baseURL: server.baseURL.appendingPathComponent("v1"), apiKey: "sk-test",
                                         retry: Self.retry),
                       filePollInterval: .milliseconds(10))
    }

    static func job(_ id: String, status: String = "validating_files", requestID: String = "req-1") -> String {
        #"{"id":"\#(id)","object":"fine_tuning.job","created_at":1700000000,"model":"gpt-4.1-mini","status":"\#(status)","#
            + #""training_file":"file-t","validation_file":null,"hyperparameters":{"n_epochs":"auto","batch_size":"auto","#
            + #""learning_rate_multiplier":"auto"},"seed":1,"fine_tuned_model":null,"finished_at":null,"error":null,"#
            + #""metadata":{"finetune_request_id":"\#(requestID)"}}"#
    }

    @Test("a create whose answer is lost (500) but whose job exists is found by its request id: one POST only")
    func idempotentCreateFindsJob() async throws {
        let server = try await ScriptedServer.start()
        defer { server.stop() }
        await server.script("POST", "/v1/fine_tuning/jobs", .error(500, message: "upstream timeout"))
        await server.script("GET", "/v1/fine_tuning/jobs", .json(#"{"object":"list","data":[\#(Self.job("ftjob-made"))],"has_more":false}"#))
        let request = JobRequest(model: "gpt-4.1-mini", trainingFile: "file-t", requestID: "req-1")
        let job = try await provider(server).createJob(request)
        #expect(job.id == "ftjob-made")
        #expect(job.status == .validating)
        let posts = await server.requests("POST", "/v1/fine_tuning/jobs")
        #expect(posts.count == 1)
        #expect(posts.first?.headers["idempotency-key"] == "req-1")
        let lookup = try #require(await server.requests("GET", "/v1/fine_tuning/jobs").first)
        #expect(lookup.query == ["metadata[finetune_request_id]": "req-1", "limit": "1"])
    }

    @Test("a create that failed before making a job is posted again with the same key")
    func idempotentCreateRetries() async throws {
        let server = try await ScriptedServer.start()
        defer { server.stop() }
        await server.script("POST", "/v1/fine_tuning/jobs", .error(503, message: "overloaded"), .json(Self.job("ftjob-2")))
        await server.script("GET", "/v1/fine_tuning/jobs", .json(#"{"object":"list","data":[],"has_more":false}"#))
        let job = try await provider(server).createJob(JobRequest(model: "gpt-4.1-mini", trainingFile: "file-t", requestID: "req-2"))
        #expect(job.id == "ftjob-2")
        let posts = await server.requests("POST", "/v1/fine_tuning/jobs")
        #expect(posts.map { $0.headers["idempotency-key"] } == ["req-2", "req-2"])
        #expect(posts[0].body == posts[1].body)
    }

    @Test("the create body carries method hyperparameters, W&B, suffix, seed and the request id")
    func createBody() async throws {
        let server = try await ScriptedServer.start()
        defer { server.stop() }
        await server.script("POST", "/v1/fine_tuning/jobs", .json(Self.job("ftjob-3")))
        let request = JobRequest(model: "gpt-4.1-mini", trainingFile: "file-t", validationFile: "file-v", epochs: 3,
                                 learningRateMultiplier: 0.5, batchSize: .count(8), suffix: "pricer", seed: 42,
                                 wandb: WandbRequest(project: "ft", name: "run-1"), metadata: ["team": "ml"], requestID: "req-3")
        _ = try await provider(server).createJob(request)
        let body = try #require(await server.requests("POST", "/v1/fine_tuning/jobs").first?.body)
        let sent = try JSONDecoder().decode(JSONValue.self, from: body)
        let expected: JSONValue = [
            "model": "gpt-4.1-mini", "training_file": "file-t", "validation_file": "file-v", "suffix": "pricer", "seed": 42,
            "method": ["type": "supervised", "supervised": ["hyperparameters": [
                "n_epochs": 3, "batch_size": 8, "learning_rate_multiplier": 0.5]]],
            "integrations": [["type": "wandb", "wandb": ["project": "ft", "name": "run-1"]]],
            "metadata": ["team": "ml", "finetune_request_id": "req-3"],
        ]
        #expect(sent == expected)
    }

    @Test("--batch-size max and an absolute --learning-rate are refused before any request, naming the OpenAI way")
    func refusesTogetherOptions() async throws {
        let server = try await ScriptedServer.start()
        defer { server.stop() }
        let openAI = provider(server)
        let max = await #expect(throws: ProviderError.self) {
            try await openAI.createJob(JobRequest(model: "m", trainingFile: "f", batchSize: .max))
        }
        #expect(max?.description.contains("--batch-size N or --batch-size auto") == true)
        let rate = await #expect(throws: ProviderError.self) {
            try await openAI.createJob(JobRequest(model: "m", trainingFile: "f", learningRate: 1e-4))
        }
        #expect(rate?.description.contains("--learning-rate-multiplier") == true)
        #expect(await server.requests.isEmpty)
    }

    @Test("events are read newest first page by page, up to the cursor, and returned oldest first with metrics")
    func eventPages() async throws {
        let server = try await ScriptedServer.start()
        defer { server.stop() }
        func event(_ n: Int, metrics: Bool = false) -> String {
            let data = metrics ? #"{"step":\#(n),"total_steps":5,"train_loss":1.5,"train_mean_token_accuracy":0.5,"valid_loss":null}"# : "null"
            return #"{"id":"ev\#(n)","object":"fine_tuning.job.event","created_at":\#(1700000000 + n),"level":"info","#
                + #""message":"event \#(n)","type":"\#(metrics ? "metrics" : "message")","data":\#(data)}"#
        }
        let path = "/v1/fine_tuning/jobs/ftjob-1/events"
        await server.script("GET", path,
                            .json(#"{"object":"list","data":[\#(event(5)),\#(event(4, metrics: true)),\#(event(3))],"has_more":true}"#),
                            .json(#"{"object":"list","data":[\#(event(2)),\#(event(1))],"has_more":false}"#),
                            .json(#"{"object":"list","data":[\#(event(5)),\#(event(4, metrics: true)),\#(event(3))],"has_more":true}"#))
        let openAI = provider(server)
        let all = try await openAI.events("ftjob-1", after: nil)
        #expect(all.map(\.id) == ["ev1", "ev2", "ev3", "ev4", "ev5"])
        #expect(all[3].metrics == MetricPoint(step: 4, totalSteps: 5, trainLoss: 1.5, trainAccuracy: 0.5))
        #expect(all[0].metrics == nil && all[0].createdAt == Date(timeIntervalSince1970: 1_700_000_001))
        let requests = await server.requests("GET", path)
        #expect(requests.map { $0.query["after"] } == [nil, "ev3"])
        let newer = try await openAI.events("ftjob-1", after: "ev3")
        #expect(newer.map(\.id) == ["ev4", "ev5"])
        #expect(await server.requests("GET", path).count == 3, "the cursor was on the first page: no second page read")
    }

    @Test("an upload processed later is polled; one in error is rejected with the provider's details")
    func uploadStates() async throws {
        let server = try await ScriptedServer.start()
        defer { server.stop() }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("openai-\(UUID().uuidString).jsonl")
        try Data(LocalData.train.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        func file(_ id: String, _ status: String, details: String? = nil) -> ScriptedResponse {
            .json(#"{"id":"\#(id)","object":"file","bytes":10,"created_at":1,"filename":"t.jsonl","purpose":"fine-tune","#
                + #""status":"\#(status)","status_details":\#(details.map { "\"\($0)\"" } ?? "null")}"#)
        }
        await server.script("POST", "/v1/files", file("file-a", "uploaded"), file("file-b", "uploaded"))
        await server.script("GET", "/v1/files/file-a", file("file-a", "uploaded"), file("file-a", "processed"))
        await server.script("GET", "/v1/files/file-b", file("file-b", "error", details: "Line 3: no assistant message"))
        let openAI = provider(server)
        let done = try await openAI.upload(url, progress: nil)
        #expect(done == RemoteFile(id: "file-a", filename: "t.jsonl", bytes: 10, status: "processed"))
        #expect(await server.requests("GET", "/v1/files/file-a").count == 2)
        await #expect(throws: ProviderError.fileRejected(file: url.path, reason: "Line 3: no assistant message")) {
            try await openAI.upload(url, progress: nil)
        }
    }

    @Test("a 404 on a job path is .notFound; a failed job carries its error")
    func notFoundAndFailure() async throws {
        let server = try await ScriptedServer.start()
        defer { server.stop() }
        await server.script("POST", "/v1/fine_tuning/jobs/ftjob-x/cancel", .error(404, message: "No such job", code: "not_found"))
        let failed = Self.job("ftjob-f", status: "failed")
            .replacingOccurrences(of: #""error":null"#, with: #""error":{"code":"invalid_training_file","message":"Line 4: bad","param":null}"#)
        await server.script("GET", "/v1/fine_tuning/jobs/ftjob-f", .json(failed))
        let openAI = provider(server)
        await #expect(throws: ProviderError.notFound(what: "fine-tuning job", id: "ftjob-x")) { try await openAI.cancel("ftjob-x") }
        let job = try await openAI.job("ftjob-f")
        #expect(job.status == .failed && job.error == JobFailure(code: "invalid_training_file", message: "Line 4: bad"))
        #expect(job.hyperparameters["n_epochs"] == "auto")
    }
}
