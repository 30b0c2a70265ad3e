import Foundation

/// A model known on this machine: a name and the absolute path of its GGUF file; for a fine-tuned
/// model, also the LoRA adapter that runs on top of that (base) file.
public struct ModelRecord: Sendable, Equatable, Codable {
    /// How the model came to be registered.
    public enum Origin: String, Sendable, Codable {
        /// Downloaded by `finetune models pull` into the finetune home; finetune owns the file.
        case pulled
        /// Registered by `finetune models add`; the file stays where the user keeps it.
        case added
        /// Registered by `finetune train`: a LoRA adapter (PEFT folder) on a registered base model.
        /// Neither the adapter nor the base belongs to the registration; removing it deletes nothing.
        case fineTuned = "fine_tuned"
    }

    public var name: String
    /// Absolute path of the GGUF file (for a fine-tuned model, the base model's file).
    public var path: String
    public var origin: Origin
    /// `package==version` the file came from (pulled models only).
    public var requirement: String?
    /// SHA-256 verified when the file was pulled (pulled models only).
    public var sha256: String?
    /// Size in bytes when registered.
    public var sizeBytes: Int
    public var addedAt: Date
    /// The name (registered or catalog) of the model the adapter was trained on (fine-tuned models only).
    public var baseModel: String?
    /// Absolute path of the PEFT adapter folder (fine-tuned models only).
    public var adapterPath: String?
    /// Absolute path of the training run's folder (fine-tuned models only).
    public var runPath: String?

    public init(name: String, path: String, origin: Origin, requirement: String? = nil, sha256: String? = nil,
                sizeBytes: Int, addedAt: Date = ModelRecord.now(),
                baseModel: String? = nil, adapterPath: String? = nil, runPath: String? = nil) {
        self.name = name
        self.path = path
        self.origin = origin
        self.requirement = requirement
        self.sha256 = sha256
        self.sizeBytes = sizeBytes
        self.addedAt = addedAt
        self.baseModel = baseModel
        self.adapterPath = adapterPath
        self.runPath = runPath
    }

    /// The current time in whole seconds, as `models.json` stores it, so a record compares equal
    /// to itself read back.
    public static func now() -> Date {
        Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
    }

    /// The file as a URL.
    public var url: URL { URL(fileURLWithPath: path) }

    /// The adapter folder as a URL (fine-tuned models only).
    public var adapterURL: URL? { adapterPath.map { URL(fileURLWithPath: $0, isDirectory: true) } }

    // Optional fields are absent from registries written before fine-tuned models existed; the
    // synthesized decoder reads them with `decodeIfPresent`.
    enum CodingKeys: String, CodingKey {
        case name, path, origin, requirement, sha256, sizeBytes = "size_bytes", addedAt = "added_at"
        case baseModel = "base_model", adapterPath = "adapter_path", runPath = "run_path"
    }
}

/// Reading and writing `models.json`. Writes go to a temporary file in the same folder that is
/// flushed and renamed over the registry, so a reader sees the old registry or the new one, never
/// half of one; read-modify-write cycles hold an exclusive `flock` on `.models.lock` so two
/// finetune processes do not lose each other's changes.
struct ModelRegistryFile {
    private struct Document: Codable {
        var version: Int
        var models: [ModelRecord]
    }

    let url: URL

    /// The records, sorted by name; an absent file is an empty registry.
    func read() throws(ModelHubError) -> [ModelRecord] {
        guard FileManager.default.fileExists(atPath: url.path) else { return [] }
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw .cannotRead(path: url.path, reason: "the file cannot be read; check its permissions")
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return try decoder.decode(Document.self, from: data).models.sorted { $0.name < $1.name }
        } catch {
            throw .invalidRegistry(path: url.path, reason: Self.describe(error))
        }
    }

    /// Replaces the registry with `records`, atomically.
    func write(_ records: [ModelRecord]) throws(ModelHubError) {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data: Data
        do {
            data = try encoder.encode(Document(version: 1, models: records.sorted { $0.name < $1.name }))
        } catch {
            throw .cannotWrite(path: url.path, reason: "cannot encode the registry (\(error))")
        }
        try AtomicFile.write(data + Data("\n".utf8), to: url)
    }

    /// Runs `body` on the current records while holding the registry lock, and writes what it returns.
    func update<T>(_ body: (inout [ModelRecord]) throws(ModelHubError) -> T) throws(ModelHubError) -> T {
        try FinetuneHome.createDirectory(url.deletingLastPathComponent())
        let lockPath = url.deletingLastPathComponent().appendingPathComponent(".models.lock").path
        let descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw .cannotWrite(path: lockPath, reason: String(cString: strerror(errno)))
        }
        defer { close(descriptor) }   // closing releases the lock
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else { throw .cannotWrite(path: lockPath, reason: String(cString: strerror(errno))) }
        }
        var records = try read()
        let before = records
        let result = try body(&records)
        if records != before { try write(records) }
        return result
    }

    private static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context), DecodingError.keyNotFound(_, let context),
             DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return path.isEmpty ? context.debugDescription : "at \(path): \(context.debugDescription)"
        default:
            return "\(error)"
        }
    }
}

/// Whole-file writes that readers never see half done.
enum AtomicFile {
    /// Writes `data` to a hidden temporary file next to `url`, flushes it to disk and renames it over `url`.
    static func write(_ data: Data, to url: URL) throws(ModelHubError) {
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).partial-\(getpid())-\(UUID().uuidString.prefix(8))")
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw .cannotWrite(path: url.path, reason: String(cString: strerror(errno)))
        }
        var failure: String?
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count, let base = raw.baseAddress {
                let written = Foundation.write(descriptor, base + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = String(cString: strerror(errno))
                    return
                }
                offset += written
            }
        }
        if failure == nil, fsync(descriptor) != 0 { failure = String(cString: strerror(errno)) }
        close(descriptor)
        if failure == nil, rename(temporary.path, url.path) != 0 { failure = String(cString: strerror(errno)) }
        if let failure {
            unlink(temporary.path)
            throw .cannotWrite(path: url.path, reason: "\(failure); the previous file is unchanged")
        }
    }
}
