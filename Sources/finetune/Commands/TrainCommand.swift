import ArgumentParser
import ChatDataset
import Foundation
import LanguageModel
import LoRATraining
import ModelHub
import TensorCore

/// `finetune train TRAIN.jsonl`: LoRA fine-tuning on this machine's CPU.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Fine-tune a local model with LoRA on a chat JSONL file.",
        discussion: """
        Checks the data first (the checks of `finetune validate --provider local`), then trains LoRA \
        adapters with AdamW, validating and checkpointing as it goes, and registers the result as \
        a model `finetune chat` can run. Everything a run writes is under $FINETUNE_HOME/runs/<id>/: \
        metrics.jsonl, checkpoints/, adapter/ (PEFT safetensors and a llama.cpp GGUF adapter), loss.svg.

        Example:
          finetune train train.jsonl --valid valid.jsonl --model smollm2-135m-instruct --suffix pricer
        """
    )

    @Argument(help: "Training data: chat JSONL, one {\"messages\": [...]} per line.")
    var train: String?

    @Option(help: "Validation data (chat JSONL); its loss is reported as training goes.")
    var valid: String?

    @Option(help: "The base model: a name (`finetune models list`) or a .gguf path.")
    var model: String = ModelCatalog.defaultModelName

    @Option(help: "A word in the fine-tuned model's name: ft:<model>:<suffix>:<id>.")
    var suffix: String?

    @Option(help: ArgumentHelp("The run's folder (default: $FINETUNE_HOME/runs/<id>); it must not hold another run.", valueName: "dir"))
    var output: String?

    @OptionGroup var hyperparameters: TrainingOptionsGroup

    @Option(help: "Compute threads (default: every core).")
    var threads: Int = ThreadPool.defaultThreadCount

    @Option(help: ArgumentHelp("Continue an interrupted run from its last checkpoint: the run's folder or id.", valueName: "run"))
    var resume: String?

    @Flag(name: .customLong("show-mask"), help: "Print the first training example as the model sees it, trained tokens highlighted, and stop.")
    var showMask = false

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1.") }
        guard train != nil || resume != nil else { throw ValidationError("Give the training file (or --resume RUN).") }
        if let suffix, suffix.isEmpty || suffix.count > 40 || suffix.contains(where: { !$0.isLetter && !$0.isNumber && $0 != "-" && $0 != "_" }) {
            throw ValidationError("--suffix must be 1 to 40 letters, digits, '-' or '_'.")
        }
    }

    func run() throws {
        let home = FinetuneHome(environment: ProcessInfo.processInfo.environment)
        var runDirectory: URL
        var trainPath = train ?? ""
        var validPath = valid
        var modelName = model
        var options = hyperparameters.options
        var runSuffix = suffix
        if let resume {
            runDirectory = try Console.reportingErrors(exitStatus: 1) { try Self.locateRun(resume, home: home) }
            let saved = try Console.reportingErrors(exitStatus: 1) { () throws -> RunRecord in
                do { return try RunRecord.read(runDirectory) } catch { throw CLIError("\(error)") }
            }
            trainPath = saved.train
            validPath = saved.valid
            modelName = saved.model
            options = saved.options
            runSuffix = saved.suffix
        } else if let output {
            runDirectory = URL(fileURLWithPath: output).standardizedFileURL
            if FileManager.default.fileExists(atPath: runDirectory.appendingPathComponent(RunRecord.fileName).path) {
                Console.err(Console.paint("finetune: error: \(output) already holds a run: continue it with --resume \(output), or choose another --output", .red))
                throw ExitCode(1)
            }
        } else {
            runDirectory = home.url.appendingPathComponent("runs").appendingPathComponent(Self.runID(suffix: suffix))
        }

        try checkData(trainPath, role: "training")
        if let validPath { try checkData(validPath, role: "validation") }
        let examples = try Console.reportingErrors(exitStatus: 1) { () throws -> [ChatExample] in
            do { return try ChatExampleFile.read(trainPath) } catch { throw CLIError("\(error)") }
        }
        let validExamples = try validPath.map { path in
            try Console.reportingErrors(exitStatus: 1) { () throws -> [ChatExample] in
                do { return try ChatExampleFile.read(path) } catch { throw CLIError("\(error)") }
            }
        } ?? []

        let url = try ModelOptions.resolve(modelName)
        let local = try Console.reportingErrors(exitStatus: 1) {
            do { return try LocalModel(url: url, threads: threads) } catch { throw CLIError("\(error)") }
        }
        if showMask {
            try printMask(examples.first, local: local, options: options)
            return
        }
        let trainer = try Console.reportingErrors(exitStatus: 1) { () throws -> Trainer in
            do {
                return try Trainer(model: local.model, file: local.file, train: examples, valid: validExamples, options: options,
                                   runDirectory: runDirectory, baseModel: modelName, trainPath: trainPath)
            } catch { throw CLIError("\(error)") }
        }
        if resume == nil {
            try Console.reportingErrors(exitStatus: 1) {
                do {
                    // Absolute paths, so --resume works from any folder.
                    func absolute(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.path }
                    let model = modelName.hasSuffix(".gguf") ? absolute(modelName) : modelName
                    try RunRecord(train: absolute(trainPath), valid: validPath.map(absolute), model: model, suffix: runSuffix,
                                  options: options).write(runDirectory)
                } catch { throw CLIError("\(error)") }
            }
        }
        Console.err("Run folder: \(runDirectory.path)")
        let progress = TrainingProgress()
        let interrupted = InterruptFlag()
        let summary = try Console.reportingErrors(exitStatus: 1) { () throws -> TrainingSummary in
            defer { progress.finish() }
            do {
                return try trainer.run(resume: resume != nil, isCancelled: { interrupted.isSet }, events: progress.handle)
            } catch { throw CLIError("\(error)") }
        }
        if summary.steps < summary.hyperparameters.totalSteps {
            Console.err("Stopped at step \(summary.steps) of \(summary.hyperparameters.totalSteps); a checkpoint was saved. "
                        + "Continue with: finetune train --resume \(runDirectory.lastPathComponent)")
            throw ExitCode(130)
        }
        try finished(summary, runDirectory: runDirectory, baseName: modelName, suffix: runSuffix, baseURL: url)
    }

    /// The validator's checks; errors stop the run before any training.
    private func checkData(_ path: String, role: String) throws {
        let result = try Console.reportingErrors(exitStatus: 2) {
            try DatasetScanner(options: ScanOptions(provider: .local)).scan(path: path)
        }
        let findings = result.findings
        guard !result.isClean else {
            if findings.warningCount > 0 {
                Console.err(Console.paint("\(path): \(findings.warningCount) warning\(findings.warningCount == 1 ? "" : "s") "
                                          + "(`finetune validate \(path) --provider local` lists them)", .yellow))
            }
            return
        }
        for finding in findings.kept where finding.severity == .error { Console.err(Console.format(finding, file: path)) }
        Console.err(Console.paint("✗ the \(role) data has \(findings.errorCount) error\(findings.errorCount == 1 ? "" : "s"); "
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

    private func finished(_ summary: TrainingSummary, runDirectory: URL, baseName: String, suffix: String?, baseURL: URL) throws {
        var lines = ["", Console.paint("✓ trained \(summary.steps) steps in \(ProgressBar.duration(summary.seconds))", .green)
                     + String(format: " (%.0f tokens/s); final training loss %.4f", summary.tokensPerSecond, summary.finalTrainLoss ?? .nan)]
        if let before = summary.initialValidLoss, let after = summary.finalValidLoss {
            lines.append(String(format: "  validation loss %.4f → %.4f", before, after))
        }
        lines += ["  run:     \(runDirectory.path)",
                  "  adapter: \(summary.adapterDirectory) (PEFT safetensors)",
                  "           \(summary.ggufAdapter) (llama.cpp: llama-cli -m \(baseURL.path) --lora \(summary.ggufAdapter))",
                  "  metrics: \(runDirectory.appendingPathComponent("metrics.jsonl").path)"]
        lines.append("  chart:   \(runDirectory.appendingPathComponent("loss.svg").path)")
        // Register it as a model: ft:<base>:<suffix>:<id>, OpenAI's naming.
        let id = String(runDirectory.lastPathComponent.split(separator: "-").dropFirst(3).first ?? "run")
        let base = baseName.hasSuffix(".gguf") ? URL(fileURLWithPath: baseName).deletingPathExtension().lastPathComponent.lowercased() : baseName
        let name = "ft:\(base):\(suffix ?? "lora"):\(id)"
        do {
            let store = try ModelStore()
            try store.registerFineTuned(name: name, baseModel: baseName, adapterDirectory: URL(fileURLWithPath: summary.adapterDirectory),
                                        runDirectory: runDirectory)
            lines.append("Fine-tuned model: \(name)")
            lines.append("Chat with it:  finetune chat \(name)")
        } catch {
            lines.append("(not registered as a model: \(error))")
            lines.append("Chat with it:  finetune chat \(baseName) --adapter \(runDirectory.path)")
        }
        lines.append("Merge it:      finetune export \(runDirectory.path) --merge --type q8_0")
        for line in lines { Console.err(line) }
    }

    static func runID(suffix: String?) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        let random = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        return "run-\(formatter.string(from: Date()))-\(random)" + (suffix.map { "-\($0)" } ?? "")
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

/// Set by SIGINT (Ctrl-C): the trainer stops after the current step and saves a checkpoint.
final class InterruptFlag: @unchecked Sendable {
    // @unchecked: a C signal handler writes one atomic-sized flag; readers poll it between steps.
    nonisolated(unsafe) private static var raised: sig_atomic_t = 0

    init() {
        Self.raised = 0
        signal(SIGINT) { _ in
            if InterruptFlag.raised != 0 { _exit(130) }     // a second Ctrl-C quits at once
            InterruptFlag.raised = 1
        }
    }

    var isSet: Bool { Self.raised != 0 }
}
