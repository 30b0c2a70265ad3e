import Foundation
import LoRATraining
import Logging
import ModelHub
import OpenAIAPI

/// Runs fine-tuning jobs: validates their files, queues them, trains at most `maxConcurrentJobs`
/// at a time, turns the trainer's progress into job events and checkpoints, and carries the job
/// through OpenAI's status machine (API.md §6.3):
///
/// `validating_files → queued → running → succeeded | failed | cancelled`, and `running ⇄ paused`.
///
/// Terminal states never change: every status write goes through `APIStore.updateJob` with a
/// closure that refuses to touch a terminal job, so a trainer that finishes after a cancel is
/// discarded. State lives only in the store and the run folders, so after a crash `recover()`
/// puts every unfinished job back in line and a running one resumes from its last checkpoint.
public actor JobScheduler {
    let store: any APIStore
    let files: FileStorage
    let engine: any TrainingEngine
    let models: ModelStore
    let maxConcurrentJobs: Int
    let logger: Logger
    /// Jobs waiting for a training slot, oldest first.
    private var waiting: [String] = []
    private var running: [String: StopSignal] = [:]
    private var tasks: [String: Task<Void, Never>] = [:]
    private var shuttingDown = false

    public init(store: any APIStore, files: FileStorage, engine: any TrainingEngine, models: ModelStore,
                maxConcurrentJobs: Int = 1, logger: Logger) {
        self.store = store
        self.files = files
        self.engine = engine
        self.models = models
        self.maxConcurrentJobs = max(1, maxConcurrentJobs)
        self.logger = logger
    }

    /// Puts every unfinished job back to work after a start: files are validated again, queued
    /// jobs wait their turn, and a job that was running when the server stopped resumes from its
    /// last checkpoint (it keeps its place at the front of the queue).
    public func recover() async throws {
        let unfinished = try await store.jobs(status: [.validatingFiles, .queued, .running])
        for job in unfinished where job.status == .running {
            _ = try await store.updateJob(id: job.id, events: [JobEvents.message(job.id, "The server restarted; the job continues from its last checkpoint")]) {
                guard $0.status == .running else { return false }
                $0.status = .queued
                return true
            }
            waiting.append(job.id)
        }
        for job in unfinished where job.status == .queued { waiting.append(job.id) }
        for job in unfinished where job.status == .validatingFiles { startValidation(job.id) }
        pump()
    }

    /// Starts the work for a job that was just created (status `validating_files`).
    public func submit(_ jobID: String) {
        startValidation(jobID)
    }

    /// Cancels a job that hasn't finished. The returned job already says `cancelled`; a running
    /// trainer stops after its current step and its result is discarded.
    /// - Throws: `APIError.badRequest` for a job that already succeeded or failed.
    public func cancel(_ jobID: String) async throws -> StoredJob {
        let job = try await transition(jobID, to: .cancelled, from: [.validatingFiles, .queued, .running, .paused],
                                       message: "Fine-tuning job cancelled", idempotent: true)
        waiting.removeAll { $0 == jobID }
        running[jobID]?.stop(.cancel)
        return job
    }

    /// Pauses a running job: the trainer saves a checkpoint after the current step, and
    /// `resume` continues from it.
    public func pause(_ jobID: String) async throws -> StoredJob {
        let job = try await transition(jobID, to: .paused, from: [.running, .queued], message: "Fine-tuning job paused")
        waiting.removeAll { $0 == jobID }
        running[jobID]?.stop(.pause)
        return job
    }

    /// Puts a paused job back in the queue; it continues from the checkpoint it paused at.
    public func resume(_ jobID: String) async throws -> StoredJob {
        let job = try await transition(jobID, to: .queued, from: [.paused], message: "Fine-tuning job resumed")
        if !waiting.contains(jobID) { waiting.append(jobID) }
        pump()
        return job
    }

    /// Stops taking work and asks every running trainer to stop after its current step with a
    /// checkpoint; returns once they have. Their jobs stay `running` in the store and resume when
    /// the server starts again.
    public func shutdown() async {
        shuttingDown = true
        for signal in running.values { signal.stop(.shutdown) }
        let pending = Array(tasks.values)
        for task in pending { await task.value }
    }

    /// Jobs training now (for tests and `/health`).
    public var runningJobIDs: [String] { Array(running.keys) }

    // MARK: - Status changes

    private func transition(_ jobID: String, to status: JobStatus, from allowed: Set<JobStatus>, message: String,
                            idempotent: Bool = false) async throws -> StoredJob {
        guard let current = try await store.job(id: jobID) else {
            throw APIError.notFound("No fine-tuning job found with id '\(jobID)'", param: "fine_tuning_job_id", code: "job_not_found")
        }
        if idempotent, current.status == status { return current }
        let event = JobEvents.message(jobID, message)
        let updated = try await store.updateJob(id: jobID, events: [event]) { job in
            guard allowed.contains(job.status) else { return false }
            job.status = status
            if status.isTerminal { job.finishedAt = JobEvents.now() }
            if status != .running { job.estimatedFinish = nil }
            return true
        }
        guard let updated else {
            throw APIError.notFound("No fine-tuning job found with id '\(jobID)'", param: "fine_tuning_job_id", code: "job_not_found")
        }
        if updated.status != status {
            let refused = updated.status
            if idempotent, refused == status { return updated }
            let verb = status == .cancelled ? "cancel" : status == .paused ? "pause" : "resume"
            throw APIError.badRequest("Job \(jobID) is \(refused.rawValue) and cannot be \(verb == "cancel" ? "cancelled" : verb + "d")",
                                      param: nil, code: "invalid_job_status")
        }
        return updated
    }

    // MARK: - Validation

    private func startValidation(_ jobID: String) {
        let task = Task { await self.validate(jobID) }
        tasks["validate-" + jobID] = task
    }

    private func validate(_ jobID: String) async {
        defer { tasks["validate-" + jobID] = nil }
        do {
            guard let job = try await store.job(id: jobID), job.status == .validatingFiles else { return }
            let spec = try await specification(for: job)
            let prepared = try await engine.prepare(spec)
            let h = prepared.hyperparameters
            let multiplier: Double
            if case .value(let m)? = job.requested.learningRateMultiplier { multiplier = m }
            else { multiplier = Double(h.learningRate / prepared.baseLearningRate) }
            let resolved = ResolvedJobHyperparameters(
                nEpochs: h.epochs, batchSize: h.batchSize, learningRateMultiplier: (multiplier * 1e6).rounded() / 1e6,
                learningRate: Double(prepared.baseLearningRate) * multiplier, totalSteps: h.totalSteps)
            let events = [
                JobEvents.message(jobID, "Validating training file: \(job.trainingFile)"
                                  + (job.validationFile.map { " and validation file: \($0)" } ?? "")),
                JobEvents.message(jobID, "Files validated, moving job to queued state"),
            ]
            let queued = try await store.updateJob(id: jobID, events: events) {
                guard $0.status == .validatingFiles else { return false }
                $0.status = .queued
                $0.resolved = resolved
                return true
            }
            guard queued?.status == .queued, queued?.resolved == resolved else { return }    // cancelled meanwhile
            waiting.append(jobID)
            pump()
        } catch {
            await fail(jobID, error, code: "invalid_training_file")
        }
    }

    // MARK: - Training

    private func pump() {
        guard !shuttingDown else { return }
        while running.count < maxConcurrentJobs, !waiting.isEmpty {
            let jobID = waiting.removeFirst()
            let signal = StopSignal()
            running[jobID] = signal
            tasks[jobID] = Task { await self.execute(jobID, signal: signal) }
        }
    }

    private func finished(_ jobID: String) {
        running[jobID] = nil
        tasks[jobID] = nil
        pump()
    }

    private func execute(_ jobID: String, signal: StopSignal) async {
        defer { finished(jobID) }
        do {
            guard let job = try await store.job(id: jobID), job.status == .queued, let resolved = job.resolved else { return }
            let spec = try await specification(for: job, resolved: resolved)
            let resume = CheckpointFolder.hasCheckpoint(runDirectory: spec.runDirectory)
            let startEvent = resume ? "Fine-tuning job resumed from its last checkpoint" : "Fine-tuning job started"
            let started = try await store.updateJob(id: jobID, events: [JobEvents.message(jobID, startEvent)]) {
                guard $0.status == .queued else { return false }
                $0.status = .running
                if $0.startedAt == nil { $0.startedAt = JobEvents.now() }
                return true
            }
            guard started?.status == .running else { return }
            let recorder = JobProgressRecorder(jobID: jobID, modelName: job.modelName, store: store,
                                               alreadyRecordedStep: try await store.maxMetricsStep(jobID: jobID) ?? 0,
                                               logger: logger)
            let (stream, continuation) = AsyncStream.makeStream(of: TrainingEvent.self)
            let consumer = Task { await recorder.consume(stream) }
            let outcome: Result<TrainingSummary, any Error>
            do {
                outcome = .success(try await engine.train(spec, resume: resume, stop: signal) { continuation.yield($0) })
            } catch {
                outcome = .failure(error)
            }
            continuation.finish()
            await consumer.value
            switch (outcome, signal.reason) {
            case (.success(let summary), nil) where summary.steps >= summary.hyperparameters.totalSteps:
                try await succeed(job, summary: summary, trainedTokens: await recorder.trainedTokens(epochs: resolved.nEpochs))
            case (.success(let summary), .shutdown?):
                try await store.appendEvents([JobEvents.message(jobID, "The server is stopping: training stopped after step \(summary.steps) with a checkpoint and continues when the server restarts")])
            case (.success(let summary), .pause?):
                try await store.appendEvents([JobEvents.message(jobID, "Training paused after step \(summary.steps) with a checkpoint")])
            case (.success, _):
                break     // cancelled: the job already says so; the result is discarded
            case (.failure(let error), let reason):
                if reason == .cancel { break }
                await fail(jobID, error, code: "training_failed")
            }
        } catch {
            await fail(jobID, error, code: "training_failed")
        }
    }

    private func succeed(_ job: StoredJob, summary: TrainingSummary, trainedTokens: Int) async throws {
        let resultFile = try await writeResults(job)
        do {
            _ = try models.registerFineTuned(name: job.modelName, baseModel: job.model,
                                             adapterDirectory: URL(fileURLWithPath: summary.adapterDirectory),
                                             runDirectory: URL(fileURLWithPath: summary.runDirectory))
        } catch {
            logger.warning("could not register \(job.modelName) with `finetune models`: \(error)")
        }
        let event = JobEvents.message(job.id, "The job has successfully completed")
        let updated = try await store.updateJob(id: job.id, events: [JobEvents.message(job.id, "New fine-tuned model created: \(job.modelName)"), event]) {
            guard $0.status == .running else { return false }
            $0.status = .succeeded
            $0.fineTunedModel = job.modelName
            $0.finishedAt = JobEvents.now()
            $0.estimatedFinish = nil
            $0.trainedTokens = max(1, trainedTokens)
            if let resultFile { $0.resultFiles = [resultFile] }
            return true
        }
        logger.info("job \(job.id) \(updated?.status.rawValue ?? "gone"): \(job.modelName)")
    }

    private func fail(_ jobID: String, _ error: any Error, code: String) async {
        let message = describe(error)
        logger.error("job \(jobID) failed: \(message)")
        let errorCode: String
        switch error as? TrainingError {
        case .invalidData?, .nothingToTrain?, .template?: errorCode = "invalid_training_file"
        default: errorCode = code
        }
        _ = try? await store.updateJob(id: jobID, events: [JobEvents.message(jobID, message, level: "error")]) {
            guard !$0.status.isTerminal else { return false }
            $0.status = .failed
            $0.finishedAt = JobEvents.now()
            $0.estimatedFinish = nil
            $0.error = FineTuningJobError(code: errorCode, message: message, param: errorCode == "invalid_training_file" ? "training_file" : nil)
            return true
        }
    }

    /// A message for the job's error: what went wrong, with the server's own folders left out
    /// (a user knows their files by id, not by where the server keeps them).
    func describe(_ error: any Error) -> String {
        let text: String
        if let api = error as? APIError { text = api.message }
        else if let training = error as? TrainingError { text = training.description }
        else { text = "\(error)" }
        return text.replacingOccurrences(of: files.directory.path + "/", with: "")
    }
}
