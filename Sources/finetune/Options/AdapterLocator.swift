import Foundation
import GGUF
import LanguageModel
import LoRATraining
import ModelHub

/// Turns what the user typed (a model, an adapter, either, both) into a base GGUF file and the
/// LoRA adapter to put on it. Shared by `chat`, `bench generate` and `export`.
enum AdapterLocator {
    /// A base model file and, when there is one, the adapter to load with it.
    struct Selection {
        /// The base model's GGUF file.
        var baseURL: URL
        /// The adapter, nil for a plain model.
        var adapter: AdapterSource?
        /// The training run the adapter came from, when known.
        var runDirectory: URL?
        /// The base model as the user or the run named it (for messages and PEFT configurations).
        var baseName: String
    }

    /// Finds the base model and the adapter.
    ///
    /// - `adapter` nil: `model` (or `defaultModel`) through `ModelStore.resolveModel`, so a
    ///   fine-tuned name or a run folder brings its adapter.
    /// - `adapter` a path: a PEFT folder, an adapter `.gguf` or a run folder. The base is `model`,
    ///   else the run's base model, else the PEFT configuration's `base_model_name_or_path` when
    ///   that is a known model, else `defaultModel`.
    /// - `adapter` not a path: a fine-tuned model name or a run id, whose adapter is used (on
    ///   `model` when given, else on its own base).
    ///
    /// Errors are printed as `finetune: error: …` and exit with status 1.
    static func locate(model: String?, adapter: String?, defaultModel: String?) throws -> Selection {
        try Console.reportingErrors(exitStatus: 1) { try find(model: model, adapter: adapter, defaultModel: defaultModel) }
    }

    private static func find(model: String?, adapter: String?, defaultModel: String?) throws -> Selection {
        let store = try hub { () throws(ModelHubError) in try ModelStore() }
        guard let adapter else {
            let name = model ?? defaultModel ?? ModelCatalog.defaultModelName
            let resolved = try hub { () throws(ModelHubError) in try store.resolveModel(name) }
            return Selection(baseURL: resolved.url, adapter: resolved.adapterDirectory.map { .peft($0) },
                             runDirectory: resolved.runDirectory, baseName: resolved.record?.baseModel ?? name)
        }

        var source: AdapterSource
        var runDirectory: URL?
        var impliedBase: (name: String, url: URL?)?
        if FileManager.default.fileExists(atPath: adapter) || adapter.contains("/") || adapter.lowercased().hasSuffix(".gguf") {
            do { source = try AdapterSource(path: adapter) } catch { throw CLIError("cannot use the adapter: \(error)") }
            let folder = if case .peft(let url) = source { url } else { source.url.deletingLastPathComponent() }
            if let run = RunFolder.containing(adapterDirectory: folder) {
                runDirectory = run.url
                if model == nil { impliedBase = (try hub { () throws(ModelHubError) in try run.baseModel() }, nil) }
            } else if model == nil, case .peft(let url) = source,
                      let named = try? PEFTAdapterFormat.readConfiguration(url).baseModelNameOrPath,
                      let resolved = try? store.resolveModel(named), resolved.adapterDirectory == nil {
                impliedBase = (named, resolved.url)
            }
        } else {
            let resolved = try hub { () throws(ModelHubError) in try store.resolveModel(adapter) }
            guard let folder = resolved.adapterDirectory else {
                throw CLIError("'\(adapter)' is a plain model, not an adapter; give a fine-tuned model's name (`finetune models list`), or \(AdapterSource.accepted)")
            }
            source = .peft(folder)
            runDirectory = resolved.runDirectory
            impliedBase = (resolved.record?.baseModel ?? adapter, resolved.url)
        }

        let baseName: String
        if let model {
            baseName = model
        } else if let impliedBase {
            if let url = impliedBase.url {
                return Selection(baseURL: url, adapter: source, runDirectory: runDirectory, baseName: impliedBase.name)
            }
            baseName = impliedBase.name
        } else if let defaultModel {
            baseName = defaultModel
        } else {
            throw CLIError("the base model of \(adapter) is unknown (it is not inside a training run); name it with --base MODEL")
        }
        let base = try hub { () throws(ModelHubError) in try store.resolveModel(baseName) }
        guard base.adapterDirectory == nil else {
            throw CLIError("'\(baseName)' is already fine-tuned (it has the adapter \(base.adapterDirectory?.path ?? "")); adapters do not stack, so give its base model \(base.record?.baseModel.map { "'\($0)' " } ?? "")instead")
        }
        return Selection(baseURL: base.url, adapter: source, runDirectory: runDirectory, baseName: baseName)
    }

    /// Opens the base, reads the adapter for it and builds the model; errors name the file.
    static func load(_ selection: Selection, threads: Int) throws -> LocalModel {
        try Console.reportingErrors(exitStatus: 1) {
            let (file, adapter) = try open(selection)
            do { return try LocalModel(file: file, threads: threads, adapter: adapter) } catch { throw CLIError("\(error)") }
        }
    }

    /// The base model's file and the adapter read for it; errors become `CLIError`s.
    static func open(_ selection: Selection) throws -> (GGUFFile, LowRankAdapter?) {
        let file: GGUFFile
        do { file = try GGUFFile(contentsOf: selection.baseURL) } catch { throw CLIError(error.description) }
        guard let source = selection.adapter else { return (file, nil) }
        let configuration: LlamaConfiguration
        do { configuration = try LlamaConfiguration(gguf: file) } catch { throw CLIError(error.description) }
        do {
            return (file, try source.read(configuration: configuration))
        } catch {
            throw CLIError("cannot use the adapter with \(selection.baseURL.lastPathComponent): \(error)")
        }
    }

    /// Runs a ModelHub call, turning its error into a `CLIError`.
    static func hub<T>(_ body: () throws(ModelHubError) -> T) throws -> T {
        do throws(ModelHubError) { return try body() } catch { throw CLIError(error.description) }
    }
}
