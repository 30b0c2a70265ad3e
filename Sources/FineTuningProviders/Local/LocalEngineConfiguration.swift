import ChatDataset
import Crypto
import Foundation
import LanguageModel
import LoRATraining
import ModelHub

/// How the in-process engine trains: everything `finetune train` sets besides the data and the model.
public struct LocalEngineConfiguration: Sendable {
    /// Where models are registered and runs are written (`$FINETUNE_HOME`).
    public var home: FinetuneHome
    /// Compute threads for training.
    public var threads: Int
    /// LoRA, schedule, lengths, precision, eval/checkpoint cadence; a job request's epochs, learning
    /// rate, batch size, seed and LoRA settings override these.
    public var options: TrainingOptions
    /// The run folder of the next job created; nil: `home/runs/<new run id>`.
    public var runDirectory: URL?
    /// Continue the run in `runDirectory` from its last checkpoint (`finetune train --resume`).
    public var resume: Bool

    /// - Parameters:
    ///   - home: the finetune home (pass it explicitly in tests: never the user's).
    ///   - threads: compute threads.
    ///   - options: the training options before a request's overrides.
    ///   - runDirectory: the run folder of the next job (nil: a new one under `home/runs`).
    ///   - resume: continue that run from its last checkpoint.
    public init(home: FinetuneHome, threads: Int, options: TrainingOptions = TrainingOptions(), runDirectory: URL? = nil,
                resume: Bool = false) {
        self.home = home
        self.threads = threads
        self.options = options
        self.runDirectory = runDirectory
        self.resume = resume
    }

    /// A new run id, `run-YYYYMMDD-HHMMSS-<random>[-<suffix>]` (UTC), the CLI's format.
    public static func runID(suffix: String?, now: Date = Date()) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.locale = Locale(identifier: "en_US_POSIX")
        let random = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        return "run-\(formatter.string(from: now))-\(random)" + (suffix.map { "-\($0)" } ?? "")
    }

    /// The fine-tuned model's registered name, `ft:<base>:<suffix or lora>:<id>`, as `finetune train`
    /// names it: the id is the run id's random part, or for a folder named otherwise (`--output DIR`)
    /// six hex digits of its path's SHA-256, so that runs in different folders never share a name and
    /// a run resumed in its folder keeps its own.
    public static func fineTunedModelName(baseModel: String, suffix: String?, runDirectory: URL) -> String {
        let parts = runDirectory.lastPathComponent.split(separator: "-")
        let id: String
        if parts.count >= 4, parts[0] == "run", parts[1].count == 8, parts[2].count == 6, parts[1].allSatisfy(\.isNumber) {
            id = String(parts[3])
        } else {
            let digest = SHA256.hash(data: Data(runDirectory.standardizedFileURL.path.utf8))
            id = digest.prefix(3).map { String(format: "%02x", $0) }.joined()
        }
        let base = baseModel.lowercased().hasSuffix(".gguf")
            ? URL(fileURLWithPath: baseModel).deletingPathExtension().lastPathComponent.lowercased() : baseModel
        return "ft:\(base):\(suffix ?? "lora"):\(id)"
    }

    /// The options a request asks for: the configuration's, with the request's choices on top.
    /// - Parameter baseLearningRate: the rate a learning-rate multiplier of 1 stands for.
    /// - Throws: `ProviderError.invalidRequest` or `.unsupported` for what the local engine can't do.
    func options(for request: JobRequest, baseLearningRate: Float) throws(ProviderError) -> TrainingOptions {
        var options = options
        if let epochs = request.epochs {
            guard epochs >= 1 else { throw .invalidRequest("--epochs must be at least 1 (or auto)") }
            options.epochs = epochs
        }
        switch request.batchSize {
        case .auto: break
        case .max: throw .invalidRequest("the local engine takes --batch-size N or auto, not max")
        case .count(let count):
            guard count >= 1 else { throw .invalidRequest("--batch-size must be at least 1 (or auto)") }
            options.batchSize = count
        }
        switch (request.learningRate, request.learningRateMultiplier) {
        case (.some, .some):
            throw .invalidRequest("give either --learning-rate or --learning-rate-multiplier, not both")
        case (let rate?, nil):
            options.learningRate = Float(rate)
        case (nil, let multiplier?):
            guard multiplier > 0, multiplier.isFinite else {
                throw .invalidRequest("--learning-rate-multiplier must be a positive number, e.g. 0.5")
            }
            options.learningRate = baseLearningRate * Float(multiplier)
        case (nil, nil): break
        }
        if let seed = request.seed {
            guard seed >= 0 else { throw .invalidRequest("--seed must be 0 or more") }
            options.seed = UInt64(seed)
        }
        if request.useLoRA == false {
            throw .unsupported(provider: .local, what: "full fine-tuning (it trains LoRA adapters; leave out --full)")
        }
        if request.wandb != nil {
            throw .unsupported(provider: .local, what: "Weights & Biases logging (its metrics are in the run folder's metrics.jsonl)")
        }
        if let lora = request.lora { options.lora = try Self.lora(lora, over: options.lora) }
        return options
    }

    /// The LoRA settings a request asks for, over `base`.
    static func lora(_ request: LoRARequest, over base: LoRAConfiguration) throws(ProviderError) -> LoRAConfiguration {
        var targets = base.targets
        if let modules = request.targetModules {
            if modules.contains(where: { ["all-linear", "all"].contains($0.lowercased()) }) {
                targets = LoRATarget.allCases
            } else {
                targets = []
                for module in modules {
                    let name = module.hasSuffix("_proj") ? module : module + "_proj"
                    guard let target = LoRATarget(rawValue: name.lowercased()) else {
                        throw .invalidRequest("--lora-targets: '\(module)' is not a layer the local engine adapts; use "
                                              + LoRATarget.allCases.map(\.rawValue).joined(separator: ", ") + " or all-linear")
                    }
                    targets.append(target)
                }
            }
        }
        let rank = request.rank ?? base.rank
        // The alpha follows a changed rank (2 × rank) unless it is given.
        let alpha = request.alpha.map { Float($0) } ?? (request.rank == nil ? base.alpha : nil)
        return LoRAConfiguration(rank: rank, alpha: alpha, dropout: request.dropout.map { Float($0) } ?? base.dropout, targets: targets)
    }
}

/// Errors of the libraries below, worded as the provider's.
enum LocalEngineErrors {
    /// A `TrainingError` from reading data or preparing a run: data problems name the file.
    static func provider(_ error: TrainingError) -> ProviderError {
        switch error {
        case .invalidData(let path, let messages):
            return .fileRejected(file: path, reason: messages.joined(separator: "; "))
        case .nothingToTrain(let path, let reason):
            return .fileRejected(file: path, reason: "nothing to train on: \(reason)")
        case .template(let line, let message):
            return .fileRejected(file: "the training data", reason: (line > 0 ? "line \(line): " : "") + "chat template: \(message)")
        default:
            return .invalidRequest(error.description)
        }
    }

    /// A model that can't be found or used.
    static func provider(_ error: ModelHubError, model: String) -> ProviderError {
        switch error {
        case .unknownModel: .invalidRequest("\(error.description) (the model to fine-tune: --model)")
        default: .invalidRequest(error.description)
        }
    }

    /// The first few errors a scan found, as one reason: `line 3: messages[1].role: …; line 7: …`.
    static func reason(_ findings: FindingCollector, limit: Int = 3) -> String {
        let errors = findings.kept.filter { $0.severity == .error }
        var parts = errors.prefix(limit).map { finding in
            (finding.line.map { "line \($0): " } ?? "") + (finding.field.isEmpty ? "" : finding.field + ": ") + finding.message
        }
        if findings.errorCount > parts.count { parts.append("and \(findings.errorCount - parts.count) more errors") }
        return parts.joined(separator: "; ")
    }
}
