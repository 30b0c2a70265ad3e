import ChatDataset
import Foundation
import GGUF
import LanguageModel
import LoRATraining

/// Everything a training run needs, resolved from a job: files on disk, options, the run folder.
public struct TrainingSpec: Sendable, Equatable {
    public var jobID: String
    /// The base model's registered name (recorded in checkpoints and the run).
    public var baseModel: String
    public var baseModelURL: URL
    public var trainingFile: URL
    public var validationFile: URL?
    public var options: TrainingOptions
    public var runDirectory: URL

    public init(jobID: String, baseModel: String, baseModelURL: URL, trainingFile: URL, validationFile: URL?,
                options: TrainingOptions, runDirectory: URL) {
        self.jobID = jobID
        self.baseModel = baseModel
        self.baseModelURL = baseModelURL
        self.trainingFile = trainingFile
        self.validationFile = validationFile
        self.options = options
        self.runDirectory = runDirectory
    }
}

/// What a job's data and options come to before any training: the job's hyperparameters as the
/// API reports them.
public struct PreparedTraining: Sendable, Equatable {
    public var hyperparameters: ResolvedHyperparameters
    /// The learning rate that a multiplier of 1 stands for on this model.
    public var baseLearningRate: Float
    public var examples: Int
}

/// Stops a run between steps. The trainer saves a checkpoint before it returns.
public final class StopSignal: @unchecked Sendable {
    // @unchecked: `reason` is only read and written under `lock`.
    public enum Reason: Sendable, Equatable { case cancel, pause, shutdown }
    private let lock = NSLock()
    private var stored: Reason?

    public init() {}

    /// The first reason given wins (a cancel after a shutdown request stays a shutdown).
    public func stop(_ reason: Reason) {
        lock.withLock { if stored == nil { stored = reason } }
    }

    public var reason: Reason? { lock.withLock { stored } }
    public var isStopped: Bool { reason != nil }
}

/// Runs training for the job scheduler. The real engine trains LoRA adapters with
/// `LoRATraining.Trainer`; tests substitute a scripted one to drive the job state machine.
public protocol TrainingEngine: Sendable {
    /// Reads the data and resolves `auto` hyperparameters, without training.
    /// - Throws: `TrainingError` for unreadable data or out-of-range hyperparameters.
    func prepare(_ spec: TrainingSpec) async throws -> PreparedTraining

    /// Trains, or continues from the run folder's last checkpoint when `resume` is set, until the
    /// end or until `stop` is signalled (after a checkpoint). Events arrive in order, from the
    /// training thread.
    /// - Returns: the summary; `steps < hyperparameters.totalSteps` when stopped early.
    /// - Throws: `TrainingError` when training fails (divergence, IO, data).
    func train(_ spec: TrainingSpec, resume: Bool, stop: StopSignal,
               events: @escaping @Sendable (TrainingEvent) -> Void) async throws -> TrainingSummary
}

/// Trains on this machine's CPU with the LoRA engine, each run on a thread of its own so the
/// server's event loops and Swift's cooperative threads stay free.
public struct LocalTrainingEngine: TrainingEngine {
    /// Compute threads per run.
    public var threads: Int

    public init(threads: Int) {
        self.threads = threads
    }

    public func prepare(_ spec: TrainingSpec) async throws -> PreparedTraining {
        try await BlockingWork.run(name: "finetune-prepare") {
            let examples = try ChatExampleFile.read(spec.trainingFile.path)
            let file: GGUFFile
            do { file = try GGUFFile(contentsOf: spec.baseModelURL) } catch {
                throw TrainingError.model("can't read \(spec.baseModelURL.path): \(error)")
            }
            let configuration: LlamaConfiguration
            do { configuration = try LlamaConfiguration(gguf: file) } catch { throw TrainingError.model("\(error)") }
            let parameters = LlamaTrainingModel.frozenParameterCount(configuration)
            let resolved = try spec.options.resolve(examples: examples.count, parameters: parameters,
                                                    contextLength: configuration.contextLength)
            return PreparedTraining(hyperparameters: resolved, baseLearningRate: TrainingOptions.baseLearningRate(parameters: parameters),
                                    examples: examples.count)
        }
    }

    public func train(_ spec: TrainingSpec, resume: Bool, stop: StopSignal,
                      events: @escaping @Sendable (TrainingEvent) -> Void) async throws -> TrainingSummary {
        let threads = threads
        return try await BlockingWork.run(name: "finetune-train-\(spec.jobID)") {
            let train = try ChatExampleFile.read(spec.trainingFile.path)
            let valid = try spec.validationFile.map { try ChatExampleFile.read($0.path) } ?? []
            let local: LocalModel
            do { local = try LocalModel(url: spec.baseModelURL, threads: threads) } catch {
                throw TrainingError.model("\(error)")
            }
            let trainer = try Trainer(model: local.model, file: local.file, train: train, valid: valid, options: spec.options,
                                      runDirectory: spec.runDirectory, baseModel: spec.baseModel,
                                      trainPath: spec.trainingFile.lastPathComponent)
            return try trainer.run(resume: resume, isCancelled: { stop.isStopped }, events: events)
        }
    }

}

/// Long blocking work (training, scanning a large upload) on a thread of its own, awaited without
/// holding one of Swift's cooperative threads, which the HTTP server needs.
enum BlockingWork {
    /// Runs `body` on a new thread (8 MB stack) and returns its result.
    static func run<T: Sendable>(name: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try body() })
            }
            thread.name = name
            thread.stackSize = 8 << 20
            thread.start()
        }
    }
}
