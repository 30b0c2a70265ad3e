#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A file written so that readers see the old file or the whole new one, never a part: the bytes
/// go to a hidden temporary file in the same folder, which `commit()` flushes to disk and renames
/// over the destination. Dropped without `commit()`, the temporary file is removed.
///
/// Not `Sendable`: one writer owns it from creation to `commit()`.
final class GGUFOutputFile {
    let path: String
    private let directory: String
    private let temporary: String
    /// -1 once committed.
    private var descriptor: Int32

    /// Creates the temporary file.
    /// - Throws: `GGUFError.cannotWrite` when the folder does not exist or is not writable.
    init(_ url: URL) throws(GGUFError) {
        let directory = url.deletingLastPathComponent().path
        let temporary = directory + "/." + url.lastPathComponent + ".partial-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            let reason = errno == ENOENT ? "the folder \(directory) does not exist; create it first" : Self.reason(errno)
            throw GGUFError.cannotWrite(path: url.path, reason: reason)
        }
        path = url.path
        self.directory = directory
        self.temporary = temporary
        self.descriptor = descriptor
    }

    deinit {
        if descriptor >= 0 {
            close(descriptor)
            unlink(temporary)
        }
    }

    /// Appends `bytes` and then `padding` zero bytes, retrying short writes.
    func write(_ bytes: [UInt8], padding: Int = 0) throws(GGUFError) {
        try writeAll(bytes, count: bytes.count)
        if padding > 0 { try writeAll([UInt8](repeating: 0, count: padding), count: padding) }
    }

    /// Flushes the file to disk and renames it over the destination.
    /// - Throws: `GGUFError.cannotWrite` when the disk is full or the rename fails; the
    ///   destination is then left as it was.
    func commit() throws(GGUFError) {
        precondition(descriptor >= 0, "the file was already committed")
        guard fsync(descriptor) == 0 else { throw GGUFError.cannotWrite(path: path, reason: Self.reason(errno)) }
        close(descriptor)
        descriptor = -1
        guard rename(temporary, path) == 0 else {
            let reason = Self.reason(errno)
            unlink(temporary)
            throw GGUFError.cannotWrite(path: path, reason: reason)
        }
        // Make the rename itself durable; a folder that can't be opened only loses that guarantee.
        let folder = open(directory, O_RDONLY | O_CLOEXEC)
        if folder >= 0 {
            fsync(folder)
            close(folder)
        }
    }

    /// Writes the first `count` bytes of `bytes`, retrying short writes.
    private func writeAll(_ bytes: [UInt8], count: Int) throws(GGUFError) {
        precondition(descriptor >= 0, "the file was already committed")
        let failure: Int32? = bytes.withUnsafeBytes { raw -> Int32? in
            var offset = 0
            while offset < count {
                // offset < count <= raw.count, so the buffer is not empty and has a base address.
                guard let base = raw.baseAddress else { return nil }
                let written = Foundation.write(descriptor, base + offset, count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += written
            }
            return nil
        }
        if let failure { throw GGUFError.cannotWrite(path: path, reason: Self.reason(failure)) }
    }

    private static func reason(_ code: Int32) -> String {
        switch code {
        case ENOSPC: "the disk is full; free some space and try again"
        case EACCES, EPERM: "permission denied; choose a folder you can write to"
        case EROFS: "the file system is read-only"
        default: String(cString: strerror(code))
        }
    }
}
