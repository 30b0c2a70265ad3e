import ArgumentParser
import Foundation
import LanguageModel
import ModelHub
import TensorCore

/// The model to run and the threads to run it on.
struct ModelOptions: ParsableArguments {
    @Argument(help: "A model name (`finetune models list`) or a path to a .gguf file.")
    var model: String = ModelCatalog.defaultModelName

    @Option(help: "Compute threads (default: every core).")
    var threads: Int = ThreadPool.defaultThreadCount

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1.") }
    }

    /// The GGUF file the name or path stands for.
    func resolveURL() throws -> URL { try Self.resolve(model) }

    /// The GGUF file a model name or path stands for; errors are printed and exit with status 1.
    static func resolve(_ model: String) throws -> URL {
        try ModelsCommand.reportingErrors { () throws(ModelHubError) -> URL in try ModelStore().resolve(model) }
    }

    /// Loads the model, printing errors the way every command does.
    func load() throws -> LocalModel {
        let url = try resolveURL()
        return try Console.reportingErrors(exitStatus: 1) {
            do { return try LocalModel(url: url, threads: threads) } catch { throw CLIError("\(error)") }
        }
    }
}

/// How to sample the answer.
struct SamplingOptions: ParsableArguments {
    @Option(help: "Sampling temperature; 0 always picks the most likely token.")
    var temperature: Float = 0.2

    @Option(name: .customLong("top-p"), help: "Nucleus sampling: keep the most likely tokens up to this probability mass.")
    var topP: Float = 0.9

    @Option(name: .customLong("top-k"), help: "Keep only the K most likely tokens (0 = no limit).")
    var topK: Int = 0

    @Option(help: "Random seed; the same seed and prompt give the same answer (default: random).")
    var seed: UInt64?

    @Option(name: .customLong("max-tokens"), help: "Most tokens to generate.")
    var maxTokens: Int = 512

    @Option(name: .customLong("stop"), help: "Stop when the answer produces this text (repeatable).")
    var stop: [String] = []

    func validate() throws {
        guard temperature.isFinite, temperature >= 0 else { throw ValidationError("--temperature must be 0 or more.") }
        guard topP > 0, topP <= 1 else { throw ValidationError("--top-p must be in (0, 1].") }
        guard topK >= 0 else { throw ValidationError("--top-k must be 0 (no limit) or more.") }
        guard maxTokens >= 1 else { throw ValidationError("--max-tokens must be at least 1.") }
    }

    var parameters: GenerationParameters {
        GenerationParameters(
            maxTokens: maxTokens,
            sampling: SamplingParameters(temperature: temperature, topP: topP, topK: topK,
                                         seed: seed ?? UInt64.random(in: 0...UInt64.max)),
            stop: stop)
    }
}
