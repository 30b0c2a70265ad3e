import ArgumentParser
import ChatDataset
import FineTuningProviders
import Foundation
import LoRATraining
import ModelHub
import OpenAIAPI


/// `finetune train`'s one step: validate → estimate the cost and ask → upload → create → follow → record.
struct TrainFlow {
    let command: TrainCommand

    /// What the run trains on, after `--resume` has had its say.
    private struct Plan {
        var train: String
        var valid: String?
        var model: String
        var suffix: String?
        var options: TrainingOptions
        var runDirectory: URL?
    }

    func run() async throws {
        let kind = command.connection.provider
        let inProcess = command.connection.isInProcess
        let datasetProvider = Provider(rawValue: kind.rawValue) ?? .local
        let home = FinetuneHome()
        var plan = try makePlan(home: home, inProcess: inProcess)

        // 1. The data, with the provider's rules: nothing is uploaded or trained when it has errors.
        try TrainCommand.checkData(plan.train, role: "training", provider: datasetProvider)
        if let valid = plan.valid { try TrainCommand.checkData(valid, role: "validation", provider: datasetProvider) }

        let store = ExperimentRecordStore(explicit: command.runsDir)
        let runName = command.name ?? plan.suffix ?? URL(fileURLWithPath: plan.train).deletingPathExtension().lastPathComponent
        let existing = plan.runDirectory.flatMap { directory in
            command.resume == nil ? nil : store.list().records.last { $0.record.runDirectory == directory.path }
        }
        let recordURL = existing?.url ?? store.newFile(name: runName)
        let inputFile = plan.train
        if let limit = command.maxConversations {
            plan.train = try Console.reportingProviderErrors {
                try firstConversations(of: plan.train, limit: limit,
                                       into: recordURL.deletingPathExtension().appendingPathExtension("train.jsonl"))
            }
        }

        // 2. What it costs, and the go-ahead.
        let statistics = try Console.reportingErrors(exitStatus: 2) {
            try DatasetStatistics.compute(path: plan.train, options: ScanOptions(provider: datasetProvider))
        }
        let cost = CostQuote(provider: kind, model: plan.model, epochs: plan.options.epochs,
                             tokensPerEpoch: statistics.tokensPerEpoch, pricingPath: command.pricing)
        Console.err(cost.summary)
        if !inProcess, !(cost.usd == 0), !command.yes { try confirm(cost) }

        // 3. The record, written before anything is spent, and kept up to date from here on.
        var record = existing?.record ?? ExperimentRecord(
            finetuneVersion: FineTune.configuration.version, name: runName, provider: kind,
            location: inProcess ? "this process" : (command.connection.resolvedBaseURL() ?? kind.defaultBaseURL).absoluteString,
            baseModel: plan.model, command: CommandLine.arguments)
        record.trainingStats = ExperimentRecord.Stats(statistics)
        record.trainingParameters = trainingParameters(plan, inputFile: inputFile)
        record.cost.estimatedUSD = cost.usd
        record.cost.estimateBasis = cost.basis
        record.runDirectory = plan.runDirectory?.path
        record.dataPreparation = DataProvenance.read(for: URL(fileURLWithPath: inputFile))?.steps
        if existing == nil {
            record.datasets = try Console.reportingProviderErrors {
                try [("train", plan.train, statistics.trainingStats.processedConversations)]
                    .appending(plan.valid.map { ("validation", $0, nil) })
                    .map { role, path, examples in
                        let url = URL(fileURLWithPath: path).standardizedFileURL
                        let bytes = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
                        return .init(role: role, path: url.path, sha256: try ExperimentRecordStore.sha256(of: url), bytes: bytes,
                                     examples: examples)
                    }
            }
        }
        let tracking = try await TrainTracking.start(command.mlflow, record: record)
        var observe: (@Sendable (ExperimentRecord) -> Void)?
        if let tracking { observe = { record in tracking.observe(record) } }
        let keeper = RecordKeeper(store: store, url: recordURL, record: record, onChange: observe)
        keeper.flush()
        Console.err("Run record: \(recordURL.path)")

        var failure: (any Error)?
        do {
            try await train(plan, kind: kind, inProcess: inProcess, home: home, keeper: keeper)
        } catch let error as ProviderError {
            keeper.update { record in
                record.error = JobFailure(code: "finetune", message: error.description)
                if record.jobID == nil { record.status = "not_started" }
            }
            Console.err(Console.paint("finetune: error: \(error.description)", .red))
            failure = ExitCode(1)
        } catch {
            failure = error
        }
        await tracking?.finish(record: keeper.record, recordURL: keeper.url, store: store)
        if let failure { throw failure }
    }

    /// Upload, create, follow, report.
    private func train(_ plan: Plan, kind: ProviderKind, inProcess: Bool, home: FinetuneHome, keeper: RecordKeeper) async throws {
        let provider: any FineTuningProvider
        let local: LocalEngineProvider?
        if inProcess, let runDirectory = plan.runDirectory {
            if command.resume == nil {
                try Console.reportingErrors(exitStatus: 1) {
                    do {
                        func absolute(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.path }
                        let model = plan.model.hasSuffix(".gguf") ? absolute(plan.model) : plan.model
                        try RunRecord(train: absolute(plan.train), valid: plan.valid.map(absolute), model: model, suffix: plan.suffix,
                                      options: plan.options).write(runDirectory)
                    } catch { throw CLIError("\(error)") }
                }
            }
            let engine = LocalEngineProvider(LocalEngineConfiguration(
                home: home, threads: command.threads, options: plan.options, runDirectory: runDirectory, resume: command.resume != nil))
            provider = engine
            local = engine
            Console.err("Run folder: \(runDirectory.path)")
        } else {
            provider = try command.connection.httpProvider()
            local = nil
        }

        let trainFile = try await upload(plan.train, role: "training", to: provider)
        keeper.update { record in
            record.trainingFileID = trainFile.id
            if !record.datasets.isEmpty { record.datasets[0].fileID = trainFile.id }
        }
        var validFile: RemoteFile?
        if let valid = plan.valid {
            let file = try await upload(valid, role: "validation", to: provider)
            validFile = file
            keeper.update { record in
                record.validationFileID = file.id
                if record.datasets.count > 1 { record.datasets[1].fileID = file.id }
            }
        }

        let request = jobRequest(plan, kind: kind, trainingFile: trainFile.id, validationFile: validFile?.id)
        if kind == .together, let quoted = try? await provider.quote(request) {
            Console.err(String(format: "Together quotes $%.2f for this job.", quoted))
            keeper.update { $0.cost.quotedUSD = quoted }
        }
        let job = try await provider.createJob(request)
        keeper.update { $0.apply(job) }
        Console.err(inProcess ? "Started job \(job.id) on this machine: \(job.status.rawValue)"
                    : "Created job \(job.id) on \(kind.displayName) (\(provider.location)): \(job.status.rawValue)")
        let follow = "finetune jobs events \(job.id) --follow \(command.connection.commandLineFlags)"
        if command.noMonitor {
            Console.err("Not following it (--no-monitor). Follow it with:  \(follow)")
            Console.out(job.id)
            return
        }

        let interval = Duration.seconds(command.checkInterval ?? (inProcess ? 0.2 : 10))
        let (outcome, view) = try await JobFollower(provider: provider, interval: interval, keeper: keeper).follow(job.id)
        switch outcome {
        case .interrupted:
            if let local {
                Console.err("Stopping after the current step (a checkpoint is saved)…")
                let paused = try await local.pause(job.id)
                await local.waitUntilStopped(job.id)
                let stopped = (try? await local.job(job.id)) ?? paused
                // The monitor stopped before the last steps' events: take them in, so the record ends where the run did.
                let rest = (try? await local.events(job.id, after: keeper.record.lastEventID)) ?? []
                let checkpoints = try? await local.checkpoints(job.id)
                keeper.update { record in
                    record.apply(stopped)
                    for event in rest {
                        if let point = event.metrics { record.record(point) }
                        record.lastEventID = event.id
                    }
                    if let checkpoints { record.checkpoints = checkpoints }
                }
                let step = local.latestStep(of: job.id)?.step ?? keeper.record.metrics.last?.step ?? 0
                Console.err("Stopped at step \(step). Continue with:  finetune train --resume \(plan.runDirectory?.path ?? job.id)")
            } else {
                Console.err("Stopped watching; job \(job.id) keeps running on \(kind.displayName). Re-attach with:\n  \(follow)")
            }
            throw ExitCode(130)
        case .finished(let final):
            keeper.update { $0.apply(final) }
            let chart = view.finalChart()
            if !chart.isEmpty { Console.err(""); for line in chart { Console.err(line) } }
            try report(final, record: keeper.record, recordURL: keeper.url, local: local, plan: plan)
        }
    }

    /// The end of the run in words; a failed or cancelled job exits with status 1.
    private func report(_ job: JobSnapshot, record: ExperimentRecord, recordURL: URL, local: LocalEngineProvider?, plan: Plan) throws {
        switch job.status {
        case .succeeded:
            var lines = [""]
            if let summary = local?.summary(of: job.id) {
                lines.append(Console.paint("✓ trained \(summary.steps) steps in \(ProgressBar.duration(summary.seconds))", .green)
                             + String(format: " (%.0f tokens/s); final training loss %.4f", summary.tokensPerSecond, summary.finalTrainLoss ?? .nan))
                if let before = summary.initialValidLoss, let after = summary.finalValidLoss {
                    lines.append(String(format: "  validation loss %.4f → %.4f", before, after))
                }
                lines += ["  run:     \(summary.runDirectory)",
                          "  adapter: \(summary.adapterDirectory) (PEFT safetensors)",
                          "           \(summary.ggufAdapter) (llama.cpp: --lora \(summary.ggufAdapter))",
                          "  chart:   \(URL(fileURLWithPath: summary.runDirectory).appendingPathComponent("loss.svg").path)"]
            } else {
                var text = Console.paint("✓ job \(job.id) succeeded", .green)
                if let tokens = job.trainedTokens { text += " (\(tokens.grouped) trained tokens)" }
                lines.append(text)
                if let loss = record.finalTrainLoss { lines.append(String(format: "  final training loss %.4f", loss)) }
                if let loss = record.finalValidLoss { lines.append(String(format: "  final validation loss %.4f", loss)) }
            }
            if let cost = record.cost.actualUSD { lines.append(String(format: "  cost: $%.2f", cost)) }
            if let model = job.fineTunedModel {
                lines.append("Fine-tuned model: \(model)")
                if local != nil {
                    lines.append("Chat with it:  finetune chat \(model)")
                    if let run = plan.runDirectory { lines.append("Merge it:      finetune export \(run.path) --merge --type q8_0") }
                }
            }
            lines.append("Run record:    \(recordURL.path)  (finetune runs show \(recordURL.deletingPathExtension().lastPathComponent))")
            for line in lines { Console.err(line) }
        case .failed:
            Console.err(Console.paint("✗ job \(job.id) failed: \(job.error?.message ?? "the provider gave no reason")", .red))
            Console.err("Run record: \(recordURL.path)")
            throw ExitCode(1)
        case .cancelled:
            Console.err(Console.paint("✗ job \(job.id) was cancelled", .red))
            Console.err("Run record: \(recordURL.path)")
            throw ExitCode(1)
        default:
            Console.err("job \(job.id) is \(job.status.rawValue)")
        }
    }

    private func makePlan(home: FinetuneHome, inProcess: Bool) throws -> Plan {
        let kind = command.connection.provider
        var plan = Plan(train: command.train ?? "", valid: command.valid, model: command.model ?? Self.defaultModel(kind),
                        suffix: command.suffix, options: command.hyperparameters.options, runDirectory: nil)
        guard inProcess else { return plan }
        if let resume = command.resume {
            let directory = try Console.reportingErrors(exitStatus: 1) { try TrainCommand.locateRun(resume, home: home) }
            let saved = try Console.reportingErrors(exitStatus: 1) { () throws -> RunRecord in
                do { return try RunRecord.read(directory) } catch { throw CLIError("\(error)") }
            }
            plan = Plan(train: saved.train, valid: saved.valid, model: saved.model, suffix: saved.suffix, options: saved.options,
                        runDirectory: directory)
        } else if let output = command.output {
            let directory = URL(fileURLWithPath: output).standardizedFileURL
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent(RunRecord.fileName).path) {
                Console.err(Console.paint("finetune: error: \(output) already holds a run: continue it with --resume \(output), or choose another --output", .red))
                throw ExitCode(1)
            }
            plan.runDirectory = directory
        } else {
            plan.runDirectory = home.runDirectory(id: LocalEngineConfiguration.runID(suffix: command.suffix))
        }
        return plan
    }

    static func defaultModel(_ kind: ProviderKind) -> String {
        switch kind {
        case .local: ModelCatalog.defaultModelName
        case .openai: "gpt-4o-mini-2024-07-18"
        case .together: "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"
        }
    }

    private func jobRequest(_ plan: Plan, kind: ProviderKind, trainingFile: String, validationFile: String?) -> JobRequest {
        let options = command.hyperparameters
        var lora: LoRARequest?
        if kind == .together, command.lora != false {
            lora = LoRARequest(rank: options.rank, alpha: options.alpha.map(Double.init), dropout: Double(options.dropout),
                               targetModules: options.targets == "all" ? nil : LoRATargetList.parse(options.targets)?.map(\.rawValue))
        }
        var wandb: WandbRequest?
        if let project = command.wandbProject, command.connection.isInProcess {
            Console.err(Console.paint("note: Weights & Biases logging needs a hosted provider; --wandb-project \(project) is not used "
                                      + "for a run on this machine (its metrics are in the run record and the run folder's metrics.jsonl)", .yellow))
        } else if let project = command.wandbProject {
            wandb = WandbRequest(project: project, name: command.wandbName, entity: command.wandbEntity,
                                 apiKey: ProcessInfo.processInfo.environment["WANDB_API_KEY"])
        }
        return JobRequest(
            model: plan.model, trainingFile: trainingFile, validationFile: validationFile, epochs: plan.options.epochs,
            learningRate: options.learningRate.value.map(Double.init), learningRateMultiplier: command.learningRateMultiplier,
            batchSize: options.batchSize, lora: lora, useLoRA: kind == .together ? command.lora : nil, suffix: plan.suffix,
            seed: Int(truncatingIfNeeded: plan.options.seed), wandb: wandb, metadata: ["finetune_run": command.name ?? plan.suffix ?? "run"])
    }

    /// The reference file's `training_parameters`: every option the run was given (null where it wasn't).
    private func trainingParameters(_ plan: Plan, inputFile: String) -> [String: OpenAIAPI.JSONValue] {
        let options = command.hyperparameters
        let inProcess = command.connection.isInProcess
        func path(_ text: String) -> OpenAIAPI.JSONValue { .string(URL(fileURLWithPath: text).standardizedFileURL.path) }
        func number(_ value: (some BinaryInteger)?) -> OpenAIAPI.JSONValue { value.map { .number(Double($0)) } ?? .null }
        func number(_ value: (some BinaryFloatingPoint)?) -> OpenAIAPI.JSONValue { value.map { .number(Double($0)) } ?? .null }
        func text(_ value: String?) -> OpenAIAPI.JSONValue { value.map { .string($0) } ?? .null }
        let batchSize: OpenAIAPI.JSONValue
        if case .count(let count) = options.batchSize { batchSize = .number(Double(count)) } else { batchSize = .string(options.batchSize.description) }
        var parameters: [String: OpenAIAPI.JSONValue] = [:]
        parameters["input_file"] = path(inputFile)
        parameters["training_file_path"] = path(plan.train)
        parameters["validation_file_path"] = plan.valid.map(path) ?? .null
        parameters["base_model"] = .string(plan.model)
        parameters["provider"] = .string(command.connection.provider.rawValue)
        parameters["n_epochs"] = number(plan.options.epochs)
        parameters["learning_rate"] = number(options.learningRate.value)
        parameters["learning_rate_multiplier"] = number(command.learningRateMultiplier)
        parameters["batch_size"] = batchSize
        parameters["lora"] = .bool(command.connection.provider == .openai ? false : command.lora ?? true)
        parameters["lora_rank"] = number(options.rank)
        parameters["lora_alpha"] = number(options.alpha)
        parameters["lora_dropout"] = number(options.dropout)
        parameters["lora_targets"] = .string(options.targets)
        parameters["suffix"] = text(plan.suffix)
        parameters["seed"] = number(plan.options.seed)
        parameters["max_conversations"] = number(command.maxConversations)
        parameters["check_interval"] = number(command.checkInterval ?? (inProcess ? 0.2 : 10))
        parameters["no_monitor"] = .bool(command.noMonitor)
        parameters["wandb_project"] = text(command.wandbProject)
        parameters["wandb_name"] = text(command.wandbName)
        parameters["resume"] = text(command.resume)
        parameters["threads"] = inProcess ? number(command.threads) : .null
        return parameters
    }

    /// Uploads one file with a progress bar.
    private func upload(_ path: String, role: String, to provider: any FineTuningProvider) async throws -> RemoteFile {
        let inProcess = provider is LocalEngineProvider
        let url = URL(fileURLWithPath: path).standardizedFileURL
        let bar = ProgressBar(label: "uploading \(url.lastPathComponent)")
        let box = ProgressBox(bar)
        defer { bar.finish() }
        let file = try await provider.upload(url) { sent, total in box.update(sent, total) }
        bar.finish()
        Console.err(inProcess ? "Checked the \(role) file \(url.lastPathComponent)"
                    : "Uploaded the \(role) file \(url.lastPathComponent) as \(file.id)" + (file.status.map { " (\($0))" } ?? ""))
        return file
    }

    /// Asks on the terminal; without one, `--yes` is required.
    private func confirm(_ cost: CostQuote) throws {
        guard isatty(STDIN_FILENO) == 1 else {
            Console.err(Console.paint("finetune: error: this job costs money (\(cost.headline)); add --yes to start it without asking", .red))
            throw ExitCode(1)
        }
        Console.errNoNewline("Start the job (\(cost.headline))? [y/N] ")
        let answer = readLine()?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        guard answer == "y" || answer == "yes" else {
            Console.err("Nothing was uploaded or started.")
            throw ExitCode(1)
        }
    }

    /// The first `limit` non-empty lines of `path`, written to `destination`.
    private func firstConversations(of path: String, limit: Int, into destination: URL) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ProviderError.invalidRequest("cannot read \(path)") }
        defer { try? handle.close() }
        var kept: [Substring] = []
        var pending = Data()
        while kept.count < limit, let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            pending.append(chunk)
            guard let last = pending.lastIndex(of: UInt8(ascii: "\n")) else { continue }
            let text = String(decoding: pending[..<last], as: UTF8.self)
            pending = Data(pending[(last + 1)...])
            kept += text.split(separator: "\n", omittingEmptySubsequences: true).filter { !$0.allSatisfy(\.isWhitespace) }
        }
        if kept.count < limit, !pending.isEmpty {
            kept += String(decoding: pending, as: UTF8.self).split(separator: "\n").filter { !$0.allSatisfy(\.isWhitespace) }
        }
        let lines = kept.prefix(limit)
        try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        let writer = try AtomicFileWriter(path: destination.path)
        try writer.write(lines.joined(separator: "\n") + "\n")
        try writer.commit()
        Console.err("Training on the first \(lines.count) conversations (--max-conversations): \(destination.path)")
        return destination.path
    }
}

/// The progress bar, handed to an upload's `@Sendable` progress callback.
final class ProgressBox: @unchecked Sendable {
    // @unchecked: uploads report progress from one task at a time; `lock` makes that explicit.
    private let lock = NSLock()
    private let bar: ProgressBar
    init(_ bar: ProgressBar) { self.bar = bar }
    func update(_ done: Int, _ total: Int) { lock.withLock { bar.update(done, total) } }
}

extension ExperimentRecord.Stats {
    init(_ statistics: DatasetStatistics) {
        let stats = statistics.trainingStats
        self.init(totalConversations: stats.totalConversations, processedConversations: stats.processedConversations,
                  skippedConversations: stats.skippedConversations, totalMessages: stats.totalMessages,
                  trainingMessages: stats.trainingMessages, tokensPerEpoch: statistics.tokensPerEpoch,
                  trainedTokensPerEpoch: statistics.trainedTokensPerEpoch)
    }
}

extension Array {
    fileprivate func appending(_ element: Element?) -> [Element] {
        guard let element else { return self }
        return self + [element]
    }
}
