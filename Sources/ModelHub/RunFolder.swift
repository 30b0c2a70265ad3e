import Foundation

/// The folder of a training run, as `finetune train` leaves it:
///
///     <run>/
///       adapter/adapter_config.json           the LoRA adapter, Hugging Face PEFT format
///       adapter/adapter_model.safetensors
///       adapter/adapter.gguf                  the same adapter for llama.cpp (`--lora`)
///       config.json                           {"base_model": NAME_OR_PATH, options, hyperparameters, ...}
///       metrics.jsonl                         one JSON object per step and per validation
///       summary.json                          written when the run ends
///
/// Runs live under `$FINETUNE_HOME/runs/<run-id>/` (`FinetuneHome.runDirectory(id:)`), but any
/// folder with this layout is a run.
///
/// ```swift
/// let run = RunFolder(url: home.runDirectory(id: "ftjob-1"))
/// let base = try run.baseModel()          // "smollm2-135m-instruct"
/// ```
public struct RunFolder: Sendable, Equatable {
    /// The run's folder (absolute, standardized).
    public let url: URL

    /// The run in the folder `url` (nothing is read until asked).
    public init(url: URL) {
        self.url = url.standardizedFileURL
    }

    /// `adapter/`: the PEFT adapter folder.
    public var adapterDirectory: URL { url.appendingPathComponent("adapter", isDirectory: true) }
    /// `adapter/adapter.gguf`: the llama.cpp LoRA adapter.
    public var ggufAdapterURL: URL { adapterDirectory.appendingPathComponent("adapter.gguf") }
    /// `config.json`: the run's configuration, with the base model.
    public var configurationURL: URL { url.appendingPathComponent("config.json") }
    /// `metrics.jsonl`: losses and learning rates as the run went.
    public var metricsURL: URL { url.appendingPathComponent("metrics.jsonl") }
    /// `summary.json`: how the run ended.
    public var summaryURL: URL { url.appendingPathComponent("summary.json") }

    /// The name of the file that marks a PEFT adapter folder.
    public static let adapterConfigurationFileName = "adapter_config.json"

    /// Whether the run has a finished adapter (`adapter/adapter_config.json`).
    public var hasAdapter: Bool {
        FileInfo.isFile(adapterDirectory.appendingPathComponent(Self.adapterConfigurationFileName).path)
    }

    /// Whether `url` is a folder that looks like a run: it has `config.json` or `adapter/`.
    public static func looksLikeRun(_ url: URL) -> Bool {
        let run = RunFolder(url: url)
        return FileInfo.isDirectory(run.url.path)
            && (FileInfo.isFile(run.configurationURL.path) || FileInfo.isDirectory(run.adapterDirectory.path))
    }

    /// The run of a PEFT adapter folder the trainer wrote (`<run>/adapter/`), if it is one.
    public static func containing(adapterDirectory: URL) -> RunFolder? {
        let parent = adapterDirectory.standardizedFileURL.deletingLastPathComponent()
        let run = RunFolder(url: parent)
        guard run.adapterDirectory.path == adapterDirectory.standardizedFileURL.path,
              FileInfo.isFile(run.configurationURL.path) else { return nil }
        return run
    }

    /// The model the run trained on: `base_model` in `config.json`, a registered or catalog name
    /// or a path to a GGUF file.
    /// - Throws: `ModelHubError.invalidRun` when `config.json` is missing, not JSON, or has no
    ///   `base_model` string.
    public func baseModel() throws(ModelHubError) -> String {
        let path = configurationURL.path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .invalidRun(path: url.path, reason: "config.json is missing or unreadable, so the base model is unknown; name the base model explicitly")
        }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw .invalidRun(path: url.path, reason: "config.json is not a JSON object; restore it, or name the base model explicitly")
        }
        guard let base = object["base_model"] as? String, !base.isEmpty else {
            throw .invalidRun(path: url.path, reason: "config.json has no \"base_model\" string; name the base model explicitly")
        }
        return base
    }
}
