import Foundation

/// The bytes of uploaded files, one file per id under one folder:
///
/// ```
/// <directory>/<file-id>        the bytes exactly as uploaded
/// <directory>/.incoming/<tmp>  uploads in progress (removed on startup)
/// ```
///
/// User file names never reach the file system: a file is named by its id only. An upload goes to
/// a temporary file in `.incoming/`, is fsynced, renamed into place and the folder fsynced, so after
/// a crash a file is either complete under its id or absent.
///
/// ```swift
/// let storage = try FileStorage(directory: home.appending(path: "server/files"))
/// let sink = try storage.beginUpload()
/// try sink.write(buffer)
/// let (bytes, sha256) = try sink.commit(as: APIIdentifier.make(prefix: "file-"))
/// ```
public final class FileStorage: Sendable {
    /// The folder holding the files.
    public let directory: URL
    /// The folder holding uploads in progress.
    public let incomingDirectory: URL

    /// Creates the folders when missing and deletes anything left in `.incoming/` by a previous run.
    /// - Throws: `StoreError.fileSystem` when a folder cannot be created or listed.
    public init(directory: URL) throws {
        self.directory = directory.standardizedFileURL
        incomingDirectory = self.directory.appendingPathComponent(".incoming", isDirectory: true)
        do {
            try FileManager.default.createDirectory(at: incomingDirectory, withIntermediateDirectories: true)
            for leftover in try FileManager.default.contentsOfDirectory(atPath: incomingDirectory.path) {
                try FileManager.default.removeItem(at: incomingDirectory.appendingPathComponent(leftover))
            }
        } catch {
            throw StoreError.fileSystem(path: incomingDirectory.path, reason: Self.describe(error))
        }
        try FileStorage.syncDirectory(self.directory)
    }

    /// Starts an upload: a new temporary file in `.incoming/`.
    /// - Throws: `StoreError.fileSystem` when the file cannot be created.
    public func beginUpload() throws -> UploadSink {
        let temporary = incomingDirectory.appendingPathComponent(APIIdentifier.make(prefix: "upload-"))
        return try UploadSink(temporaryURL: temporary, storage: self)
    }

    /// Where the bytes of file `id` live. An id that cannot be a file name (see
    /// `APIIdentifier.isSafeFileName`) maps to a path inside `.incoming/` that never exists, so
    /// reading it fails like reading a deleted file.
    public func url(id: String) -> URL {
        guard APIIdentifier.isSafeFileName(id) else {
            return incomingDirectory.appendingPathComponent(".no-such-file", isDirectory: false)
        }
        return directory.appendingPathComponent(id, isDirectory: false)
    }

    /// Whether bytes are stored for `id`.
    public func exists(id: String) -> Bool {
        APIIdentifier.isSafeFileName(id) && FileManager.default.fileExists(atPath: url(id: id).path)
    }

    /// Deletes the bytes of file `id`; an id with no bytes is not an error.
    /// - Throws: `StoreError.fileSystem` when the file exists but cannot be removed.
    public func delete(id: String) throws {
        guard APIIdentifier.isSafeFileName(id) else { return }
        let path = url(id: id).path
        if unlink(path) != 0, errno != ENOENT {
            throw StoreError.fileSystem(path: path, reason: String(cString: strerror(errno)))
        }
        try FileStorage.syncDirectory(directory)
    }

    /// Deletes every stored file whose id is not in `ids` (bytes whose record was never written,
    /// e.g. after a crash between the rename and the database insert).
    /// - Returns: the ids removed.
    @discardableResult
    public func removeOrphans(keeping ids: Set<String>) throws -> [String] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw StoreError.fileSystem(path: directory.path, reason: Self.describe(error))
        }
        var removed: [String] = []
        for name in names.sorted() where !name.hasPrefix(".") && !ids.contains(name) {
            let path = directory.appendingPathComponent(name).path
            var info = stat()
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            if unlink(path) == 0 { removed.append(name) }
        }
        if !removed.isEmpty { try FileStorage.syncDirectory(directory) }
        return removed
    }

    /// Flushes a folder's entries (a rename or unlink inside it) to disk.
    static func syncDirectory(_ url: URL) throws {
        let fd = open(url.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else {
            throw StoreError.fileSystem(path: url.path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        if fsync(fd) != 0, errno != EINVAL {
            throw StoreError.fileSystem(path: url.path, reason: String(cString: strerror(errno)))
        }
    }

    static func describe(_ error: any Error) -> String {
        (error as NSError).localizedDescription
    }
}
