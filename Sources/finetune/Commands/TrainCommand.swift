import ArgumentParser
import ChatDataset
import FineTuningProviders
import Foundation
import LanguageModel
import LoRATraining
import ModelHub
import TensorCore

/// `finetune train TRAIN.jsonl`: one step from a data file to a fine-tuned model, on any provider.
struct TrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Fine-tune a model on a chat JSONL file: on this machine (LoRA), on OpenAI or on Together.",
        discussion: """
        One step: checks the data with the provider's rules, estimates the cost and asks (unless --yes), \
        uploads, creates the job, follows it live (status, events, a progress bar with ETA, the training \
        and validation loss, a loss chart), and keeps a run record, runs/<name>_finetune_<timestamp>.json, \
        up to date as it goes (`finetune runs list`). Ctrl-C stops watching: a hosted job keeps running \
        (re-attach with `finetune jobs events ID --follow`); a local one stops at a checkpoint \
        (continue with --resume).

        Locally (the default) LoRA adapters are trained with AdamW on this machine's CPU; the run's folder \
        ($FINETUNE_HOME/runs/<id>/) holds metrics.jsonl, checkpoints/, adapter/ (PEFT safetensors and a \
        llama.cpp GGUF adapter) and loss.svg, and the result is registered for `finetune chat`.

        Examples:
          finetune train train.jsonl --valid valid.jsonl --suffix pricer
          finetune train train.jsonl --valid valid.jsonl --suffix pricer --provider openai --model gpt-4o-mini-2024-07-18
          finetune train train.jsonl --provider together --model meta-llama/Meta-Llama-3.1-8B-Instruct-Reference --lora
        """
    )

    @Argument(help: "Training data: chat JSONL, one {\"messages\": [...]} per line.")
    var train: String?

    @Option(help: "Validation data (chat JSONL); its loss is reported as training goes.")
    var valid: String?

    @Option(help: ArgumentHelp("The base model (default: \(ModelCatalog.defaultModelName) locally, gpt-4o-mini-2024-07-18 on OpenAI, Meta-Llama-3.1-8B-Instruct-Reference on Together).", valueName: "model"))
    var model: String?

    @Option(help: "A word in the fine-tuned model's name (letters, digits, '-', '_').")
    var suffix: String?

    @OptionGroup(title: "Provider") var connection: ProviderConnection

    @OptionGroup(title: "Hyperparameters") var hyperparameters: TrainingOptionsGroup

    @Option(name: .customLong("learning-rate-multiplier"), help: ArgumentHelp("OpenAI's learning rate: a multiple of its own default (also a finetune serve's).", valueName: "x"))
    var learningRateMultiplier: Double?

    @Flag(inversion: .prefixedNo, help: "Together: LoRA (--lora) or full fine-tuning (--no-lora); default: Together's. Local runs are always LoRA.")
    var lora: Bool?

    @Option(name: .customLong("max-conversations"), help: ArgumentHelp("Train on the first N conversations only.", valueName: "n"))
    var maxConversations: Int?

    @Option(name: .customLong("check-interval"), help: ArgumentHelp("Seconds between looks at the job (default: 10; 0.2 for a run in this process, where a look costs nothing).", valueName: "seconds"))
    var checkInterval: Double?

    @Flag(name: .customLong("no-monitor"), help: "Create the job and return; follow it later with `finetune jobs events ID --follow`.")
    var noMonitor = false

    @OptionGroup(title: "Experiment tracking") var mlflow: MLflowOptions

    @Flag(name: .shortAndLong, help: "Don't ask before spending money.")
    var yes = false

    @Option(name: .customLong("wandb-project"), help: ArgumentHelp("Log the run to this Weights & Biases project (OpenAI: integrations; Together: needs WANDB_API_KEY).", valueName: "project"))
    var wandbProject: String?

    @Option(name: .customLong("wandb-name"), help: ArgumentHelp("The Weights & Biases run name.", valueName: "name"))
    var wandbName: String?

    @Option(name: .customLong("wandb-entity"), help: ArgumentHelp("The Weights & Biases team or user.", valueName: "entity"))
    var wandbEntity: String?

    @Option(help: ArgumentHelp("The run record's name (default: the suffix, else the training file's name).", valueName: "name"))
    var name: String?

    @Option(name: .customLong("runs-dir"), help: ArgumentHelp("Where run records go (default: FINETUNE_RUNS_DIR, else ./runs).", valueName: "dir"))
    var runsDir: String?

    @Option(help: ArgumentHelp("The price table for the cost estimate (default: yours, else the built-in one; see `finetune pricing`).", valueName: "file"))
    var pricing: String?

    @Option(help: ArgumentHelp("Local: the run's folder (default: $FINETUNE_HOME/runs/<id>); it must not hold another run.", valueName: "dir"))
    var output: String?

    @Option(help: "Local: compute threads (default: every core).")
    var threads: Int = ThreadPool.defaultThreadCount

    @Option(help: ArgumentHelp("Local: continue an interrupted run from its last checkpoint: the run's folder or id.", valueName: "run"))
    var resume: String?

    @Flag(name: .customLong("show-mask"), help: "Local: print the first training example as the model sees it, trained tokens highlighted, and stop.")
    var showMask = false

    func validate() throws {
        if noMonitor, mlflow.uri != nil {
            throw ValidationError("--mlflow logs the metrics as the job runs, which --no-monitor skips; drop one of them")
        }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1.") }
        guard train != nil || resume != nil else { throw ValidationError("Give the training file (or --resume RUN).") }
        if let suffix, suffix.isEmpty || suffix.count > 40 || suffix.contains(where: { !$0.isLetter && !$0.isNumber && $0 != "-" && $0 != "_" }) {
            throw ValidationError("--suffix must be 1 to 40 letters, digits, '-' or '_'.")
        }
        if let maxConversations, maxConversations < 1 { throw ValidationError("--max-conversations must be at least 1.") }
        if let checkInterval, !(checkInterval > 0) { throw ValidationError("--check-interval must be more than 0 seconds.") }
        if let learningRateMultiplier, !(learningRateMultiplier > 0) { throw ValidationError("--learning-rate-multiplier must be more than 0.") }
        if wandbName != nil || wandbEntity != nil, wandbProject == nil {
            throw ValidationError("--wandb-name and --wandb-entity need --wandb-project.")
        }
        let local = connection.isInProcess
        if !local {
            for (flag, given) in [("--resume", resume != nil), ("--output", output != nil), ("--show-mask", showMask)] where given {
                throw ValidationError("\(flag) is for local runs on this machine (--provider local without --base-url).")
            }
        }
        switch connection.provider {
        case .local where local:
            if hyperparameters.batchSize == .max { throw ValidationError("--batch-size max is Together's; locally give a number or auto.") }
            if lora == false { throw ValidationError("local runs train LoRA adapters; drop --no-lora.") }
            if noMonitor { throw ValidationError("local runs train in this process: drop --no-monitor, or give --base-url of a `finetune serve`.") }
            if learningRateMultiplier != nil, hyperparameters.learningRate.value != nil {
                throw ValidationError("give --learning-rate or --learning-rate-multiplier, not both.")
            }
        case .openai, .local:
            if hyperparameters.rank != nil || hyperparameters.alpha != nil || lora != nil {
                throw ValidationError("\(connection.provider.displayName) chooses its own fine-tuning method: drop --lora, --no-lora, --lora-rank and --lora-alpha.")
            }
            if hyperparameters.batchSize == .max { throw ValidationError("--batch-size max is Together's; \(connection.provider.displayName) takes a number or auto.") }
            if hyperparameters.learningRate.value != nil {
                throw ValidationError("\(connection.provider.displayName) takes a multiplier of its own learning rate: use --learning-rate-multiplier.")
            }
        case .together:
            if learningRateMultiplier != nil { throw ValidationError("Together takes an absolute --learning-rate (such as 1e-5), not a multiplier.") }
        }
    }

    func run() async throws {
        if showMask {
            try showFirstExample()
            return
        }
        try await TrainFlow(command: self).run()
    }

    private func showFirstExample() throws {
        guard let train else { throw ValidationError("--show-mask needs the training file.") }
        let examples = try Console.reportingErrors(exitStatus: 1) { () throws -> [ChatExample] in
            do { return try ChatExampleFile.read(train) } catch { throw CLIError("\(error)") }
        }
        let url = try ModelOptions.resolve(model ?? ModelCatalog.defaultModelName)
        let local = try Console.reportingErrors(exitStatus: 1) {
            do { return try LocalModel(url: url, threads: threads) } catch { throw CLIError("\(error)") }
        }
        try printMask(examples.first, local: local, options: hyperparameters.options)
    }

    /// The validator's checks with `provider`'s rules; errors stop the run before anything is uploaded or trained.
    /// The minimum example count applies to training data only (validation files and bare uploads have none).
    static func checkData(_ path: String, role: String, provider: Provider) throws {
        let result = try Console.reportingErrors(exitStatus: 2) {
            try DatasetScanner(options: ScanOptions(provider: provider)).scan(path: path)
        }
        let findings = result.findings
        let errors = findings.kept.filter { $0.severity == .error && (role == "training" || $0.code != "too-few-examples") }
        let errorCount = findings.errorCount - findings.kept.filter { $0.severity == .error }.count + errors.count
        guard errorCount > 0 else {
            if findings.warningCount > 0 {
                Console.err(Console.paint("\(path): \(findings.warningCount) warning\(findings.warningCount == 1 ? "" : "s") "
                                          + "(`finetune validate \(path) --provider \(provider.rawValue)` lists them)", .yellow))
            }
            return
        }
        for finding in errors { Console.err(Console.format(finding, file: path)) }
        Console.err(Console.paint("✗ the \(role) data has \(errorCount) error\(errorCount == 1 ? "" : "s"); "
                                  + "fix them and train again (nothing was trained)", .red))
        throw ExitCode(1)
    }

    private func printMask(_ example: ChatExample?, local: LocalModel, options: TrainingOptions) throws {
        guard let example else { throw CLIError("the training file has no examples") }
        let encoder = ExampleEncoder(formatter: local.formatter, maxLength: options.maxLength ?? 2048, trainOnInputs: options.trainOnInputs)
        let encoded = try Console.reportingErrors(exitStatus: 1) { () throws -> EncodedExample in
            do { return try encoder.encode(example, line: 1) } catch { throw CLIError("\(error)") }
        }
        let color = isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
        var text = ""
        for (token, trained) in zip(encoded.tokens, encoded.trained) {
            let piece = String(decoding: local.tokenizer.isSpecial(Int(token)) ? Array((local.tokenizer.piece(for: Int(token)) ?? "").utf8)
                               : local.tokenizer.bytes(for: Int(token)), as: UTF8.self)
            if trained {
                text += color ? "\u{1B}[30;42m\(piece)\u{1B}[0m" : "[[\(piece)]]"
            } else {
                text += color ? "\u{1B}[2m\(piece)\u{1B}[0m" : piece
            }
        }
        Console.out(text)
        Console.err("\(encoded.tokens.count) tokens, \(encoded.trainedCount) trained "
                    + (color ? "(highlighted)" : "(between [[ and ]])") + (encoded.truncated ? "; cut to --max-length" : ""))
    }

    static func locateRun(_ text: String, home: FinetuneHome) throws -> URL {
        let fm = FileManager.default
        let candidates = [URL(fileURLWithPath: text), home.url.appendingPathComponent("runs").appendingPathComponent(text)]
        guard let found = candidates.first(where: { fm.fileExists(atPath: $0.appendingPathComponent(RunRecord.fileName).path) }) else {
            throw CLIError("no run '\(text)': give a run folder (it holds \(RunRecord.fileName)) or an id under \(home.url.path)/runs")
        }
        return found
    }
}

/// What `finetune train` was asked, kept in the run folder so `--resume` needs only the run.
struct RunRecord: Codable {
    static let fileName = "command.json"
    var train: String
    var valid: String?
    var model: String
    var suffix: String?
    var options: TrainingOptions

    func write(_ directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let path = directory.appendingPathComponent(Self.fileName).path
        let writer = try AtomicFileWriter(path: path)
        try writer.write(String(decoding: try encoder.encode(self), as: UTF8.self))
        try writer.commit()
    }

    static func read(_ directory: URL) throws -> RunRecord {
        try JSONDecoder().decode(RunRecord.self, from: Data(contentsOf: directory.appendingPathComponent(fileName)))
    }
}
