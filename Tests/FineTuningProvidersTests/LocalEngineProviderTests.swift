@testable import FineTuningProviders
import Foundation
import LoRATraining
import ModelHub
import Testing

/// The in-process engine on the real SmolLM2: 12 short examples, batch 4 (three steps an epoch).
@Suite("Local engine provider", .needsLocalModel, .serialized)
final class LocalEngineProviderTests {
    let home: FinetuneHome
    let train: RemoteFile
    let valid: RemoteFile
    let provider: LocalEngineProvider

    init() async throws {
        home = try LocalTestSupport.homeWithModel()
        provider = LocalTestSupport.provider(home: home)
        train = try await provider.upload(try LocalTestSupport.file(LocalData.train, name: "train.jsonl", in: home), progress: nil)
        valid = try await provider.upload(try LocalTestSupport.file(LocalData.valid, name: "valid.jsonl", in: home), progress: nil)
    }

    deinit {
        try? FileManager.default.removeItem(at: home.url)
    }

    func request(epochs: Int, suffix: String? = nil, validation: Bool = true) -> JobRequest {
        JobRequest(model: LocalTestSupport.baseModel, trainingFile: train.id, validationFile: validation ? valid.id : nil,
                   epochs: epochs, batchSize: .count(4), suffix: suffix, seed: 7)
    }

    func follow(_ id: String) async throws -> JobSnapshot {
        try await JobMonitor(provider: provider, interval: .milliseconds(20)).follow(id) { _ in }
    }

    @Test("trains to success: the plan, a metrics event per step, validation, checkpoints, a registered model")
    func succeeds() async throws {
        #expect(train.status == "processed")
        #expect(train.id == home.url.appendingPathComponent("train.jsonl").path)
        #expect(train.bytes == LocalData.train.utf8.count)
        let created = try await provider.createJob(request(epochs: 1, suffix: "capitals"))
        #expect(created.status == .queued || created.status == .running)
        #expect(created.hyperparameters["n_epochs"] == .number(1))
        #expect(created.hyperparameters["batch_size"] == .number(4))
        #expect(created.hyperparameters["total_steps"] == .number(3))
        #expect(created.seed == 7)
        let final = try await follow(created.id)
        #expect(final.status == .succeeded)
        #expect(final.error == nil)
        #expect(final.finishedAt != nil)
        #expect((final.trainedTokens ?? 0) > 0)

        let events = try await provider.events(created.id, after: nil)
        let messages = events.map(\.message)
        #expect(messages.contains { $0.hasPrefix("Training on 12 examples") && $0.contains("validating on 4") })
        #expect(messages.contains { $0.hasPrefix("Epochs 1, batch size 4, learning rate") && $0.contains("3 steps") })
        #expect(messages.contains { $0.hasPrefix("LoRA adapters: ") })
        let steps = LocalTestSupport.stepNumbers(events)
        #expect(steps.train == [1, 2, 3])
        #expect(steps.valid.last == 3)
        #expect(steps.valid.first == 0)                        // the loss before training
        let step3 = try #require(events.first { $0.metrics?.step == 3 && $0.metrics?.trainLoss != nil })
        #expect(step3.message.hasPrefix("Step 3/3: training loss="))
        #expect(step3.metrics?.totalSteps == 3)
        #expect(step3.metrics?.learningRate != nil)
        #expect(Set(events.map(\.id)).count == events.count)
        // events(after:) returns only the newer ones.
        let later = try await provider.events(created.id, after: events[events.count - 3].id)
        #expect(later.map(\.id) == events.suffix(2).map(\.id))

        let checkpoints = try await provider.checkpoints(created.id)
        let newest = try #require(checkpoints.first)
        #expect(newest.step == 3)
        #expect(newest.id == "step-3")
        #expect(newest.metrics?.trainLoss != nil)
        #expect(FileManager.default.fileExists(atPath: try #require(newest.path)))
        #expect(checkpoints.map(\.step) == checkpoints.map(\.step).sorted(by: >))

        let run = try #require(provider.runDirectory(of: created.id))
        #expect(run.deletingLastPathComponent().path == home.runsURL.standardizedFileURL.path)
        #expect(created.id == run.lastPathComponent)
        let random = try #require(created.id.split(separator: "-").dropFirst(3).first)
        let name = "ft:\(LocalTestSupport.baseModel):capitals:\(random)"
        #expect(final.fineTunedModel == name)
        let record = try #require(try LocalTestSupport.models(in: home).first { $0.name == name })
        #expect(record.origin == .fineTuned)
        #expect(record.baseModel == LocalTestSupport.baseModel)
        #expect(try await provider.models().contains { $0.id == name && $0.isFineTuned })
        #expect(try await provider.models().contains { $0.id == LocalTestSupport.baseModel && !$0.isFineTuned })

        let summary = try #require(provider.summary(of: created.id))
        #expect(summary.steps == 3)
        #expect(summary.finalValidLoss != nil)
        #expect(FileManager.default.fileExists(atPath: summary.adapterDirectory + "/adapter_config.json"))
        #expect(provider.latestStep(of: created.id)?.step == 3)
        #expect(try await provider.jobs(limit: 10).map(\.id) == [created.id])
    }

    @Test("cancel: training stops after the current step, the job says cancelled, no model is registered")
    func cancels() async throws {
        let created = try await provider.createJob(request(epochs: 4, validation: false))
        try await LocalTestSupport.wait { provider.latestStep(of: created.id) != nil }
        let cancelled = try await provider.cancel(created.id)
        #expect(cancelled.status == .cancelled)
        await provider.waitUntilStopped(created.id)
        let final = try await provider.job(created.id)
        #expect(final.status == .cancelled)
        #expect(final.fineTunedModel == nil)
        #expect(provider.summary(of: created.id) == nil)
        #expect(try LocalTestSupport.models(in: home).allSatisfy { $0.origin != .fineTuned })
        let trained = LocalTestSupport.stepNumbers(try await provider.events(created.id, after: nil)).train
        #expect(trained.count < 12)
        // Cancelling again is harmless; pausing or resuming a cancelled job is refused.
        #expect(try await provider.cancel(created.id).status == .cancelled)
        await #expect(throws: ProviderError.self) { try await provider.pause(created.id) }
        await #expect(throws: ProviderError.self) { try await provider.resume(created.id) }
        #expect(try await JobMonitor(provider: provider, interval: .milliseconds(20)).follow(created.id) { _ in }.status == .cancelled)
    }

    @Test("pause stops with a checkpoint at the last step; resume continues from it, each step's metrics once")
    func pausesAndResumes() async throws {
        let created = try await provider.createJob(request(epochs: 2, validation: false))
        try await LocalTestSupport.wait { provider.latestStep(of: created.id) != nil }
        let paused = try await provider.pause(created.id)
        #expect(paused.status == .paused)
        await provider.waitUntilStopped(created.id)
        #expect(try await provider.job(created.id).status == .paused)
        let stoppedAt = try #require(provider.latestStep(of: created.id)?.step)
        #expect(stoppedAt < 6)
        #expect(try await provider.checkpoints(created.id).first?.step == stoppedAt)
        let eventsWhilePaused = try await provider.events(created.id, after: nil)
        #expect(eventsWhilePaused.last?.message.hasPrefix("Training paused after step \(stoppedAt) of 6") == true)

        let resumed = try await provider.resume(created.id)
        #expect(resumed.status == .running)
        let final = try await follow(created.id)
        #expect(final.status == .succeeded)
        #expect(final.fineTunedModel != nil)
        let events = try await provider.events(created.id, after: nil)
        #expect(LocalTestSupport.stepNumbers(events).train == Array(1...6))
        #expect(events.contains { $0.message == "Resuming at step \(stoppedAt) of 6." })
    }

    @Test("a file with an error is rejected, naming its line")
    func rejectsInvalidFile() async throws {
        let url = try LocalTestSupport.file(LocalData.invalid, name: "bad.jsonl", in: home)
        let error = await #expect(throws: ProviderError.self) { try await provider.upload(url, progress: nil) }
        guard case .fileRejected(let file, let reason)? = error else {
            Issue.record("expected fileRejected, got \(String(describing: error))")
            return
        }
        #expect(file == url.path)
        #expect(reason.contains("line 3"))
        #expect(reason.contains("bot"))
        #expect(error?.description.contains("finetune validate") == true)
    }

    @Test("a request the local engine can't honour is refused before any training")
    func refusesRequests() async throws {
        var max = request(epochs: 1)
        max.batchSize = .max
        await #expect(throws: ProviderError.invalidRequest("the local engine takes --batch-size N or auto, not max")) {
            try await provider.createJob(max)
        }
        var unknown = request(epochs: 1)
        unknown.model = "no-such-model"
        let error = await #expect(throws: ProviderError.self) { try await provider.createJob(unknown) }
        #expect(error?.description.contains("no-such-model") == true)
        #expect(error?.description.contains(LocalTestSupport.baseModel) == true)      // the known names
        var rate = request(epochs: 1)
        rate.learningRate = 5
        let rateError = await #expect(throws: ProviderError.self) { try await provider.createJob(rate) }
        #expect(rateError?.description.contains("--learning-rate") == true)
        #expect(try await provider.jobs(limit: 10).isEmpty)
        await #expect(throws: ProviderError.notFound(what: "fine-tuning job", id: "run-missing")) {
            try await provider.job("run-missing")
        }
    }
}

/// The engine's request handling and naming, without a model.
@Suite("Local engine configuration")
struct LocalEngineConfigurationTests {
    let configuration = LocalEngineConfiguration(home: FinetuneHome(url: URL(fileURLWithPath: "/nonexistent-home")), threads: 1)

    @Test("run ids and fine-tuned model names follow `finetune train`")
    func naming() throws {
        let id = LocalEngineConfiguration.runID(suffix: "pricer", now: Date(timeIntervalSince1970: 1_700_000_000))
        #expect(id.hasPrefix("run-20231114-221320-"))
        #expect(id.hasSuffix("-pricer"))
        let random = try #require(id.split(separator: "-").dropFirst(3).first)
        let run = URL(fileURLWithPath: "/runs/\(id)")
        #expect(LocalEngineConfiguration.fineTunedModelName(baseModel: "smollm2-135m-instruct", suffix: "pricer", runDirectory: run)
                == "ft:smollm2-135m-instruct:pricer:\(random)")
        #expect(LocalEngineConfiguration.fineTunedModelName(baseModel: "/models/SmolLM2.Q8_0.gguf", suffix: nil, runDirectory: run)
                == "ft:smollm2.q8_0:lora:\(random)")
        // A folder named otherwise (--output DIR): six hex digits of its path's SHA-256
        // (`printf /tmp/mine | sha256sum`), so two such folders never share a name.
        #expect(LocalEngineConfiguration.fineTunedModelName(baseModel: "m", suffix: nil, runDirectory: URL(fileURLWithPath: "/tmp/mine"))
                == "ft:m:lora:454671")
        #expect(LocalEngineConfiguration.fineTunedModelName(baseModel: "m", suffix: nil, runDirectory: URL(fileURLWithPath: "/tmp/other"))
                == "ft:m:lora:627258")
    }

    @Test("a request's choices override the configured options; a multiplier scales the base rate")
    func requestOverrides() throws {
        var request = JobRequest(model: "m", trainingFile: "t.jsonl", epochs: 2, learningRateMultiplier: 0.5, batchSize: .count(8),
                                 lora: LoRARequest(rank: 16, targetModules: ["q_proj", "v"]), seed: 3)
        let options = try configuration.options(for: request, baseLearningRate: 1e-3)
        #expect(options.epochs == 2)
        #expect(options.batchSize == 8)
        #expect(options.learningRate == 5e-4)
        #expect(options.seed == 3)
        #expect(options.lora.rank == 16)
        #expect(options.lora.alpha == 32)                 // follows the rank
        #expect(options.lora.targets.map(\.rawValue) == ["q_proj", "v_proj"])
        request.lora = LoRARequest(alpha: 4, targetModules: ["all-linear"])
        request.learningRateMultiplier = nil
        request.learningRate = 2e-4
        let second = try configuration.options(for: request, baseLearningRate: 1e-3)
        #expect(second.learningRate == 2e-4)
        #expect(second.lora.targets.map(\.rawValue) == ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
        #expect(second.lora.alpha == 4)
        #expect(second.lora.rank == TrainingOptions().lora.rank)
    }

    @Test("what only hosted providers do is refused with the reason", arguments: [
        (JobRequest(model: "m", trainingFile: "t", batchSize: .max), "--batch-size N or auto"),
        (JobRequest(model: "m", trainingFile: "t", learningRate: 1e-4, learningRateMultiplier: 2), "not both"),
        (JobRequest(model: "m", trainingFile: "t", useLoRA: false), "full fine-tuning"),
        (JobRequest(model: "m", trainingFile: "t", wandb: WandbRequest(project: "p")), "Weights & Biases"),
        (JobRequest(model: "m", trainingFile: "t", lora: LoRARequest(targetModules: ["lm_head"])), "'lm_head'"),
        (JobRequest(model: "m", trainingFile: "t", learningRateMultiplier: -1), "positive"),
    ])
    func refuses(request: JobRequest, reason: String) {
        let error = #expect(throws: ProviderError.self) { try configuration.options(for: request, baseLearningRate: 1e-3) }
        #expect(error?.description.contains(reason) == true, "\(String(describing: error))")
    }

    @Test("the stop latch gives the trainer the same answer after a step and before the next")
    func stopLatch() {
        let latch = StopLatch()
        #expect(!latch.isCancelled)
        latch.stepReported()
        latch.request(.pause)
        #expect(!latch.isCancelled)                       // asked after this step's answer was fixed
        #expect(latch.reason == .pause)
        latch.stepReported()
        #expect(latch.isCancelled)
        latch.request(.cancel)
        #expect(latch.reason == .cancel)                  // a cancel wins over a pause
        latch.request(.pause)
        #expect(latch.reason == .cancel)
        let early = StopLatch()
        early.request(.cancel)
        #expect(early.isCancelled)                        // before any step, the live request counts
    }
}
