import Foundation
import LoRATraining
import OpenAIAPI

/// What a local job trains, fixed when it is created.
final class LocalJobWork: @unchecked Sendable {
    // @unchecked: `trainer` is a non-Sendable class used by one thread at a time: a job starts a
    // training thread only when it has none (the previous one has returned).
    let trainer: Trainer
    /// The base model as the request named it (recorded with the fine-tuned model).
    let baseModel: String
    let suffix: String?
    let runDirectory: URL

    init(trainer: Trainer, baseModel: String, suffix: String?, runDirectory: URL) {
        self.trainer = trainer
        self.baseModel = baseModel
        self.suffix = suffix
        self.runDirectory = runDirectory
    }
}

/// One job of the local engine: its snapshot, event log and checkpoints, and the training thread's
/// bookkeeping. A value guarded by `LocalEngineProvider`'s lock.
struct LocalJob {
    var snapshot: JobSnapshot
    let work: LocalJobWork
    var events: [JobEvent] = []
    /// Newest first.
    var checkpoints: [RemoteCheckpoint] = []
    var plan: TrainingPlanSummary?
    var latestStep: StepMetrics?
    var summary: TrainingSummary?
    /// The running thread's stop latch; nil while no thread trains.
    var latch: StopLatch?
    /// A resume asked for while a paused run was still finishing its step.
    var restartAfterStop = false
    /// `waitUntilStopped` callers, resumed when the thread returns.
    var waiters: [CheckedContinuation<Void, Never>] = []
    /// The highest step with a metrics event (a resumed run that repeats steps adds none twice).
    private var recordedStep = 0
    private var recordedValidationStep = -1
    private var nextEventNumber = 1

    init(snapshot: JobSnapshot, work: LocalJobWork) {
        self.snapshot = snapshot
        self.work = work
    }

    var isTraining: Bool { latch != nil }

    /// Adds an event to the log.
    mutating func append(_ message: String, level: String = "info", metrics: MetricPoint? = nil, now: Date = Date()) {
        events.append(JobEvent(id: "\(snapshot.id)-event-\(nextEventNumber)", createdAt: now, level: level, message: message,
                               metrics: metrics))
        nextEventNumber += 1
    }

    /// Turns one of the trainer's events into the job's events, checkpoints and estimated finish.
    mutating func record(_ event: TrainingEvent, now: Date = Date()) {
        switch event {
        case .started(let plan):
            self.plan = plan
            for line in Self.planLines(plan) { append(line, now: now) }
        case .step(let step):
            latestStep = step
            if snapshot.status == .running { snapshot.estimatedFinish = now.addingTimeInterval(step.etaSeconds) }
            guard step.step > recordedStep else { return }
            recordedStep = step.step
            let point = MetricPoint(step: step.step, totalSteps: step.totalSteps, epoch: step.epoch, trainLoss: step.trainLoss,
                                    trainAccuracy: step.trainAccuracy, learningRate: step.learningRate)
            append(String(format: "Step %d/%d: training loss=%.4f", step.step, step.totalSteps, step.trainLoss), metrics: point, now: now)
        case .validation(let valid):
            guard valid.step > recordedValidationStep else { return }
            recordedValidationStep = valid.step
            let total = plan?.hyperparameters.totalSteps ?? latestStep?.totalSteps
            let point = MetricPoint(step: valid.step, totalSteps: total, validLoss: valid.validLoss, validAccuracy: valid.validAccuracy)
            let text = valid.step == 0
                ? String(format: "Validation loss before training: %.4f, token accuracy %.1f%%", valid.validLoss, valid.validAccuracy * 100)
                : String(format: "Step %d/%d: validation loss=%.4f, token accuracy=%.1f%%", valid.step, total ?? valid.step,
                         valid.validLoss, valid.validAccuracy * 100)
            append(text, metrics: point, now: now)
        case .checkpoint(let step, let path):
            var metrics: MetricPoint?
            if let latest = latestStep, latest.step == step {
                metrics = MetricPoint(step: step, totalSteps: latest.totalSteps, epoch: latest.epoch, trainLoss: latest.trainLoss,
                                      trainAccuracy: latest.trainAccuracy, learningRate: latest.learningRate)
            }
            if let valid = events.last(where: { $0.metrics?.step == step && $0.metrics?.validLoss != nil })?.metrics {
                metrics = metrics ?? MetricPoint(step: step)
                metrics?.validLoss = valid.validLoss
                metrics?.validAccuracy = valid.validAccuracy
            }
            // The trainer keeps only the newest few on disk: forget those it pruned.
            checkpoints.removeAll { $0.step == step || ($0.path.map { !FileManager.default.fileExists(atPath: $0) } ?? false) }
            checkpoints.append(RemoteCheckpoint(id: "step-\(step)", step: step, path: path, createdAt: now, metrics: metrics))
            checkpoints.sort { $0.step > $1.step }
        case .message(let text):
            append(text, now: now)
        }
    }

    /// The hyperparameters as resolved, in the API's words.
    static func hyperparameters(_ h: ResolvedHyperparameters, options: TrainingOptions) -> [String: JSONValue] {
        [
            "n_epochs": .number(Double(h.epochs)),
            "batch_size": .number(Double(h.batchSize)),
            "learning_rate": .number(decimal(h.learningRate)),
            "total_steps": .number(Double(h.totalSteps)),
            "warmup_steps": .number(Double(h.warmupSteps)),
            "max_length": .number(Double(h.maxLength)),
            "lora": .bool(true),
            "lora_rank": .number(Double(options.lora.rank)),
            "lora_alpha": .number(decimal(options.lora.alpha)),
            "lora_dropout": .number(decimal(options.lora.dropout)),
            "lora_targets": .array(options.lora.targets.map { .string($0.rawValue) }),
        ]
    }

    /// A Float as the Double its shortest decimal form stands for (1e-3, not 0.0010000000474974513).
    static func decimal(_ value: Float) -> Double { Double(value.description) ?? Double(value) }

    /// The plan as lines of text, the lines `finetune train` prints before its first step.
    static func planLines(_ plan: TrainingPlanSummary) -> [String] {
        let h = plan.hyperparameters
        if let step = plan.resumedFromStep { return ["Resuming at step \(step) of \(h.totalSteps)."] }
        let auto = Set(h.automatic)
        func mark(_ key: String) -> String { auto.contains(key) ? " (auto)" : "" }
        var lines = ["Training on \(plan.trainExamples) examples (\(grouped(plan.trainTokens)) tokens, \(grouped(plan.trainedTokens)) trained)"
                     + (plan.validExamples > 0 ? ", validating on \(plan.validExamples)" : ", no validation file")]
        if plan.truncatedExamples > 0 { lines.append("\(plan.truncatedExamples) examples were cut to --max-length \(h.maxLength) tokens.") }
        if plan.skippedExamples > 0 {
            lines.append("\(plan.skippedExamples) examples have no trained token (all assistant weights 0, or cut) and are skipped.")
        }
        lines.append("Epochs \(h.epochs)\(mark("n_epochs")), batch size \(h.batchSize)\(mark("batch_size")), "
                     + String(format: "learning rate %.2g", h.learningRate) + mark("learning_rate")
                     + ", \(h.totalSteps) steps (\(h.warmupSteps) warm-up)")
        lines.append("LoRA adapters: \(grouped(plan.adapterParameters)) parameters; \(plan.precision) products on \(plan.threads) threads; "
                     + "about \(megabytes(plan.estimatedMemoryBytes)) of memory")
        return lines
    }

    static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var text = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { text.append(",") }
            text.append(digit)
        }
        return (value < 0 ? "-" : "") + text
    }

    static func megabytes(_ bytes: Int) -> String {
        bytes >= 10 << 20 ? "\(bytes >> 20) MB" : String(format: "%.1f MB", Double(bytes) / 1_048_576)
    }
}
