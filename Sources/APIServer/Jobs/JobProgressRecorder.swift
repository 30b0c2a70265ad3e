import Foundation
import LoRATraining
import Logging

/// Turns one training run's events into the job's events, checkpoints and estimated finish.
///
/// A metrics event is written once per step, carrying the validation figures when validation ran
/// at that step (the trainer reports the step first, then its validation). After a restart the
/// trainer repeats the steps since its last checkpoint with bit-identical results, so steps that
/// already have a metrics event are not written twice.
actor JobProgressRecorder {
    let jobID: String
    let modelName: String
    let store: any APIStore
    let logger: Logger
    private var recordedStep: Int
    private var pending: StepMetrics?
    private var lastStep: StepMetrics?
    private var lastValidation: ValidationMetrics?
    private var plannedTokens: Int?

    init(jobID: String, modelName: String, store: any APIStore, alreadyRecordedStep: Int, logger: Logger) {
        self.jobID = jobID
        self.modelName = modelName
        self.store = store
        self.recordedStep = alreadyRecordedStep
        self.logger = logger
    }

    func consume(_ events: AsyncStream<TrainingEvent>) async {
        for await event in events {
            do { try await record(event) } catch {
                logger.error("job \(jobID): could not record a training event: \(error)")
            }
        }
        do { try await flush() } catch { logger.error("job \(jobID): could not record the last step: \(error)") }
    }

    /// Tokens trained over the whole run: the training file's tokens times the epochs.
    func trainedTokens(epochs: Int) -> Int { (plannedTokens ?? 0) * epochs }

    private func record(_ event: TrainingEvent) async throws {
        switch event {
        case .started(let plan):
            plannedTokens = plan.trainTokens
            if plan.resumedFromStep == nil {
                let text = "Training on \(plan.trainExamples) examples (\(plan.trainTokens) tokens) for "
                    + "\(plan.hyperparameters.totalSteps) steps; \(plan.validExamples) validation examples"
                try await store.appendEvents([JobEvents.message(jobID, text)])
            } else if let step = plan.resumedFromStep {
                try await store.appendEvents([JobEvents.message(jobID, "Continuing from the checkpoint at step \(step)")])
            }
        case .step(let metrics):
            try await flush()
            lastStep = metrics
            if metrics.step > recordedStep { pending = metrics }
            let finish = Int(Date().timeIntervalSince1970 + metrics.etaSeconds)
            _ = try await store.updateJob(id: jobID, events: []) {
                guard $0.status == .running else { return false }
                $0.estimatedFinish = finish
                return true
            }
        case .validation(let metrics):
            lastValidation = metrics
            if metrics.step == 0 {
                let text = String(format: "Validation loss before training: %.4f", metrics.validLoss)
                try await store.appendEvents([JobEvents.message(jobID, text)])
            } else if let step = pending, step.step == metrics.step {
                try await flush(validation: metrics)
            }
        case .checkpoint(let step, let path):
            try await flush()
            try await saveCheckpoint(step: step, path: path)
        case .message(let text):
            try await store.appendEvents([JobEvents.message(jobID, text)])
        }
    }

    private func flush(validation: ValidationMetrics? = nil) async throws {
        guard let step = pending else { return }
        pending = nil
        recordedStep = step.step
        try await store.appendEvents([JobEvents.metrics(jobID, step: step, validation: validation)])
    }

    /// Records the checkpoint the trainer just saved and forgets those it pruned from disk.
    private func saveCheckpoint(step: Int, path: String) async throws {
        let existing = try await store.checkpoints(jobID: jobID)
        let gone = existing.filter { !FileManager.default.fileExists(atPath: $0.path) || $0.stepNumber == step }
        if !gone.isEmpty { try await store.deleteCheckpoints(ids: gone.map(\.id)) }
        let validation = lastValidation.flatMap { $0.step == step ? $0 : nil }
        let checkpoint = StoredCheckpoint(
            id: APIIdentifier.make(prefix: "ftckpt-"), jobID: jobID, createdAt: JobEvents.now(), stepNumber: step,
            modelName: "\(modelName):ckpt-step-\(step)",
            metrics: JobEvents.checkpointMetrics(step: lastStep?.step == step ? lastStep : nil, validation: validation),
            path: path)
        try await store.insertCheckpoint(checkpoint)
    }
}

/// The trainer's checkpoint folder inside a run (`checkpoints/latest` names the newest).
enum CheckpointFolder {
    static func hasCheckpoint(runDirectory: URL) -> Bool {
        FileManager.default.fileExists(atPath: runDirectory.appendingPathComponent("checkpoints/latest").path)
    }
}
