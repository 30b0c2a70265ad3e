import Foundation
import LanguageModel

/// Where a LoRA adapter comes from, as a user names it on the command line: a Hugging Face PEFT
/// folder, a llama.cpp LoRA adapter GGUF, or the folder of a training run (which holds its
/// adapter in `adapter/`).
///
/// ```swift
/// let source = try AdapterSource(path: "runs/ftjob-1")          // .peft(runs/ftjob-1/adapter)
/// let adapter = try source.read(configuration: model.configuration)
/// ```
public enum AdapterSource: Sendable, Equatable {
    /// A folder with `adapter_config.json` and `adapter_model.safetensors`.
    case peft(URL)
    /// A llama.cpp LoRA adapter file (`general.type = adapter`).
    case gguf(URL)

    /// What the user can give, for error messages.
    public static let accepted = "a PEFT adapter folder (adapter_config.json + adapter_model.safetensors), "
        + "a llama.cpp LoRA adapter (.gguf) or a training run folder (which holds adapter/)"

    /// Classifies `path`: a folder with `adapter_config.json` is a PEFT adapter; a folder with
    /// `adapter/` is a run (its PEFT adapter, else its `adapter/adapter.gguf`); a `.gguf` file is a
    /// llama.cpp adapter; `adapter_config.json` or `adapter_model.safetensors` stand for their folder.
    /// - Throws: `ExportError.missingFile` naming the path and what to give instead.
    public init(path: String) throws(ExportError) {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw .missingFile(path: path, hint: "give " + Self.accepted)
        }
        let configuration = PEFTAdapterFormat.configurationFileName
        if isDirectory.boolValue {
            if fm.fileExists(atPath: url.appendingPathComponent(configuration).path) {
                self = .peft(url)
                return
            }
            let inner = url.appendingPathComponent("adapter", isDirectory: true)
            if fm.fileExists(atPath: inner.appendingPathComponent(configuration).path) {
                self = .peft(inner)
                return
            }
            let gguf = inner.appendingPathComponent("adapter.gguf")
            if fm.fileExists(atPath: gguf.path) {
                self = .gguf(gguf)
                return
            }
            throw .missingFile(path: url.appendingPathComponent(configuration).path,
                               hint: "the folder is neither an adapter nor a finished training run; give " + Self.accepted)
        }
        switch url.lastPathComponent {
        case configuration, PEFTAdapterFormat.weightsFileName:
            self = .peft(url.deletingLastPathComponent())
        default:
            self = .gguf(url)
        }
    }

    /// The adapter's file or folder.
    public var url: URL {
        switch self {
        case .peft(let url), .gguf(let url): url
        }
    }

    /// Reads the adapter for a model with `configuration` (shapes and layer count are checked).
    /// - Throws: the `ExportError`s of `PEFTAdapterFormat.read` and `GGUFAdapterFormat.read`; each
    ///   names the file and says what to do.
    public func read(configuration: LlamaConfiguration) throws(ExportError) -> LowRankAdapter {
        let adapter: LowRankAdapter
        switch self {
        case .peft(let url): adapter = try PEFTAdapterFormat.read(url, configuration: configuration)
        case .gguf(let url): adapter = try GGUFAdapterFormat.read(url, configuration: configuration)
        }
        if let problem = adapter.mismatch(with: configuration) {
            throw .adapterMismatch(path: url.path, reason: "the adapter doesn't fit the model: \(problem); use the base model it was trained on")
        }
        return adapter
    }
}
