import Foundation

/// The models on this machine: those pulled from the catalog and those registered from anywhere
/// on disk, kept in `$FINETUNE_HOME/models.json`.
///
/// ```swift
/// let store = try ModelStore()                             // home and catalog from the environment
/// let result = try store.pull("smollm2-135m-instruct") { event in print(event) }
/// let url = try store.resolve("smollm2-135m-instruct")      // or a registered name, or a path
/// ```
/// The store holds no state of its own: every call reads the registry, so several processes can
/// use the same home (changes are made under a file lock and written atomically).
public struct ModelStore: Sendable {
    public let home: FinetuneHome
    public let catalog: ModelCatalog
    /// The environment given to pip (and the source of `FINETUNE_PYTHON` and `PATH`).
    public let environment: [String: String]

    /// A store over an explicit home and catalog.
    public init(home: FinetuneHome, catalog: ModelCatalog,
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.home = home
        self.catalog = catalog
        self.environment = environment
    }

    /// The store the environment names: `$FINETUNE_HOME` (default `~/.cache/finetune`) and the
    /// built-in catalog merged with `$FINETUNE_HOME/catalog.yaml`.
    /// - Throws: `ModelHubError` when the user catalog cannot be used.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) throws(ModelHubError) {
        let home = FinetuneHome(environment: environment)
        self.init(home: home, catalog: try ModelCatalog.load(home: home), environment: environment)
    }

    var registry: ModelRegistryFile { ModelRegistryFile(url: home.registryURL) }

    /// The registered models, sorted by name.
    /// - Throws: `ModelHubError.invalidRegistry` when `models.json` is damaged.
    public func list() throws(ModelHubError) -> [ModelRecord] {
        try registry.read()
    }

    /// Registers the GGUF file at `path` under `name` (default: the file's stem, lowercased). The
    /// file is not copied; its absolute path is recorded. Adding the same file under the same name
    /// again is allowed.
    /// - Throws: `ModelHubError.cannotRead` or `.invalidModel` when the file is not a readable GGUF
    ///   model, `.invalidName` or `.nameTaken` for a name that cannot be used.
    @discardableResult
    public func add(path: String, name: String? = nil) throws(ModelHubError) -> ModelRecord {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        let summary = try ModelSummary(contentsOf: url)
        let name = name ?? ModelName.fromStem(url.deletingPathExtension().lastPathComponent)
        guard ModelName.isValid(name) else { throw .invalidName(name) }
        if catalog.entry(named: name) != nil {
            throw .nameTaken(name: name, by: "a catalog model (`finetune models pull \(name)` fetches it)")
        }
        let record = ModelRecord(name: name, path: url.path, origin: .added, sizeBytes: summary.fileSizeBytes)
        try home.createDirectories()
        try registry.update { (records: inout [ModelRecord]) throws(ModelHubError) in
            if let existing = records.first(where: { $0.name == name }) {
                guard existing.path == record.path else { throw .nameTaken(name: name, by: existing.path) }
                records.removeAll { $0.name == name }
            }
            records.append(record)
        }
        return record
    }

    /// What `remove` did.
    public struct Removal: Sendable, Equatable {
        public var record: ModelRecord
        /// Whether the model's file was deleted (only ever a pulled model's, and only when asked).
        public var deletedFile: Bool
    }

    /// Unregisters `name`. With `deleteFile`, a pulled model's file (which lives in the finetune
    /// home) is deleted too; an added model's file is never touched, nor are a fine-tuned model's
    /// base, adapter and run folder.
    /// - Throws: `ModelHubError.unknownModel` listing the registered names.
    @discardableResult
    public func remove(_ name: String, deleteFile: Bool = false) throws(ModelHubError) -> Removal {
        let record = try registry.update { (records: inout [ModelRecord]) throws(ModelHubError) -> ModelRecord in
            guard let index = records.firstIndex(where: { $0.name == name }) else {
                throw .unknownModel(name: name, known: records.map(\.name))
            }
            return records.remove(at: index)
        }
        guard deleteFile, record.origin == .pulled, record.path.hasPrefix(home.modelsDirectory.path + "/") else {
            return Removal(record: record, deletedFile: false)
        }
        let deleted = unlink(record.path) == 0
        // The model's own folder goes too when nothing else is in it.
        rmdir(record.url.deletingLastPathComponent().path)
        return Removal(record: record, deletedFile: deleted)
    }

    /// The GGUF file that `nameOrPath` stands for: a registered name, a catalog model already
    /// pulled, or the path of a `.gguf` file. For a fine-tuned model this is its base's file
    /// only; `resolveModel` gives the adapter too.
    /// - Throws: `ModelHubError.notPulled` for a catalog model not downloaded yet (the message says
    ///   to run `finetune models pull NAME`), `.missingFile` for a registered model whose file is
    ///   gone, `.cannotRead` for a path that does not exist, `.unknownModel` listing the known names.
    public func resolve(_ nameOrPath: String) throws(ModelHubError) -> URL {
        let records = try list()
        if let record = records.first(where: { $0.name == nameOrPath }) {
            guard FileInfo.isFile(record.path) else { throw .missingFile(name: record.name, path: record.path) }
            return record.url
        }
        if let entry = catalog.entry(named: nameOrPath) {
            let file = home.modelFile(name: entry.name, fileName: entry.fileName)
            guard FileInfo.isFile(file.path) else { throw .notPulled(name: entry.name) }
            return file
        }
        if nameOrPath.contains("/") || nameOrPath.lowercased().hasSuffix(".gguf") {
            let url = URL(fileURLWithPath: nameOrPath).standardizedFileURL
            guard FileInfo.isFile(url.path) else {
                throw .cannotRead(path: nameOrPath, reason: "no such file; give the path of a .gguf file or a model name (`finetune models list`)")
            }
            return url
        }
        let known = Set(records.map(\.name)).union(catalog.entries.map(\.name)).sorted()
        throw .unknownModel(name: nameOrPath, known: known)
    }

    /// One row of `finetune models list`.
    public struct Listing: Sendable, Equatable, Codable {
        public var record: ModelRecord
        /// The file's summary (a fine-tuned model's base file); nil when the file is missing or
        /// unreadable, or a fine-tuned model's adapter is gone.
        public var summary: ModelSummary?
        /// Why there is no summary: the file (or adapter) is gone or not a valid GGUF file.
        public var problem: String?
        /// True when the file (or a fine-tuned model's adapter) is gone.
        public var missing: Bool
    }

    /// The registered models with a summary of each file.
    /// - Throws: `ModelHubError.invalidRegistry` when `models.json` is damaged; a missing or bad
    ///   model file is reported in its row instead.
    public func listings() throws(ModelHubError) -> [Listing] {
        var listings: [Listing] = []
        for record in try list() {
            guard FileInfo.isFile(record.path) else {
                let problem = record.origin == .fineTuned ? "base model file missing" : "file missing"
                listings.append(Listing(record: record, summary: nil, problem: problem, missing: true))
                continue
            }
            if record.origin == .fineTuned, !FileInfo.isFile(
                (record.adapterPath ?? "") + "/" + RunFolder.adapterConfigurationFileName) {
                listings.append(Listing(record: record, summary: nil, problem: "adapter missing", missing: true))
                continue
            }
            do {
                listings.append(Listing(record: record, summary: try ModelSummary(contentsOf: record.url), problem: nil, missing: false))
            } catch {
                listings.append(Listing(record: record, summary: nil, problem: error.description, missing: false))
            }
        }
        return listings
    }

    /// The catalog models that are not registered yet.
    public func notPulled() throws(ModelHubError) -> [ModelCatalog.Entry] {
        let names = Set(try list().map(\.name))
        return catalog.entries.filter { !names.contains($0.name) }
    }
}
