import ArgumentParser
import Foundation
import LanguageModel
import ModelHub
import TensorCore

/// The model to run, an optional LoRA adapter for it, and the threads to run it on.
struct ModelOptions: ParsableArguments {
    @Argument(help: ArgumentHelp(
        "A model name (`finetune models list`, fine-tuned models included), a training run folder, or a path to a .gguf file.",
        discussion: "Default: \(ModelCatalog.defaultModelName), or with --adapter RUN the model the run trained."))
    var model: String?

    @Option(help: ArgumentHelp(
        "A LoRA adapter to apply: a PEFT folder (adapter_config.json + adapter_model.safetensors), a llama.cpp adapter .gguf, or a training run folder.",
        valueName: "path"))
    var adapter: String?

    @Option(help: "Compute threads (default: every core).")
    var threads: Int = ThreadPool.defaultThreadCount

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1.") }
        if let adapter, adapter.trimmingCharacters(in: .whitespaces).isEmpty {
            throw ValidationError("--adapter is empty; give a PEFT adapter folder, a .gguf LoRA adapter or a training run folder.")
        }
    }

    /// The GGUF file a model name or path stands for (a fine-tuned model's base file); errors are
    /// printed and exit with status 1.
    static func resolve(_ model: String) throws -> URL {
        try ModelsCommand.reportingErrors { () throws(ModelHubError) -> URL in try ModelStore().resolve(model) }
    }

    /// The base model file and the adapter to load with it.
    func selection() throws -> AdapterLocator.Selection {
        try AdapterLocator.locate(model: model, adapter: adapter, defaultModel: ModelCatalog.defaultModelName)
    }

    /// Loads the model and its adapter, printing errors the way every command does.
    func load() throws -> LocalModel {
        let selection = try selection()
        return try AdapterLocator.load(selection, threads: threads)
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
