import Foundation

/// The folder where finetune keeps models and its model registry: `$FINETUNE_HOME`, or
/// `~/.cache/finetune` when that is unset.
///
///     ~/.cache/finetune/
///       catalog.yaml                          optional: your own catalog entries
///       models.json                           the registry of local models
///       models/<name>/<file>.gguf             pulled models
///       runs/<run-id>/                        training runs (see `RunFolder`)
///
/// ```swift
/// let home = FinetuneHome()                  // from the process environment
/// try home.createDirectories()
/// ```
public struct FinetuneHome: Sendable, Equatable {
    /// The home folder itself (absolute, standardized).
    public let url: URL

    /// The home named by `FINETUNE_HOME` in `environment` (a leading `~` is expanded, a relative
    /// path is taken from the current directory), else `~/.cache/finetune`.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        if let configured = environment["FINETUNE_HOME"], !configured.isEmpty {
            var path = configured
            if path == "~" || path.hasPrefix("~/") { path = home + path.dropFirst() }
            self.init(url: URL(fileURLWithPath: path))
        } else {
            self.init(url: URL(fileURLWithPath: home).appendingPathComponent(".cache/finetune"))
        }
    }

    /// A home at an explicit folder.
    public init(url: URL) {
        self.url = url.standardizedFileURL
    }

    /// `models/`: one folder per pulled model.
    public var modelsDirectory: URL { url.appendingPathComponent("models", isDirectory: true) }

    /// `runs/`: one folder per training run.
    public var runsURL: URL { url.appendingPathComponent("runs", isDirectory: true) }

    /// `runs/<id>/`: the folder of the training run `id`.
    public func runDirectory(id: String) -> URL {
        runsURL.appendingPathComponent(id, isDirectory: true)
    }

    /// `models.json`: the registry of local models.
    public var registryURL: URL { url.appendingPathComponent("models.json") }

    /// `catalog.yaml`: the user's catalog entries, which add to and override the built-in ones.
    public var userCatalogURL: URL { url.appendingPathComponent("catalog.yaml") }

    /// Where a pulled model's file lives: `models/<name>/<fileName>`.
    public func modelFile(name: String, fileName: String) -> URL {
        modelsDirectory.appendingPathComponent(name, isDirectory: true).appendingPathComponent(fileName)
    }

    /// Creates the home and its `models/` folder when they do not exist.
    /// - Throws: `ModelHubError.cannotWrite` when a folder cannot be created.
    public func createDirectories() throws(ModelHubError) {
        try Self.createDirectory(modelsDirectory)
    }

    static func createDirectory(_ url: URL) throws(ModelHubError) {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw .cannotWrite(path: url.path, reason: "cannot create the folder (\(error.localizedDescription)); set FINETUNE_HOME to a writable folder")
        }
    }
}
