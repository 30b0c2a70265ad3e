import Foundation

/// Reads a file line by line in large chunks, handing each line to a closure as bytes that stay
/// valid only during the call. Memory holds one chunk plus the longest line, whatever the file size.
///
/// Lines end at `\n`; a `\r` before it is removed (CRLF files read like LF files). A UTF-8 byte-order
/// mark at the start of the file is removed and reported in `sawByteOrderMark`.
///
/// ```swift
/// let reader = try LineReader(path: "train.jsonl")
/// try reader.forEachLine { (line, number) throws(DatasetError) in print(number, line.count) }
/// ```
public final class LineReader {
    public let path: String
    /// Size in bytes when the file is a regular file (nil for pipes).
    public let fileSize: Int?
    public private(set) var sawByteOrderMark = false
    public private(set) var sawCRLF = false
    /// Bytes consumed so far, for progress reporting.
    public private(set) var bytesRead = 0

    private let descriptor: Int32
    private let chunkSize: Int

    /// Opens `path` for reading.
    /// - Parameter rejectBinary: when true, a NUL byte in the first 64 KiB makes reading fail with
    ///   `DatasetError.notText`: no JSON Lines or CSV file contains one.
    /// - Throws: `DatasetError.cannotRead` naming the reason (missing, a directory, no permission).
    public init(path: String, chunkSize: Int = 4 << 20) throws(DatasetError) {
        self.path = path
        self.chunkSize = chunkSize
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw DatasetError.cannotRead(path: path, reason: Self.reason(errno))
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            close(fd)
            throw DatasetError.cannotRead(path: path, reason: Self.reason(code))
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw DatasetError.cannotRead(path: path, reason: "it is a directory; give the path of a file inside it")
        }
        descriptor = fd
        fileSize = (info.st_mode & S_IFMT) == S_IFREG ? Int(info.st_size) : nil
        #if os(Linux)
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
        #endif
    }

    deinit { close(descriptor) }

    static func reason(_ code: Int32) -> String {
        switch code {
        case ENOENT: "no such file; check the path"
        case EACCES: "permission denied; check the file's permissions"
        case EISDIR: "it is a directory; give the path of a file inside it"
        default: String(cString: strerror(code))
        }
    }

    /// Calls `body` with each line (without its line ending) and its 1-based line number.
    /// A final line without a trailing newline is delivered too; an empty file delivers nothing.
    /// - Parameter rejectBinary: fail with `DatasetError.notText` when the first 64 KiB hold a NUL byte.
    /// - Throws: `DatasetError` on read failures, or whatever `body` throws.
    public func forEachLine(rejectBinary: Bool = true,
                            _ body: (UnsafeBufferPointer<UInt8>, Int) throws(DatasetError) -> Void) throws(DatasetError) {
        var capacity = chunkSize
        var buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        defer { buffer.deallocate() }
        var filled = 0          // bytes in buffer
        var lineStart = 0       // start of the current (incomplete) line
        var scanFrom = 0        // where to look for the next newline
        var lineNumber = 0
        var atFileStart = true
        var checkedBinary = !rejectBinary
        var endOfFile = false

        while true {
            if !endOfFile {
                // Make room: drop consumed bytes, grow when one line fills the buffer.
                if lineStart > 0 {
                    let remaining = filled - lineStart
                    if remaining > 0 { memmove(buffer, buffer + lineStart, remaining) }
                    filled = remaining
                    scanFrom -= lineStart
                    lineStart = 0
                }
                if capacity - filled < chunkSize / 2 {
                    let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity * 2)
                    grown.update(from: buffer, count: filled)
                    buffer.deallocate()
                    buffer = grown
                    capacity *= 2
                }
                let count = read(descriptor, buffer + filled, capacity - filled)
                if count < 0 {
                    if errno == EINTR { continue }
                    throw DatasetError.cannotRead(path: path, reason: Self.reason(errno))
                }
                if count == 0 { endOfFile = true }
                filled += count
                bytesRead += count

                if atFileStart, filled >= 3 || endOfFile {
                    atFileStart = false
                    if filled >= 3, buffer[0] == 0xEF, buffer[1] == 0xBB, buffer[2] == 0xBF {
                        sawByteOrderMark = true
                        lineStart = 3
                        scanFrom = 3
                    }
                }
                if !checkedBinary, filled >= 65_536 || endOfFile {
                    checkedBinary = true
                    if let nul = memchr(buffer, 0, min(filled, 65_536)) {
                        throw DatasetError.notText(path: path, offset: buffer.distance(to: nul.assumingMemoryBound(to: UInt8.self)))
                    }
                }
                if atFileStart || !checkedBinary { continue }
            }

            // Deliver every complete line in the buffer.
            while scanFrom < filled, let hit = memchr(buffer + scanFrom, 0x0A, filled - scanFrom) {
                let newline = buffer.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                var end = newline
                if end > lineStart, buffer[end - 1] == 0x0D { end -= 1; sawCRLF = true }
                lineNumber += 1
                try body(UnsafeBufferPointer(start: buffer + lineStart, count: end - lineStart), lineNumber)
                lineStart = newline + 1
                scanFrom = lineStart
            }
            scanFrom = filled
            if endOfFile {
                if lineStart < filled {
                    var end = filled
                    if buffer[end - 1] == 0x0D { end -= 1 }
                    lineNumber += 1
                    try body(UnsafeBufferPointer(start: buffer + lineStart, count: end - lineStart), lineNumber)
                }
                return
            }
        }
    }
}

/// Whether a line (without its ending) holds only spaces, tabs or carriage returns.
public func isBlankLine(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
    line.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
}
