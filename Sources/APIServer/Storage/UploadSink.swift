import Crypto
import Hummingbird
import Foundation

/// One upload in progress: a temporary file in `.incoming/` with a running SHA-256 and byte count.
/// Either `commit(as:)` moves it into place or `discard()` deletes it; a sink dropped without
/// either deletes its temporary file.
///
/// ```swift
/// let sink = try storage.beginUpload()
/// for try await buffer in request.body { try sink.write(buffer) }
/// let (bytes, sha256) = try sink.commit(as: id)
/// ```
public final class UploadSink: @unchecked Sendable {
    // @unchecked: every mutable field is read and written only while holding `lock`.
    private let lock = NSLock()
    private let temporaryURL: URL
    private let storage: FileStorage
    private var descriptor: Int32
    private var hasher = SHA256()
    private var count = 0
    private var finished = false

    /// Bytes written so far.
    public var byteCount: Int { lock.withLock { count } }

    init(temporaryURL: URL, storage: FileStorage) throws {
        self.temporaryURL = temporaryURL
        self.storage = storage
        descriptor = open(temporaryURL.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw StoreError.fileSystem(path: temporaryURL.path, reason: String(cString: strerror(errno)))
        }
    }

    deinit {
        if !finished {
            close(descriptor)
            unlink(temporaryURL.path)
        }
    }

    /// Appends bytes to the file.
    /// - Throws: `StoreError.fileSystem` when the disk write fails or the sink is already finished.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        try lock.withLock {
            guard !finished else {
                throw StoreError.fileSystem(path: temporaryURL.path, reason: "the upload is already finished")
            }
            var offset = 0
            while offset < bytes.count {
                guard let base = bytes.baseAddress else { break }
                let written = Foundation.write(descriptor, base + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw StoreError.fileSystem(path: temporaryURL.path, reason: String(cString: strerror(errno)))
                }
                offset += written
            }
            hasher.update(bufferPointer: bytes)
            count += bytes.count
        }
    }

    /// Appends the readable bytes of `buffer`.
    public func write(_ buffer: ByteBuffer) throws {
        try buffer.withUnsafeReadableBytes { try write($0) }
    }

    /// Appends `bytes`.
    public func write(_ bytes: some Collection<UInt8>) throws {
        let written: Void? = try bytes.withContiguousStorageIfAvailable { try write(UnsafeRawBufferPointer($0)) }
        if written == nil {
            try Array(bytes).withUnsafeBytes { try write($0) }
        }
    }

    /// Makes the upload file `id`: fsyncs the bytes, renames the file to `<directory>/<id>` and
    /// fsyncs the folder, so the file survives a crash from the moment this returns.
    /// - Returns: the size in bytes and the lowercase hex SHA-256 of the content.
    /// - Throws: `StoreError.fileSystem` when `id` cannot be a file name, a file `id` exists already,
    ///   or the disk fails; the temporary file is deleted then.
    public func commit(as id: String) throws -> (bytes: Int, sha256: String) {
        try lock.withLock {
            guard !finished else {
                throw StoreError.fileSystem(path: temporaryURL.path, reason: "the upload is already finished")
            }
            finished = true
            var closed = false
            defer {
                if !closed { close(descriptor) }
            }
            do {
                guard APIIdentifier.isSafeFileName(id) else {
                    throw StoreError.fileSystem(path: id, reason: "not a valid file id")
                }
                let destination = storage.url(id: id)
                guard !FileManager.default.fileExists(atPath: destination.path) else {
                    throw StoreError.fileSystem(path: destination.path, reason: "a file with this id exists already")
                }
                guard fsync(descriptor) == 0 else {
                    throw StoreError.fileSystem(path: temporaryURL.path, reason: String(cString: strerror(errno)))
                }
                closed = true
                guard close(descriptor) == 0 else {
                    throw StoreError.fileSystem(path: temporaryURL.path, reason: String(cString: strerror(errno)))
                }
                guard rename(temporaryURL.path, destination.path) == 0 else {
                    throw StoreError.fileSystem(path: destination.path, reason: String(cString: strerror(errno)))
                }
                try FileStorage.syncDirectory(storage.directory)
            } catch {
                unlink(temporaryURL.path)
                throw error
            }
            let digest = hasher.finalize().map { byte in
                let hex = String(byte, radix: 16)
                return byte < 16 ? "0" + hex : hex
            }.joined()
            return (count, digest)
        }
    }

    /// Deletes the temporary file; later calls do nothing.
    public func discard() {
        lock.withLock {
            guard !finished else { return }
            finished = true
            close(descriptor)
            unlink(temporaryURL.path)
        }
    }
}
