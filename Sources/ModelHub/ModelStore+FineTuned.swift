import Foundation

/// A model ready to load: the GGUF file to run and, for a fine-tuned model, the LoRA adapter to
/// put on top of it.
public struct ResolvedModel: Sendable, Equatable {
    /// The GGUF file (for a fine-tuned model or a run, the base model's).
    public var url: URL
    /// The PEFT adapter folder (`adapter_config.json` + `adapter_model.safetensors`), if any.
    public var adapterDirectory: URL?
    /// The training run the adapter came from, when known.
    public var runDirectory: URL?
    /// The registered record, when the name was a registered model.
    public var record: ModelRecord?

    /// A resolved model; `adapterDirectory` nil for a plain model.
    public init(url: URL, adapterDirectory: URL? = nil, runDirectory: URL? = nil, record: ModelRecord? = nil) {
        self.url = url
        self.adapterDirectory = adapterDirectory
        self.runDirectory = runDirectory
        self.record = record
    }
}

extension ModelStore {
    /// Registers a fine-tuned model: the PEFT adapter in `adapterDirectory` on the base model
    /// `baseModel`. The base's GGUF path is resolved now and recorded; nothing is copied.
    /// Registering the same adapter under the same name again is allowed.
    ///
    /// ```swift
    /// let record = try store.registerFineTuned(name: "ft:smollm2-135m-instruct:pricer:ab12cd",
    ///                                          baseModel: "smollm2-135m-instruct",
    ///                                          adapterDirectory: run.adapterDirectory, runDirectory: run.url)
    /// ```
    /// - Parameters:
    ///   - name: the name to register; `:` is allowed (`ft:BASE:SUFFIX:ID`).
    ///   - baseModel: a registered or catalog name (or a GGUF path) of a plain model.
    /// - Throws: `ModelHubError.invalidName`, `.nameTaken`, `.fineTunedBase` when the base is itself
    ///   fine-tuned, the errors of `resolve` for the base, `.invalidAdapter` when the folder has no
    ///   `adapter_config.json`.
    @discardableResult
    public func registerFineTuned(name: String, baseModel: String, adapterDirectory: URL,
                                  runDirectory: URL) throws(ModelHubError) -> ModelRecord {
        guard ModelName.isValid(name) else { throw .invalidName(name) }
        if catalog.entry(named: name) != nil {
            throw .nameTaken(name: name, by: "a catalog model (`finetune models pull \(name)` fetches it)")
        }
        let base = try plainModelFile(baseModel, records: try list())
        let adapter = adapterDirectory.standardizedFileURL
        let configuration = adapter.appendingPathComponent(RunFolder.adapterConfigurationFileName)
        guard FileInfo.isFile(configuration.path) else {
            throw .invalidAdapter(path: adapter.path, reason: "it has no \(RunFolder.adapterConfigurationFileName); register the folder the trainer wrote (RUN/adapter)")
        }
        let size = FileInfo.size(of: adapter.appendingPathComponent("adapter_model.safetensors").path) ?? 0
        let record = ModelRecord(name: name, path: base.path, origin: .fineTuned, sizeBytes: size, baseModel: baseModel,
                                 adapterPath: adapter.path, runPath: runDirectory.standardizedFileURL.path)
        try home.createDirectories()
        try registry.update { (records: inout [ModelRecord]) throws(ModelHubError) in
            if let existing = records.first(where: { $0.name == name }) {
                guard existing.origin == .fineTuned, existing.adapterPath == record.adapterPath else {
                    throw .nameTaken(name: name, by: existing.adapterPath ?? existing.path)
                }
                records.removeAll { $0.name == name }
            }
            records.append(record)
        }
        return record
    }

    /// What `nameOrPath` stands for, adapter included: a registered model (a fine-tuned one gives
    /// its base's file and its adapter folder), a catalog model already pulled, a training run
    /// (a run folder, its `adapter/` folder, or a run id under `$FINETUNE_HOME/runs/`), or the
    /// path of a `.gguf` file.
    ///
    /// ```swift
    /// let resolved = try store.resolveModel("ft:smollm2-135m-instruct:pricer:ab12cd")
    /// // resolved.url: the base GGUF; resolved.adapterDirectory: the PEFT folder
    /// ```
    /// - Throws: the errors of `resolve`; `.missingFile` when a fine-tuned model's base file or
    ///   adapter folder is gone; `.invalidRun` for a run without a finished adapter or a known
    ///   base model; `.fineTunedBase` when a run names a fine-tuned model as its base.
    public func resolveModel(_ nameOrPath: String) throws(ModelHubError) -> ResolvedModel {
        let records = try list()
        if let record = records.first(where: { $0.name == nameOrPath }) {
            guard record.origin == .fineTuned else {
                guard FileInfo.isFile(record.path) else { throw .missingFile(name: record.name, path: record.path) }
                return ResolvedModel(url: record.url, record: record)
            }
            guard FileInfo.isFile(record.path) else { throw .missingFile(name: record.name, path: record.path) }
            guard let adapter = record.adapterURL,
                  FileInfo.isFile(adapter.appendingPathComponent(RunFolder.adapterConfigurationFileName).path) else {
                throw .missingFile(name: record.name, path: record.adapterPath ?? "(no adapter path)")
            }
            return ResolvedModel(url: record.url, adapterDirectory: adapter,
                                 runDirectory: record.runPath.map { URL(fileURLWithPath: $0, isDirectory: true) }, record: record)
        }
        if catalog.entry(named: nameOrPath) == nil, let run = try runFolder(for: nameOrPath) {
            guard run.hasAdapter else {
                throw .invalidRun(path: run.url.path, reason: "it has no adapter/\(RunFolder.adapterConfigurationFileName); the run has not finished, or the folder is not a run")
            }
            let base = try plainModelFile(try run.baseModel(), records: records)
            return ResolvedModel(url: base, adapterDirectory: run.adapterDirectory, runDirectory: run.url)
        }
        return ResolvedModel(url: try resolve(nameOrPath))
    }

    /// The run `nameOrPath` names: a folder on disk (a run, or a run's `adapter/` folder), or a run
    /// id under `runs/`; nil when it names no folder.
    func runFolder(for nameOrPath: String) throws(ModelHubError) -> RunFolder? {
        var folder: URL?
        if FileInfo.isDirectory(nameOrPath) {
            folder = URL(fileURLWithPath: nameOrPath, isDirectory: true).standardizedFileURL
        } else if !nameOrPath.contains("/"), !nameOrPath.isEmpty, FileInfo.isDirectory(home.runDirectory(id: nameOrPath).path) {
            folder = home.runDirectory(id: nameOrPath)
        }
        guard let folder else { return nil }
        if FileInfo.isFile(folder.appendingPathComponent(RunFolder.adapterConfigurationFileName).path) {
            guard let run = RunFolder.containing(adapterDirectory: folder) else {
                throw .invalidRun(path: folder.path, reason: "it is a LoRA adapter folder outside a training run, so its base model is unknown; give the base model and the folder as its adapter")
            }
            return run
        }
        guard RunFolder.looksLikeRun(folder) else {
            throw .invalidRun(path: folder.path, reason: "it has neither config.json nor adapter/; give a run folder, a model name or a .gguf file")
        }
        return RunFolder(url: folder)
    }

    /// The GGUF file of a model that can carry an adapter: not a fine-tuned one.
    private func plainModelFile(_ name: String, records: [ModelRecord]) throws(ModelHubError) -> URL {
        if let record = records.first(where: { $0.name == name }), record.origin == .fineTuned {
            throw .fineTunedBase(name: name, base: record.baseModel)
        }
        return try resolve(name)
    }
}
