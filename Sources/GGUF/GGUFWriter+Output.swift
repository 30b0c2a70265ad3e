#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

extension GGUFWriter {
    /// The whole file: header, metadata, tensor descriptions, padding and tensor data.
    public func serialized() -> [UInt8] {
        let header = encodedHeader()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(header.count + dataSize)
        bytes.append(contentsOf: header)
        for data in tensorData {
            bytes.append(contentsOf: data)
            bytes.append(contentsOf: repeatElement(0, count: GGUFParser.align(data.count, to: alignment) - data.count))
        }
        return bytes
    }

    /// Writes the file atomically: to a hidden temporary file in the same folder, flushed to disk
    /// and renamed over `url`, so readers see the old file or the whole new one, never a part.
    /// - Throws: `GGUFError.cannotWrite` when the folder does not exist, is not writable, or the
    ///   disk is full; the destination is then left as it was.
    public func write(to url: URL) throws(GGUFError) {
        let path = url.path
        let directory = url.deletingLastPathComponent().path
        let temporary = directory + "/." + url.lastPathComponent + ".partial-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            let reason = errno == ENOENT ? "the folder \(directory) does not exist; create it first" : Self.reason(errno)
            throw GGUFError.cannotWrite(path: path, reason: reason)
        }
        var committed = false
        defer {
            if !committed {
                close(descriptor)
                unlink(temporary)
            }
        }
        let padding = [UInt8](repeating: 0, count: alignment)
        let header = encodedHeader()
        try writeAll(header, count: header.count, to: descriptor, path: path)
        for data in tensorData {
            try writeAll(data, count: data.count, to: descriptor, path: path)
            try writeAll(padding, count: GGUFParser.align(data.count, to: alignment) - data.count, to: descriptor, path: path)
        }
        guard fsync(descriptor) == 0 else { throw GGUFError.cannotWrite(path: path, reason: Self.reason(errno)) }
        close(descriptor)
        committed = true
        guard rename(temporary, path) == 0 else {
            let reason = Self.reason(errno)
            unlink(temporary)
            throw GGUFError.cannotWrite(path: path, reason: reason)
        }
    }

    /// Writes the first `count` bytes of `bytes`, retrying short writes.
    private func writeAll(_ bytes: [UInt8], count: Int, to descriptor: Int32, path: String) throws(GGUFError) {
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

    // MARK: Encoding

    /// Everything before the tensor data, padded to the alignment.
    func encodedHeader() -> [UInt8] {
        var out = GGUFByteBuffer()
        out.bytes.append(contentsOf: GGUFParser.magic)
        out.append(version)
        out.append(UInt64(tensors.count))
        out.append(UInt64(entries.count))
        for (key, value) in entries {
            out.append(key)
            out.append(value.typeCode)
            out.append(value)
        }
        for tensor in tensors {
            out.append(tensor.name)
            out.append(UInt32(tensor.shape.count))
            for size in tensor.shape { out.append(UInt64(size)) }
            out.append(tensor.type.rawValue)
            out.append(UInt64(tensor.offset))
        }
        out.bytes.append(contentsOf: repeatElement(0, count: GGUFParser.align(out.bytes.count, to: alignment) - out.bytes.count))
        return out.bytes
    }
}

/// Little-endian encoding of GGUF's scalars, strings and values into a byte array.
struct GGUFByteBuffer {
    var bytes: [UInt8] = []

    @inline(__always)
    mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func append(_ text: String) {
        append(UInt64(text.utf8.count))
        bytes.append(contentsOf: text.utf8)
    }

    /// The value without its type code.
    mutating func append(_ value: GGUFValue) {
        switch value {
        case .uint8(let v): append(v)
        case .int8(let v): append(v)
        case .uint16(let v): append(v)
        case .int16(let v): append(v)
        case .uint32(let v): append(v)
        case .int32(let v): append(v)
        case .uint64(let v): append(v)
        case .int64(let v): append(v)
        case .float32(let v): append(v.bitPattern)
        case .float64(let v): append(v.bitPattern)
        case .bool(let v): append(UInt8(v ? 1 : 0))
        case .string(let v): append(v)
        case .array(let elements):
            append(elements.first?.typeCode ?? GGUFValue.uint8(0).typeCode)
            append(UInt64(elements.count))
            for element in elements { append(element) }
        }
    }
}
