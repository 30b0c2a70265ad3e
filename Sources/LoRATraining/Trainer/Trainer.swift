import Charts
import ChatDataset
import Foundation
import GGUF
import LanguageModel
import TensorCore

/// Where a finished run put its results.
public struct TrainingSummary: Sendable, Equatable, Codable {
    public var runDirectory: String
    /// PEFT adapter folder (adapter_model.safetensors + adapter_config.json).
    public var adapterDirectory: String
    /// llama.cpp LoRA adapter (`--lora`).
    public var ggufAdapter: String
    public var steps: Int
    /// The last step's training loss; nil when the run stopped before taking a step.
    public var finalTrainLoss: Double?
    public var initialValidLoss: Double?
    public var finalValidLoss: Double?
    public var seconds: Double
    public var tokensPerSecond: Double
    public var hyperparameters: ResolvedHyperparameters

    enum CodingKeys: String, CodingKey {
        case steps, seconds, hyperparameters
        case runDirectory = "run_directory"
        case adapterDirectory = "adapter_directory"
        case ggufAdapter = "gguf_adapter"
        case finalTrainLoss = "final_train_loss"
        case initialValidLoss = "initial_valid_loss"
        case finalValidLoss = "final_valid_loss"
        case tokensPerSecond = "tokens_per_second"
    }
}

/// Fine-tunes LoRA adapters on chat examples: encodes the data with the model's chat template,
/// trains with AdamW, validates, writes metrics and checkpoints, and exports the adapter.
///
/// ```swift
/// let trainer = try Trainer(model: model, file: file, train: examples, valid: heldOut,
///                           options: TrainingOptions(), runDirectory: url, baseModel: "smollm2-135m-instruct")
/// let summary = try trainer.run { event in print(event) }
/// ```
public final class Trainer {
    public let options: TrainingOptions
    public let hyperparameters: ResolvedHyperparameters
    public let runDirectory: URL
    public let trainable: LlamaTrainingModel
    public let summary: TrainingPlanSummary
    private let file: GGUFFile
    private let plan: BatchPlan
    private let valid: [EncodedExample]
    private let baseModel: String
    private let fingerprint: String
    private let checkpoints: CheckpointStore

    /// Encodes the data and prepares the model. Nothing is written yet.
    /// - Throws: `TrainingError` when no example has a trained token, the template fails, a
    ///   hyperparameter is out of range or the run would not fit in memory.
    public init(model: LlamaModel, file: GGUFFile, train: [ChatExample], valid: [ChatExample], options: TrainingOptions,
                runDirectory: URL, baseModel: String, trainPath: String = "training data") throws(TrainingError) {
        let config = model.configuration
        let formatter: ChatFormatter
        do { formatter = try ChatFormatter(file: file) } catch { throw .model(error.description) }
        let length = min(options.maxLength ?? 2048, config.contextLength)
        let encoder = ExampleEncoder(formatter: formatter, maxLength: length, trainOnInputs: options.trainOnInputs)
        var encoded: [EncodedExample] = [], truncated = 0, skipped = 0
        for (index, example) in train.enumerated() {
            let item = try encoder.encode(example, line: index + 1)
            if item.truncated { truncated += 1 }
            guard item.trainedCount > 0 else { skipped += 1; continue }
            encoded.append(item)
        }
        guard !encoded.isEmpty else {
            throw .nothingToTrain(path: trainPath, reason: "no example has an assistant message with weight 1 within --max-length \(length) tokens")
        }
        var validEncoded: [EncodedExample] = []
        for (index, example) in valid.enumerated() {
            let item = try encoder.encode(example, line: index + 1)
            if item.trainedCount > 0 { validEncoded.append(item) }
        }
        self.valid = validEncoded
        hyperparameters = try options.resolve(examples: encoded.count, parameters: LlamaTrainingModel.frozenParameterCount(config),
                                              contextLength: config.contextLength)
        self.options = options
        self.runDirectory = runDirectory
        self.file = file
        self.baseModel = baseModel
        plan = BatchPlan(examples: encoded, batchSize: hyperparameters.batchSize, maxBatchTokens: options.maxBatchTokens, seed: options.seed)
        fingerprint = Self.fingerprint(encoded)
        checkpoints = CheckpointStore(directory: runDirectory.appendingPathComponent("checkpoints"), baseModel: baseModel)

        // Memory: frozen weights + activations of the largest pass + adapter, gradients and moments.
        let longest = encoded.map(\.tokens.count).max() ?? 1
        let passTokens = max(longest, min(options.maxBatchTokens, encoded.map(\.tokens.count).reduce(0, +)))
        let estimate = Self.estimateMemory(config: config, options: options, passTokens: passTokens, longest: longest, threads: model.threadCount)
        let available = Self.availableMemory()
        if let available, estimate > available {
            throw .insufficientMemory(needed: estimate, available: available,
                                      advice: "Lower --max-batch-tokens (now \(options.maxBatchTokens)) or --max-length (now \(length)), or use --precision bf16.")
        }
        trainable = LlamaTrainingModel(model: model, lora: options.lora, precision: options.precision)
        let tokens = encoded.reduce(0) { $0 + $1.tokens.count }
        summary = TrainingPlanSummary(
            hyperparameters: hyperparameters, trainExamples: encoded.count, validExamples: validEncoded.count,
            trainTokens: tokens, trainedTokens: encoded.reduce(0) { $0 + $1.trainedCount }, truncatedExamples: truncated,
            skippedExamples: skipped, adapterParameters: trainable.parameters.count, precision: options.precision.rawValue,
            threads: model.threadCount, resumedFromStep: nil, estimatedMemoryBytes: estimate)
    }

    /// Trains to the end, or from the last checkpoint when `resume` is set and one exists.
    /// - Parameters:
    ///   - resume: continue from `checkpoints/latest` (the data and options must match).
    ///   - isCancelled: polled between steps; the run stops (after a checkpoint) when it turns true.
    ///   - events: progress, called on the training thread.
    /// - Throws: `TrainingError.diverged` on NaN or exploding loss (the last good checkpoint stays),
    ///   `.io` when the run's files can't be written, `.checkpoint` when resuming fails.
    public func run(resume: Bool = false, isCancelled: () -> Bool = { false },
                    events: (TrainingEvent) -> Void = { _ in }) throws(TrainingError) -> TrainingSummary {
        let fm = FileManager.default
        do { try fm.createDirectory(at: runDirectory, withIntermediateDirectories: true) } catch {
            throw .io(path: runDirectory.path, message: "can't create the run folder: \(error.localizedDescription)")
        }
        let h = hyperparameters
        var optimizer = AdamW(parameterCount: trainable.parameters.count, weightDecay: options.weightDecay)
        var startStep = 0, previousElapsed = 0.0
        var plannedSummary = summary
        if resume, let latest = checkpoints.latest() {
            let (restored, state) = try checkpoints.load(latest, into: trainable.parameters)
            guard state.dataFingerprint == fingerprint, state.hyperparameters == h else {
                throw .checkpoint(path: latest.path, message: "the checkpoint was made with other data or hyperparameters; start a new run instead of --resume")
            }
            optimizer = restored
            startStep = state.step
            previousElapsed = state.elapsedSeconds
            plannedSummary.resumedFromStep = startStep
        } else {
            trainable.parameters.initialize(seed: options.seed)
        }
        try writeConfiguration()
        let metrics = try MetricsLog(url: runDirectory.appendingPathComponent("metrics.jsonl"), keepThrough: startStep)
        events(.started(plannedSummary))

        let schedule = LearningRateSchedule(peak: h.learningRate, warmupSteps: h.warmupSteps, totalSteps: h.totalSteps, decay: options.decay)
        var initialValid: Double?
        var finalValid: Double?
        if startStep == 0, !valid.isEmpty {
            let result = validate(step: 0)
            initialValid = result.validLoss
            metrics.append(result)
            events(.validation(result))
        }
        let clock = ContinuousClock()
        let began = clock.now
        var lastCheckpoint: String? = checkpoints.latest()?.path
        var lastLoss = Double.nan
        var firstLoss: Double?
        var tokensSeen = 0
        var step = startStep
        while step < h.totalSteps {
            if isCancelled() { break }
            let stepStart = clock.now
            let passes = plan.passes(step: step)
            let trained = passes.reduce(0) { $0 + $1.trainedCount }
            let tokens = passes.reduce(0) { $0 + $1.count }
            trainable.parameters.zeroGradients()
            var result = BatchResult()
            for (index, pass) in passes.enumerated() {
                let seed = options.seed &+ UInt64(step) &* 0x9E37_79B9 &+ UInt64(index) &* 0x85EB_CA6B
                result = result + trainable.run(pass, gradientScale: 1 / Float(max(1, trained)), backward: true, seed: seed)
            }
            let norm = clipGradients(trainable.parameters.gradients.pointer, count: trainable.parameters.count, maxNorm: options.maxGradNorm)
            let loss = result.meanLoss
            if let reason = Self.divergence(loss: loss, gradientNorm: norm, firstLoss: firstLoss,
                                            vocabularySize: trainable.configuration.vocabularySize) {
                throw .diverged(step: step + 1, reason: reason, checkpoint: lastCheckpoint)
            }
            if firstLoss == nil { firstLoss = loss }
            let rate = schedule.rate(at: step)
            optimizer.update(trainable.parameters.values.pointer, gradients: trainable.parameters.gradients.pointer,
                             count: trainable.parameters.count, rate: rate)
            step += 1
            lastLoss = loss
            tokensSeen += tokens
            let elapsed = (clock.now - began).seconds
            let stepSeconds = (clock.now - stepStart).seconds
            let done = step - startStep
            let record = StepMetrics(
                step: step, totalSteps: h.totalSteps, epoch: Double(step) / Double(h.stepsPerEpoch), trainLoss: loss,
                trainAccuracy: result.accuracy, learningRate: Double(rate), gradientNorm: norm, tokens: tokens,
                trainedTokens: trained, tokensPerSecond: Double(tokens) / max(stepSeconds, 1e-9),
                elapsedSeconds: previousElapsed + elapsed, etaSeconds: elapsed / Double(done) * Double(h.totalSteps - step))
            metrics.append(record)
            events(.step(record))
            if step % h.evalEvery == 0 || step == h.totalSteps, !valid.isEmpty {
                let result = validate(step: step)
                finalValid = result.validLoss
                metrics.append(result)
                events(.validation(result))
            }
            if step % h.checkpointEvery == 0 || step == h.totalSteps || isCancelled() {
                let state = TrainerState(step: step, totalSteps: h.totalSteps, seed: options.seed, elapsedSeconds: previousElapsed + elapsed,
                                         hyperparameters: h, options: options, dataFingerprint: fingerprint, baseModel: baseModel,
                                         optimizerStep: optimizer.step)
                let saved = try checkpoints.save(parameters: trainable.parameters, optimizer: optimizer, state: state, keep: options.keepCheckpoints)
                lastCheckpoint = saved.path
                events(.checkpoint(step: step, path: saved.path))
            }
        }
        let seconds = (clock.now - began).seconds
        let result = TrainingSummary(
            runDirectory: runDirectory.path, adapterDirectory: runDirectory.appendingPathComponent("adapter").path,
            ggufAdapter: runDirectory.appendingPathComponent("adapter/adapter.gguf").path, steps: step,
            finalTrainLoss: lastLoss.isFinite ? lastLoss : nil, initialValidLoss: initialValid, finalValidLoss: finalValid, seconds: previousElapsed + seconds,
            tokensPerSecond: Double(tokensSeen) / max(seconds, 1e-9), hyperparameters: h)
        if step == h.totalSteps { try exportAdapter() }
        writeChart()
        do {
            try AtomicFileWriter.write(Array(try encodeJSON(result)), to: runDirectory.appendingPathComponent("summary.json"))
        } catch {
            throw .io(path: runDirectory.appendingPathComponent("summary.json").path, message: "\(error)")
        }
        return result
    }

    /// Why a step's figures mean the run has diverged, or nil. The loss explodes when it passes
    /// both twice the run's first loss and ln(V), the loss of guessing uniformly over the vocabulary,
    /// which a pretrained model is far below.
    static func divergence(loss: Double, gradientNorm: Double, firstLoss: Double?, vocabularySize: Int) -> String? {
        if !loss.isFinite { return "the loss became \(loss)" }
        if !gradientNorm.isFinite { return "the gradient norm became \(gradientNorm)" }
        if let firstLoss, loss > max(2 * firstLoss, log(Double(vocabularySize))) {
            return String(format: "the loss exploded to %.2f (it started at %.2f)", loss, firstLoss)
        }
        return nil
    }

    /// Mean loss and token accuracy on the validation examples (no dropout, no gradients).
    public func validate(step: Int) -> ValidationMetrics {
        let clock = ContinuousClock(), start = clock.now
        var total = BatchResult(), tokens = 0
        for pass in BatchPlan.pack(valid, maxTokens: options.maxBatchTokens) {
            total = total + trainable.run(pass, gradientScale: 0, backward: false, seed: 0)
            tokens += pass.count
        }
        return ValidationMetrics(step: step, validLoss: total.meanLoss, validAccuracy: total.accuracy, tokens: tokens,
                                 seconds: (clock.now - start).seconds)
    }

    /// Writes the adapter as PEFT safetensors and as a llama.cpp GGUF adapter under `adapter/`.
    func exportAdapter() throws(TrainingError) {
        let folder = runDirectory.appendingPathComponent("adapter")
        let adapter = trainable.parameters.adapter()
        do {
            try PEFTAdapterFormat.write(adapter, configuration: trainable.configuration, baseModel: baseModel,
                                        dropout: options.lora.dropout, to: folder)
            try GGUFAdapterFormat.write(adapter, base: file, to: folder.appendingPathComponent("adapter.gguf"))
        } catch {
            throw .io(path: folder.path, message: "the adapter could not be written: \(error.description)")
        }
    }

    /// `loss.svg`: training loss (raw and smoothed) and validation loss by step. Best effort.
    func writeChart() {
        let metrics = LossChart.read(metrics: runDirectory.appendingPathComponent("metrics.jsonl"))
        let svg = LossChart.svg(train: metrics.train, valid: metrics.valid, title: "LoRA fine-tuning of \(baseModel)")
        try? AtomicFileWriter.write(Array(svg.utf8), to: runDirectory.appendingPathComponent("loss.svg"))
    }

    private func writeConfiguration() throws(TrainingError) {
        struct RunConfiguration: Encodable {
            let baseModel: String
            let options: TrainingOptions
            let hyperparameters: ResolvedHyperparameters
            let plan: TrainingPlanSummary
            enum CodingKeys: String, CodingKey {
                case options, hyperparameters, plan
                case baseModel = "base_model"
            }
        }
        let url = runDirectory.appendingPathComponent("config.json")
        do {
            let data = try encodeJSON(RunConfiguration(baseModel: baseModel, options: options, hyperparameters: hyperparameters, plan: summary))
            try AtomicFileWriter.write(Array(data), to: url)
        } catch {
            throw .io(path: url.path, message: "can't write the run configuration: \(error)")
        }
    }

    static func fingerprint(_ examples: [EncodedExample]) -> String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        func mix(_ value: UInt64) { hash = (hash ^ value) &* 0x0000_0100_0000_01B3 }
        for example in examples {
            mix(UInt64(example.tokens.count))
            for (token, trained) in zip(example.tokens, example.trained) { mix(UInt64(UInt32(bitPattern: token)) << 1 | (trained ? 1 : 0)) }
        }
        return String(format: "%016llx-%d", hash, examples.count)
    }

    /// Frozen weights, the largest pass's activations, the adapter with its gradients and AdamW
    /// moments, and about 300 MB for the mapped model file, tokenizer and runtime.
    static func estimateMemory(config: LlamaConfiguration, options: TrainingOptions, passTokens: Int, longest: Int, threads: Int) -> Int {
        let adapter = LoRAParameters(configuration: options.lora, model: config).count
        return LlamaTrainingModel.frozenBytes(config)
            + LlamaTrainingModel.activationBytes(config, lora: options.lora, tokens: passTokens, longestSegment: longest, threads: threads)
            + 16 * adapter + 300_000_000
    }

    /// MemAvailable from /proc/meminfo (nil where unknown).
    static func availableMemory() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let fields = line.split(separator: " ")
            if fields.count >= 2, let kb = Int(fields[1]) { return kb * 1024 }
        }
        return nil
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
