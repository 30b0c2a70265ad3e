import ChatDataset
import Foundation
import LanguageModel
import LoRATraining
import ModelHub

/// The fine-tuning engine of this process: LoRA training on this machine's CPU behind the same
/// calls as OpenAI and Together. Jobs live in memory for the life of the process; each trains on
/// a thread of its own and writes its run folder (`metrics.jsonl`, `checkpoints/`, `adapter/`)
/// the way `finetune train` always has.
///
/// ```swift
/// let provider = LocalEngineProvider(LocalEngineConfiguration(home: FinetuneHome(), threads: 4))
/// let train = try await provider.upload(URL(fileURLWithPath: "train.jsonl"), progress: nil)
/// let job = try await provider.createJob(JobRequest(model: "smollm2-135m-instruct", trainingFile: train.id))
/// let final = try await JobMonitor(provider: provider, interval: .seconds(1)).follow(job.id) { print($0) }
/// ```
public final class LocalEngineProvider: FineTuningProvider, @unchecked Sendable {
    // @unchecked: `jobs`, `order` and `requests` are only read and written while holding `lock`
    // (here and in LocalEngineProvider+Control.swift); `configuration` is immutable.
    public let configuration: LocalEngineConfiguration
    let lock = NSLock()
    var jobs: [String: LocalJob] = [:]
    /// Job ids, oldest first.
    private var order: [String] = []
    /// Job ids by `JobRequest.requestID`, so a repeated create returns the first job.
    private var requests: [String: String] = [:]

    public var kind: ProviderKind { .local }
    public var location: String { "this process (\(configuration.home.url.path))" }

    /// - Parameter configuration: where runs go, threads and the training options.
    public init(_ configuration: LocalEngineConfiguration) {
        self.configuration = configuration
    }

    /// The model store of the configured home.
    func modelStore() throws(ProviderError) -> ModelStore {
        let home = configuration.home
        do { return ModelStore(home: home, catalog: try ModelCatalog.load(home: home)) } catch {
            throw .invalidRequest("\(error)")
        }
    }

    // MARK: - Files

    /// Checks the file with the local engine's dataset rules (`finetune validate --provider local`);
    /// the file itself is its id (its absolute path).
    /// - Throws: `ProviderError.fileRejected` naming the first lines with errors.
    public func upload(_ file: URL, progress: (@Sendable (Int, Int) -> Void)?) async throws -> RemoteFile {
        let path = file.standardizedFileURL.path
        let result = try await TrainingThread.run(name: "finetune-scan") { () throws -> ScanResult in
            do {
                return try DatasetScanner(options: ScanOptions(provider: .local)).scan(path: path) { read, total in
                    progress?(read, total ?? read)
                }
            } catch {
                throw ProviderError.fileRejected(file: path, reason: "\(error)")
            }
        }
        guard result.isClean else {
            throw ProviderError.fileRejected(file: path, reason: LocalEngineErrors.reason(result.findings)
                                             + " (`finetune validate \(path) --provider local` lists every problem)")
        }
        progress?(result.byteCount, result.byteCount)
        let warnings = result.findings.warningCount
        return RemoteFile(id: path, filename: file.lastPathComponent, bytes: result.byteCount, status: "processed",
                          statusDetails: warnings == 0 ? nil : "\(warnings) warning\(warnings == 1 ? "" : "s") "
                            + "(`finetune validate \(path) --provider local` lists them)")
    }

    /// The local engine is free: nil.
    public func quote(_ request: JobRequest) async throws -> Double? { nil }

    // MARK: - Jobs

    /// Loads the model and the data, resolves the hyperparameters, and starts training on a thread
    /// of its own; returns the job queued (it turns `running` as the thread starts). The job's id is
    /// its run folder's name.
    /// - Throws: `ProviderError.invalidRequest` for an unknown model, hyperparameters out of range
    ///   or a run folder that already holds a run; `.fileRejected` for data that can't be trained
    ///   on; `.unsupported` for what only hosted providers do (full fine-tuning, W&B, `--batch-size max`).
    public func createJob(_ request: JobRequest) async throws -> JobSnapshot {
        if let existing = lock.withLock({ requests[request.requestID].flatMap { jobs[$0]?.snapshot } }) { return existing }
        let configuration = configuration
        let store = try modelStore()
        let runDirectory = (configuration.runDirectory
            ?? configuration.home.runDirectory(id: LocalEngineConfiguration.runID(suffix: request.suffix))).standardizedFileURL
        let id = runDirectory.lastPathComponent
        if !configuration.resume, FileManager.default.fileExists(atPath: runDirectory.appendingPathComponent("config.json").path) {
            throw ProviderError.invalidRequest("\(runDirectory.path) already holds a run: continue it with --resume, or choose another run folder")
        }
        if let running = lock.withLock({ jobs[id] }), !running.snapshot.status.isTerminal {
            throw ProviderError.invalidRequest("job \(id) is \(running.snapshot.status.rawValue) in this process; wait for it or cancel it first")
        }
        let work = try await TrainingThread.run(name: "finetune-prepare") { () throws -> (LocalJobWork, TrainingOptions) in
            try Self.prepare(request, configuration: configuration, store: store, runDirectory: runDirectory)
        }
        let trainer = work.0.trainer
        var snapshot = JobSnapshot(
            id: id, status: .queued, providerStatus: "queued", model: request.model, createdAt: Date(),
            trainingFile: request.trainingFile, validationFile: request.validationFile,
            hyperparameters: LocalJob.hyperparameters(trainer.hyperparameters, options: work.1),
            seed: Int(clamping: work.1.seed), suffix: request.suffix)
        snapshot.trainedTokens = nil
        var job = LocalJob(snapshot: snapshot, work: work.0)
        job.append("Created fine-tuning job \(id): run folder \(runDirectory.path)")
        return lock.withLock { () -> JobSnapshot in
            if let existing = requests[request.requestID].flatMap({ jobs[$0]?.snapshot }) { return existing }
            if jobs[id] == nil { order.append(id) }
            requests[request.requestID] = id
            startTraining(&job, resume: configuration.resume)
            jobs[id] = job
            return job.snapshot
        }
    }

    /// Resolves the model, reads the data and builds the trainer (on a dedicated thread).
    private static func prepare(_ request: JobRequest, configuration: LocalEngineConfiguration, store: ModelStore,
                                runDirectory: URL) throws -> (LocalJobWork, TrainingOptions) {
        let url: URL
        do {
            if let record = try store.list().first(where: { $0.name == request.model }), record.origin == .fineTuned {
                throw ProviderError.invalidRequest("\(request.model) is itself fine-tuned; train on its base model "
                                                   + "\(record.baseModel ?? "(unknown)") with the same data instead")
            }
            url = try store.resolve(request.model)
        } catch let error as ModelHubError {
            throw LocalEngineErrors.provider(error, model: request.model)
        }
        let local: LocalModel
        do { local = try LocalModel(url: url, threads: configuration.threads) } catch {
            throw ProviderError.invalidRequest("can't load \(url.path): \(error)")
        }
        let parameters = local.model.configuration
        let base = TrainingOptions.baseLearningRate(parameters: LlamaTrainingModel.frozenParameterCount(parameters))
        let options = try configuration.options(for: request, baseLearningRate: base)
        do {
            let train = try ChatExampleFile.read(request.trainingFile)
            let valid = try request.validationFile.map { try ChatExampleFile.read($0) } ?? []
            let trainer = try Trainer(model: local.model, file: local.file, train: train, valid: valid, options: options,
                                      runDirectory: runDirectory, baseModel: request.model, trainPath: request.trainingFile)
            return (LocalJobWork(trainer: trainer, baseModel: request.model, suffix: request.suffix, runDirectory: runDirectory), options)
        } catch let error as TrainingError {
            throw LocalEngineErrors.provider(error)
        }
    }

    public func job(_ id: String) async throws -> JobSnapshot {
        try withJob(id) { $0.snapshot }
    }

    /// Newest first.
    public func jobs(limit: Int) async throws -> [JobSnapshot] {
        lock.withLock { order.reversed().prefix(max(0, limit)).compactMap { jobs[$0]?.snapshot } }
    }

    /// Oldest first; all of them when `after` is nil or not one of the job's events.
    public func events(_ id: String, after: String?) async throws -> [JobEvent] {
        try withJob(id) { job in
            guard let after, let index = job.events.firstIndex(where: { $0.id == after }) else { return job.events }
            return Array(job.events[(index + 1)...])
        }
    }

    /// Newest first; the trainer keeps the newest few on disk (`--keep-checkpoints`).
    public func checkpoints(_ id: String) async throws -> [RemoteCheckpoint] {
        try withJob(id) { $0.checkpoints }
    }

    /// Every model of the home's registry; fine-tuned ones carry an adapter.
    public func models() async throws -> [RemoteModel] {
        let records: [ModelRecord]
        do { records = try modelStore().list() } catch let error as ModelHubError { throw ProviderError.invalidRequest("\(error)") }
        return records.map { record in
            RemoteModel(id: record.name, ownedBy: record.origin == .fineTuned ? "user" : "finetune", createdAt: record.addedAt,
                        isFineTuned: record.origin == .fineTuned || record.adapterPath != nil)
        }
    }

    // MARK: - The CLI's extras

    /// The last step's full figures (tokens/s, elapsed, ETA), for a progress line.
    public func latestStep(of id: String) -> StepMetrics? { lock.withLock { jobs[id]?.latestStep } }

    /// Where the run went, once it finished (adapter, losses, speed).
    public func summary(of id: String) -> TrainingSummary? { lock.withLock { jobs[id]?.summary } }

    /// The plan the trainer reported when it started (examples, tokens, memory).
    public func plan(of id: String) -> TrainingPlanSummary? { lock.withLock { jobs[id]?.plan } }

    /// The job's run folder (for `command.json` and `--resume`).
    public func runDirectory(of id: String) -> URL? { lock.withLock { jobs[id]?.work.runDirectory } }

    // MARK: - Helpers

    /// Runs `body` on the job under the lock.
    func withJob<T>(_ id: String, _ body: (inout LocalJob) throws(ProviderError) -> T) throws(ProviderError) -> T {
        lock.lock()
        defer { lock.unlock() }
        guard jobs[id] != nil else { throw .notFound(what: "fine-tuning job", id: id) }
        return try body(&jobs[id]!)      // in place: no copy of the event log
    }
}
