import Foundation
import Hummingbird
import HummingbirdTesting
import OpenAIAPI
import Testing
@testable import APIServer

/// Jobs on the real engine: a tiny SmolLM2 LoRA run per test (a few seconds each).
@Suite("/v1/fine_tuning/jobs on the real engine", .serialized, .needsServerModel)
struct JobsAPITests {
    func uploadData(_ client: some TestClientProtocol) async throws -> (train: String, valid: String) {
        let train = try await client.upload(ServerData.train).decode(FileObject.self)
        let valid = try await client.upload(ServerData.valid, filename: "valid.jsonl").decode(FileObject.self)
        return (train.id, valid.id)
    }

    /// Uploads the data, creates a job with batch size 1 and waits until it has trained a step.
    func startTraining(_ client: some TestClientProtocol, _ server: ServerFixture, epochs: Int) async throws -> FineTuningJob {
        let (train, _) = try await uploadData(client)
        let body = #"{"model":"\#(ServerFixture.baseModel)","training_file":"\#(train)","hyperparameters":{"n_epochs":\#(epochs),"batch_size":1}}"#
        let job = try await client.request(.post, "/v1/fine_tuning/jobs", json: body).decode(FineTuningJob.self)
        _ = try await server.waitForJob(job.id) { $0.status == .running }
        try await waitForMetrics(server, job.id)
        return job
    }

    /// Waits until the job has recorded a training step.
    func waitForMetrics(_ server: ServerFixture, _ jobID: String) async throws {
        for _ in 0..<1200 {
            if try await server.components.store.maxMetricsStep(jobID: jobID) != nil { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("job \(jobID) recorded no step")
    }

    @Test("a job goes validating_files → queued → running → succeeded with metrics, checkpoints, a results file and a model")
    func fullJob() async throws {
        let server = try ServerFixture.make()
        try await server.application.test(.router) { client in
            let (train, valid) = try await uploadData(client)
            let body = """
            {"model":"\(ServerFixture.baseModel)","training_file":"\(train)","validation_file":"\(valid)",
             "hyperparameters":{"n_epochs":2,"batch_size":4},"seed":7,"suffix":"caps","metadata":{"team":"a"},
             "integrations":[{"type":"wandb","wandb":{"project":"caps"}}],"some_future_field":true}
            """
            let created = try await client.request(.post, "/v1/fine_tuning/jobs", json: body)
            #expect(created.status == .ok)
            let job = try created.decode(FineTuningJob.self)
            #expect(job.id.hasPrefix("ftjob-"))
            #expect(job.status == "validating_files" || job.status == "queued")
            #expect(job.seed == 7)
            #expect(job.fineTunedModel == nil)
            #expect(job.metadata == ["team": "a"])
            #expect(job.integrations?.count == 1)
            #expect(job.organizationID == "org-local")

            let done = try await server.waitForJob(job.id) { $0.status.isTerminal }
            #expect(done.status == .succeeded, "error: \(String(describing: done.error))")
            let finished = try await client.request(.get, "/v1/fine_tuning/jobs/\(job.id)").decode(FineTuningJob.self)
            #expect(finished.status == "succeeded")
            let model = try #require(finished.fineTunedModel)
            #expect(model.hasPrefix("ft:\(ServerFixture.baseModel):local:caps:"))
            #expect((finished.trainedTokens ?? 0) > 0)
            #expect(finished.finishedAt != nil)
            #expect(finished.hyperparameters.nEpochs == .value(2))
            #expect(finished.hyperparameters.batchSize == .value(4))
            if case .value(let multiplier) = finished.hyperparameters.learningRateMultiplier { #expect(multiplier > 0) }
            else { Issue.record("the multiplier was not resolved") }
            #expect(finished.method.supervised.hyperparameters == finished.hyperparameters)

            // Events: newest first, paginated exactly, with metrics carrying the validation loss.
            var events: [FineTuningJobEvent] = []
            var after: String?
            repeat {
                let uri = "/v1/fine_tuning/jobs/\(job.id)/events?limit=3" + (after.map { "&after=\($0)" } ?? "")
                let page = try await client.request(.get, uri).decode(ListPage<FineTuningJobEvent>.self)
                events += page.data
                after = page.hasMore ? page.data.last?.id : nil
            } while after != nil
            #expect(Set(events.map(\.id)).count == events.count)
            #expect(events.last?.message == "Created fine-tuning job: \(job.id)")
            #expect(events.contains { $0.level == "warn" })           // W&B can't sync offline
            let metrics = events.filter { $0.type == "metrics" }
            let steps = metrics.compactMap { $0.data?.objectValue?["step"]?.doubleValue }.map { Int($0) }
            #expect(steps == Array((1...6).reversed()))               // 12 examples / 4 × 2 epochs
            #expect(metrics.allSatisfy { $0.data?.objectValue?["total_steps"]?.doubleValue == 6 })
            #expect(metrics.allSatisfy { $0.data?.objectValue?["train_loss"]?.doubleValue != nil })
            #expect(metrics.contains { $0.data?.objectValue?["valid_loss"]?.doubleValue != nil })
            #expect(metrics.first?.message.hasPrefix("Step 6/6: training loss=") == true)

            let checkpoints = try await client.request(.get, "/v1/fine_tuning/jobs/\(job.id)/checkpoints")
                .decode(ListPage<FineTuningCheckpoint>.self)
            #expect(!checkpoints.data.isEmpty)
            #expect(checkpoints.data.count <= 3)
            #expect(checkpoints.data.first?.stepNumber == 6)
            #expect(checkpoints.data.map(\.stepNumber) == checkpoints.data.map(\.stepNumber).sorted(by: >))
            #expect(checkpoints.data.first?.fineTunedModelCheckpoint == "\(model):ckpt-step-6")
            #expect(checkpoints.data.first?.metrics.trainLoss != nil)

            // The results file is a CSV with one row per step.
            let resultID = try #require(finished.resultFiles.first)
            let csv = try await client.request(.get, "/v1/files/\(resultID)/content").text
            #expect(csv.hasPrefix("step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy\n"))
            #expect(csv.split(separator: "\n").count == 7)

            // The model is listed, retrievable by its id (with ':' in the path), and deletable.
            let listed = try await client.request(.get, "/v1/models").decode(ModelList.self)
            #expect(listed.data.contains { $0.id == model && $0.ownedBy == "org-local" })
            #expect(listed.data.contains { $0.id == ServerFixture.baseModel && $0.ownedBy == "system" })
            let retrieved = try await client.request(.get, "/v1/models/\(model)").decode(Model.self)
            #expect(retrieved.id == model)
            let checkpointModel = try await client.request(.get, "/v1/models/\(model):ckpt-step-6")
            #expect(checkpointModel.status == .ok)
            // Chat with the fine-tuned model and with its last checkpoint (adapters on the shared base).
            func chat(_ id: String) async throws -> TestResponse {
                try await client.request(.post, "/v1/chat/completions", json: """
                {"model":"\(id)","temperature":0,"max_tokens":12,"messages":[{"role":"user","content":"What is the capital of France?"}]}
                """)
            }
            let answer = try await chat(model)
            #expect(answer.status == .ok, "\(answer.text)")
            let completion = try answer.decode(ChatCompletion.self)
            #expect(completion.model == model)
            #expect(completion.choices.first?.message.content?.isEmpty == false)
            #expect(try await chat("\(model):ckpt-step-6").status == .ok)

            let deleted = try await client.request(.delete, "/v1/models/\(model)").decode(DeletionStatus.self)
            #expect(deleted.deleted)
            #expect(try await client.request(.get, "/v1/models/\(model)").status == .notFound)
            let afterDelete = try await chat(model)
            #expect(afterDelete.status == .notFound)
            #expect(afterDelete.apiError?.code == "model_not_found")
            let after_ = try await client.request(.get, "/v1/fine_tuning/jobs/\(job.id)").decode(FineTuningJob.self)
            #expect(after_.status == "succeeded")
            #expect(try await client.request(.delete, "/v1/models/\(ServerFixture.baseModel)").status == .forbidden)

            // A finished job can't be cancelled.
            let cancel = try await client.request(.post, "/v1/fine_tuning/jobs/\(job.id)/cancel")
            #expect(cancel.status == .badRequest)
        }
    }

    @Test("cancelling a running job answers cancelled at once, and the trainer's result is discarded")
    func cancelRunning() async throws {
        let server = try ServerFixture.make()
        try await server.application.test(.router) { client in
            let job = try await startTraining(client, server, epochs: 10)
            let cancelled = try await client.request(.post, "/v1/fine_tuning/jobs/\(job.id)/cancel")
            #expect(cancelled.status == .ok)
            #expect(try cancelled.decode(FineTuningJob.self).status == "cancelled")
            try await server.waitUntilIdle()
            let final = try await client.request(.get, "/v1/fine_tuning/jobs/\(job.id)").decode(FineTuningJob.self)
            #expect(final.status == "cancelled")
            #expect(final.fineTunedModel == nil)
            #expect(final.finishedAt != nil)
            let again = try await client.request(.post, "/v1/fine_tuning/jobs/\(job.id)/cancel")
            #expect(again.status == .ok)                              // idempotent on a cancelled job
            let events = try await client.request(.get, "/v1/fine_tuning/jobs/\(job.id)/events?limit=100")
                .decode(ListPage<FineTuningJobEvent>.self)
            #expect(events.data.contains { $0.message == "Fine-tuning job cancelled" })
            let models = try await client.request(.get, "/v1/models").decode(ModelList.self)
            #expect(!models.data.contains { $0.id.hasPrefix("ft:") })
        }
    }

    @Test("a paused job keeps its checkpoint and finishes after resume, each step recorded once")
    func pauseAndResume() async throws {
        let server = try ServerFixture.make()
        try await server.application.test(.router) { client in
            let job = try await startTraining(client, server, epochs: 1)
            let paused = try await client.request(.post, "/v1/fine_tuning/jobs/\(job.id)/pause")
            #expect(try paused.decode(FineTuningJob.self).status == "paused")
            try await server.waitUntilIdle()
            #expect(try await server.components.store.job(id: job.id)?.status == .paused)
            let resumed = try await client.request(.post, "/v1/fine_tuning/jobs/\(job.id)/resume")
            #expect(try resumed.decode(FineTuningJob.self).status == "queued")
            let done = try await server.waitForJob(job.id) { $0.status.isTerminal }
            #expect(done.status == .succeeded, "error: \(String(describing: done.error))")
            let events = try await client.request(.get, "/v1/fine_tuning/jobs/\(job.id)/events?limit=1000")
                .decode(ListPage<FineTuningJobEvent>.self)
            let steps = events.data.filter { $0.type == "metrics" }.compactMap { $0.data?.objectValue?["step"]?.doubleValue }
            #expect(steps.map { Int($0) } == Array((1...12).reversed()))
            #expect(try await client.request(.post, "/v1/fine_tuning/jobs/\(job.id)/resume").status == .badRequest)
        }
    }

    @Test("a server stopped mid-run picks the job up from its checkpoint when it starts again")
    func restartResumes() async throws {
        let first = try ServerFixture.make()
        let jobID: String = try await first.application.test(.router) { client in
            let (train, _) = try await uploadData(client)
            let body = #"{"model":"\#(ServerFixture.baseModel)","training_file":"\#(train)","hyperparameters":{"n_epochs":1,"batch_size":1}}"#
            return try await client.request(.post, "/v1/fine_tuning/jobs", json: body).decode(FineTuningJob.self).id
        }
        _ = try await first.waitForJob(jobID) { _ in
            FileManager.default.fileExists(atPath: first.home.runDirectory(id: jobID).appendingPathComponent("checkpoints/latest").path)
        }
        await first.components.scheduler.shutdown()
        let stopped = try #require(try await first.components.store.job(id: jobID))
        #expect(stopped.status == .running)
        let eventsBefore = try await first.components.store.listEvents(jobID: jobID, after: nil, limit: 1000).items

        let second = try ServerFixture.make(home: first.home)
        try await second.components.scheduler.recover()
        let done = try await second.waitForJob(jobID) { $0.status.isTerminal }
        #expect(done.status == .succeeded, "error: \(String(describing: done.error))")
        let eventsAfter = try await second.components.store.listEvents(jobID: jobID, after: nil, limit: 1000).items
        #expect(Set(eventsBefore.map(\.id)).isSubset(of: Set(eventsAfter.map(\.id))))
        let steps = eventsAfter.filter { $0.type == "metrics" }.compactMap { $0.data?.objectValue?["step"]?.doubleValue }
        #expect(steps.map { Int($0) } == Array((1...12).reversed()))
    }
}

@Suite("job requests that must fail, with OpenAI's errors", .needsServerModel)
struct JobRequestErrorTests {
    @Test("unknown model, unknown or invalid files and bad hyperparameters get 404 / 400 naming the parameter")
    func badRequests() async throws {
        let server = try ServerFixture.make()
        try await server.application.test(.router) { client in
            let train = try await client.upload(ServerData.train).decode(FileObject.self).id
            let invalid = try await client.upload("{\"messages\": []}\n").decode(FileObject.self).id
            func create(_ json: String) async throws -> TestResponse {
                try await client.request(.post, "/v1/fine_tuning/jobs", json: json)
            }
            let base = ServerFixture.baseModel
            let unknownModel = try await create(#"{"model":"gpt-9","training_file":"\#(train)"}"#)
            #expect(unknownModel.status == .notFound)
            #expect(unknownModel.apiError?.code == "model_not_found")
            let unknownFile = try await create(#"{"model":"\#(base)","training_file":"file-nope"}"#)
            #expect(unknownFile.status == .badRequest)
            #expect(unknownFile.apiError?.param == "training_file")
            let invalidFile = try await create(#"{"model":"\#(base)","training_file":"\#(invalid)"}"#)
            #expect(invalidFile.status == .badRequest)
            #expect(invalidFile.apiError?.code == "invalid_training_file")
            #expect(invalidFile.apiError?.message.contains("Line 1") == true)
            for (value, param) in [(#""n_epochs":0"#, "hyperparameters.n_epochs"), (#""batch_size":"many""#, "hyperparameters.batch_size"),
                                   (#""learning_rate_multiplier":-1"#, "hyperparameters.learning_rate_multiplier")] {
                let bad = try await create(#"{"model":"\#(base)","training_file":"\#(train)","hyperparameters":{\#(value)}}"#)
                #expect(bad.status == .badRequest, "\(value)")
                #expect(bad.apiError?.param == param, "\(value): \(bad.text)")
            }
            let dpo = try await create(#"{"model":"\#(base)","training_file":"\#(train)","method":{"type":"dpo"}}"#)
            #expect(dpo.status == .badRequest)
            let suffix = try await create(#"{"model":"\#(base)","training_file":"\#(train)","suffix":"a:b"}"#)
            #expect(suffix.status == .badRequest)
            #expect(suffix.apiError?.param == "suffix")
            let notJSON = try await create("{model")
            #expect(notJSON.status == .badRequest)
            #expect(notJSON.apiError != nil)
            let missing = try await create(#"{"model":"\#(base)"}"#)
            #expect(missing.status == .badRequest)
            #expect(missing.apiError?.param == "training_file")

            #expect(try await client.request(.get, "/v1/fine_tuning/jobs/ftjob-nope").status == .notFound)
            #expect(try await client.request(.get, "/v1/fine_tuning/jobs/ftjob-nope/events").status == .notFound)
            #expect(try await client.request(.get, "/v1/fine_tuning/jobs/ftjob-nope/checkpoints").status == .notFound)
            #expect(try await client.request(.post, "/v1/fine_tuning/jobs/ftjob-nope/cancel").status == .notFound)
            #expect(try await client.request(.get, "/v1/fine_tuning/jobs?after=ftjob-nope").status == .badRequest)
            #expect(try await client.request(.get, "/v1/fine_tuning/jobs?limit=0").status == .badRequest)
            let list = try await client.request(.get, "/v1/fine_tuning/jobs").decode(ListPage<FineTuningJob>.self)
            #expect(list.data.isEmpty)
            #expect(!list.hasMore)
        }
    }

    @Test("jobs list newest first, page with after/limit, and filter on metadata")
    func listAndFilter() async throws {
        let server = try ServerFixture.make()
        try await server.application.test(.router) { client in
            let train = try await client.upload(ServerData.train).decode(FileObject.self).id
            var ids: [String] = []
            for (index, team) in ["a", "b", "a"].enumerated() {
                let json = #"{"model":"\#(ServerFixture.baseModel)","training_file":"\#(train)","metadata":{"team":"\#(team)","n":"\#(index)"}}"#
                let job = try await client.request(.post, "/v1/fine_tuning/jobs", json: json).decode(FineTuningJob.self)
                ids.append(job.id)
                _ = try await client.request(.post, "/v1/fine_tuning/jobs/\(job.id)/cancel")
            }
            let plain = try await client.request(.post, "/v1/fine_tuning/jobs",
                                                 json: #"{"model":"\#(ServerFixture.baseModel)","training_file":"\#(train)"}"#)
                .decode(FineTuningJob.self)
            _ = try await client.request(.post, "/v1/fine_tuning/jobs/\(plain.id)/cancel")
            let first = try await client.request(.get, "/v1/fine_tuning/jobs?limit=2").decode(ListPage<FineTuningJob>.self)
            #expect(first.data.map(\.id) == [plain.id, ids[2]])
            #expect(first.hasMore)
            let second = try await client.request(.get, "/v1/fine_tuning/jobs?limit=2&after=\(ids[2])").decode(ListPage<FineTuningJob>.self)
            #expect(second.data.map(\.id) == [ids[1], ids[0]])
            #expect(!second.hasMore)
            let teamA = try await client.request(.get, "/v1/fine_tuning/jobs?metadata%5Bteam%5D=a").decode(ListPage<FineTuningJob>.self)
            #expect(teamA.data.map(\.id) == [ids[2], ids[0]])
            let both = try await client.request(.get, "/v1/fine_tuning/jobs?metadata[team]=a&metadata[n]=2").decode(ListPage<FineTuningJob>.self)
            #expect(both.data.map(\.id) == [ids[2]])
            let none = try await client.request(.get, "/v1/fine_tuning/jobs?metadata=null").decode(ListPage<FineTuningJob>.self)
            #expect(none.data.map(\.id) == [plain.id])
            try await server.waitUntilIdle()
        }
    }
}
