import Foundation
import LoRATraining
import ModelHub

extension LocalEngineProvider {
    /// Cancels the job: a running trainer stops after its current step, and no model is
    /// registered. The snapshot returned already says `cancelled`.
    /// - Throws: `ProviderError.notFound` for an unknown job; `.invalidRequest` for one that
    ///   already succeeded or failed.
    public func cancel(_ id: String) async throws -> JobSnapshot {
        try withJob(id) { (job: inout LocalJob) throws(ProviderError) -> JobSnapshot in
            switch job.snapshot.status {
            case .cancelled: return job.snapshot
            case .succeeded, .failed:
                throw .invalidRequest("job \(id) already \(job.snapshot.status.rawValue); there is nothing to cancel")
            default: break
            }
            job.set(.cancelled)
            job.restartAfterStop = false
            job.append(job.isTraining ? "Fine-tuning job cancelled: training stops after the current step" : "Fine-tuning job cancelled")
            job.latch?.request(.cancel)
            return job.snapshot
        }
    }

    /// Pauses the job: the trainer stops after its current step with a checkpoint there, and
    /// `resume` continues from it. The snapshot returned already says `paused`; `waitUntilStopped`
    /// returns once the checkpoint is written.
    /// - Throws: `ProviderError.notFound` for an unknown job; `.invalidRequest` for a finished one.
    public func pause(_ id: String) async throws -> JobSnapshot {
        try withJob(id) { (job: inout LocalJob) throws(ProviderError) -> JobSnapshot in
            guard !job.snapshot.status.isTerminal else {
                throw .invalidRequest("job \(id) is \(job.snapshot.status.rawValue) and cannot be paused")
            }
            guard job.snapshot.status != .paused else { return job.snapshot }
            job.set(.paused)
            job.restartAfterStop = false
            job.append("Fine-tuning job paused: training stops after the current step, with a checkpoint")
            job.latch?.request(.pause)
            return job.snapshot
        }
    }

    /// Continues a paused job from its checkpoint on a new training thread (once the paused run has
    /// finished its step). The snapshot returned already says `running`.
    /// - Throws: `ProviderError.notFound` for an unknown job; `.invalidRequest` for one that isn't paused.
    public func resume(_ id: String) async throws -> JobSnapshot {
        try withJob(id) { (job: inout LocalJob) throws(ProviderError) -> JobSnapshot in
            switch job.snapshot.status {
            case .paused: break
            case .running, .queued: return job.snapshot
            default: throw .invalidRequest("job \(id) is \(job.snapshot.status.rawValue) and cannot be resumed; only a paused job can")
            }
            job.set(.running)
            job.append("Fine-tuning job resumed")
            if job.isTraining {
                job.restartAfterStop = true       // the paused run is still finishing its step
            } else {
                startTraining(&job, resume: true)
            }
            return job.snapshot
        }
    }

    /// Returns once the job's training thread has stopped (after a pause or cancel, its checkpoint
    /// is written), or at once when none runs. For the CLI's Ctrl-C handler.
    public func waitUntilStopped(_ id: String) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let waiting = lock.withLock { () -> Bool in
                guard jobs[id]?.isTraining == true else { return false }
                jobs[id]?.waiters.append(continuation)
                return true
            }
            if !waiting { continuation.resume() }
        }
    }

    // MARK: - The training thread

    /// Starts a training thread for the job; call while holding the lock.
    func startTraining(_ job: inout LocalJob, resume: Bool) {
        precondition(!job.isTraining, "a job trains on one thread at a time")
        let latch = StopLatch()
        job.latch = latch
        job.restartAfterStop = false
        let id = job.snapshot.id, work = job.work
        TrainingThread.start(name: "finetune-train-\(id)") { [self] in
            train(id, work: work, latch: latch, resume: resume)
        }
    }

    /// The thread's body: trains until the end or a stop, then settles the job's status.
    private func train(_ id: String, work: LocalJobWork, latch: StopLatch, resume: Bool) {
        update(id) { job in
            if job.snapshot.status == .queued { job.set(.running) }
            job.append(resume ? "Fine-tuning job continues from its last checkpoint" : "Fine-tuning job started")
        }
        let outcome: Result<TrainingSummary, TrainingError>
        do {
            outcome = .success(try work.trainer.run(resume: resume, isCancelled: { latch.isCancelled }, events: { event in
                if case .step = event { latch.stepReported() }
                self.update(id) { $0.record(event) }
            }))
        } catch {
            outcome = .failure(error)
        }
        var waiters: [CheckedContinuation<Void, Never>] = []
        update(id) { job in
            job.latch = nil
            settle(&job, outcome: outcome)
            if job.restartAfterStop, job.snapshot.status == .running {
                startTraining(&job, resume: true)
            }
            waiters = job.waiters
            job.waiters = []
        }
        for waiter in waiters { waiter.resume() }
    }

    /// The job's status once its thread has returned `outcome`; call while holding the lock.
    private func settle(_ job: inout LocalJob, outcome: Result<TrainingSummary, TrainingError>) {
        let status = job.snapshot.status
        switch outcome {
        case .success(let summary) where summary.steps >= summary.hyperparameters.totalSteps && status != .cancelled:
            succeed(&job, summary: summary)
        case .success(let summary):
            let total = summary.hyperparameters.totalSteps
            if status == .cancelled {
                job.append("Training stopped at step \(summary.steps) of \(total); the job was cancelled")
            } else if status == .paused || job.restartAfterStop {
                job.append("Training paused after step \(summary.steps) of \(total), with a checkpoint")
            } else {
                job.fail("Training stopped at step \(summary.steps) of \(total) without being asked to")
            }
        case .failure(let error):
            if status == .cancelled {
                job.append("Training stopped; the job was cancelled (\(error.description))")
            } else {
                job.restartAfterStop = false
                job.fail(error.description)
            }
        }
    }

    /// Registers the adapter as a model (`ft:<base>:<suffix>:<id>`) and marks the job succeeded.
    private func succeed(_ job: inout LocalJob, summary: TrainingSummary) {
        let work = job.work
        let name = LocalEngineConfiguration.fineTunedModelName(baseModel: work.baseModel, suffix: work.suffix,
                                                               runDirectory: work.runDirectory)
        do {
            try modelStore().registerFineTuned(name: name, baseModel: work.baseModel,
                                               adapterDirectory: URL(fileURLWithPath: summary.adapterDirectory),
                                               runDirectory: work.runDirectory)
            job.snapshot.fineTunedModel = name
            job.append("New fine-tuned model created: \(name)")
        } catch {
            job.append("The adapter was not registered as a model (\(error)); chat with it: "
                       + "finetune chat \(work.baseModel) --adapter \(work.runDirectory.path)", level: "warn")
        }
        job.summary = summary
        job.restartAfterStop = false
        let epochs = summary.hyperparameters.epochs
        job.snapshot.trainedTokens = job.plan.map { $0.trainTokens * epochs }
        job.set(.succeeded)
        job.append("The job has successfully completed")
    }

    /// Runs `body` on the job under the lock (the job may be gone only if it never existed).
    private func update(_ id: String, _ body: (inout LocalJob) -> Void) {
        lock.withLock {
            guard jobs[id] != nil else { return }
            body(&jobs[id]!)
        }
    }
}

extension LocalJob {
    /// Changes the status (and the provider's word, finish time and estimate with it).
    mutating func set(_ status: JobStatus, now: Date = Date()) {
        snapshot.status = status
        snapshot.providerStatus = status.rawValue
        if status != .running { snapshot.estimatedFinish = nil }
        if status.isTerminal { snapshot.finishedAt = now }
    }

    /// Marks the job failed with the trainer's message.
    mutating func fail(_ message: String) {
        snapshot.error = JobFailure(code: "training_error", message: message)
        set(.failed)
        append(message, level: "error")
    }
}
