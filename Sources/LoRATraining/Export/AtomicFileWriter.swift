#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Writes a file so that readers see the old file or the whole new one, never a part: the bytes go
/// to a hidden temporary file in the same folder, which `commit()` flushes to disk (fsync) and
/// renames over the destination. Dropped without `commit()`, the temporary file is removed.
///
/// ```swift
/// let file = try AtomicFileWriter(url)
/// try file.write(header)
/// try file.write(data)
/// try file.commit()
/// ```
final class AtomicFileWriter {
    let url: URL
    private let temporary: String
    private var descriptor: Int32
    /// Bytes written so far.
    private(set) var offset = 0

    /// Creates the temporary file.
    /// - Throws: `ExportError.cannotWrite` when the folder is missing or not writable.
    init(_ url: URL) throws(ExportError) {
        self.url = url
        let directory = url.deletingLastPathComponent().path
        temporary = directory + "/." + url.lastPathComponent + ".partial-\(getpid())"
        descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            let reason = errno == ENOENT ? "the folder \(directory) does not exist; create it first" : Self.reason(errno)
            throw .cannotWrite(path: url.path, reason: reason)
        }
    }

    deinit {
        if descriptor >= 0 {
            close(descriptor)
            unlink(temporary)
        }
    }

    /// Appends `bytes`, retrying short writes.
    func write(_ bytes: UnsafeRawBufferPointer) throws(ExportError) {
        guard descriptor >= 0 else { throw .cannotWrite(path: url.path, reason: "the file was already committed") }
        guard let base = bytes.baseAddress else { return }
        var done = 0
        while done < bytes.count {
            let written = Foundation.write(descriptor, base + done, bytes.count - done)
            if written < 0 {
                if errno == EINTR { continue }
                throw .cannotWrite(path: url.path, reason: Self.reason(errno))
            }
            done += written
        }
        offset += done
    }

    /// Appends `bytes`.
    func write(_ bytes: [UInt8]) throws(ExportError) {
        let failure: ExportError? = bytes.withUnsafeBytes { raw in
            do throws(ExportError) { try write(raw) } catch { return error }
            return nil
        }
        if let failure { throw failure }
    }

    /// Appends `count` zero bytes.
    func writeZeros(_ count: Int) throws(ExportError) {
        guard count > 0 else { return }
        try write([UInt8](repeating: 0, count: count))
    }

    /// Flushes the file to disk and renames it over the destination.
    func commit() throws(ExportError) {
        guard descriptor >= 0 else { throw .cannotWrite(path: url.path, reason: "the file was already committed") }
        guard fsync(descriptor) == 0 else { throw .cannotWrite(path: url.path, reason: Self.reason(errno)) }
        close(descriptor)
        descriptor = -1
        guard rename(temporary, url.path) == 0 else {
            let reason = Self.reason(errno)
            unlink(temporary)
            throw .cannotWrite(path: url.path, reason: reason)
        }
        // Make the rename itself durable; a folder that can't be opened only loses that guarantee.
        let folder = open(url.deletingLastPathComponent().path, O_RDONLY | O_CLOEXEC)
        if folder >= 0 {
            fsync(folder)
            close(folder)
        }
    }

    /// Writes `bytes` to `url` atomically.
    static func write(_ bytes: [UInt8], to url: URL) throws(ExportError) {
        let file = try AtomicFileWriter(url)
        try file.write(bytes)
        try file.commit()
    }

    static func reason(_ code: Int32) -> String {
        switch code {
        case ENOSPC: "the disk is full; free some space and try again"
        case EACCES, EPERM: "permission denied; choose a folder you can write to"
        case EROFS: "the file system is read-only"
        default: String(cString: strerror(code))
        }
    }
}
