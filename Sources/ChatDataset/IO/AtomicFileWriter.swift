import Foundation

/// Writes a file so that readers only ever see the old file or the complete new one: bytes go to a
/// hidden temporary file in the same directory, which is flushed to disk and renamed over the
/// destination by `commit()`. A writer dropped without `commit()` (an error, a thrown check)
/// deletes its temporary file; a killed process leaves at most a hidden `.NAME.partial-PID` file and
/// never a half-written destination.
///
/// ```swift
/// let writer = try AtomicFileWriter(path: "train.jsonl")
/// try writer.write(line)
/// try writer.commit()
/// ```
/// The path `-` writes to standard output instead (not atomic, nothing to rename).
public final class AtomicFileWriter {
    public let path: String
    private let temporaryPath: String?
    private var descriptor: Int32
    private var buffer: [UInt8] = []
    private var finished = false
    /// Bytes written so far.
    public private(set) var byteCount = 0

    /// Creates the temporary file next to `path`.
    /// - Throws: `DatasetError.cannotWrite` when the directory does not exist or is not writable.
    public init(path: String) throws(DatasetError) {
        self.path = path
        buffer.reserveCapacity(1 << 20)
        if path == "-" {
            temporaryPath = nil
            descriptor = STDOUT_FILENO
            return
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw DatasetError.cannotWrite(path: path, reason: "it is a directory; give a file name")
        }
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let temporary = directory + "/." + url.lastPathComponent + ".partial-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            let reason = errno == ENOENT ? "the directory \(directory) does not exist; create it first"
                                         : LineReader.reason(errno)
            throw DatasetError.cannotWrite(path: path, reason: reason)
        }
        temporaryPath = temporary
        descriptor = fd
    }

    deinit {
        if !finished, let temporaryPath {
            close(descriptor)
            unlink(temporaryPath)
        }
    }

    /// Appends bytes.
    public func write(_ bytes: some Sequence<UInt8>) throws(DatasetError) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 20 { try flush() }
    }

    /// Appends bytes from a buffer that is only valid during the call.
    public func write(_ bytes: UnsafeBufferPointer<UInt8>) throws(DatasetError) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 20 { try flush() }
    }

    /// Appends the UTF-8 of `text`.
    public func write(_ text: String) throws(DatasetError) {
        try write(text.utf8)
    }

    private func flush() throws(DatasetError) {
        var offset = 0
        while offset < buffer.count {
            // offset < buffer.count, so the buffer is not empty and has a base address.
            let written = buffer.withUnsafeBytes { raw in
                Foundation.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                let reason = errno == ENOSPC ? "the disk is full; free some space and run again"
                                             : LineReader.reason(errno)
                throw DatasetError.cannotWrite(path: path, reason: reason)
            }
            offset += written
        }
        byteCount += buffer.count
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes everything to disk and renames the temporary file over the destination.
    public func commit() throws(DatasetError) {
        try flush()
        guard let temporaryPath else {
            finished = true
            return
        }
        guard fsync(descriptor) == 0 else {
            throw DatasetError.cannotWrite(path: path, reason: LineReader.reason(errno))
        }
        close(descriptor)
        finished = true
        guard rename(temporaryPath, path) == 0 else {
            let reason = LineReader.reason(errno)
            unlink(temporaryPath)
            throw DatasetError.cannotWrite(path: path, reason: reason)
        }
    }
}
