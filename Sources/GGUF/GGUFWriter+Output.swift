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
    /// The bytes are those of `serialized()`.
    /// - Throws: `GGUFError.cannotWrite` when the folder does not exist, is not writable, or the
    ///   disk is full; the destination is then left as it was.
    public func write(to url: URL) throws(GGUFError) {
        let writer = try GGUFStreamingWriter(url: url, version: version, metadata: entries, laidOut: tensors, alignment: alignment)
        for data in tensorData { try writer.append(data) }
        try writer.finish()
    }

    /// Everything before the tensor data, padded to the alignment.
    func encodedHeader() -> [UInt8] {
        GGUFByteBuffer.header(version: version, metadata: entries, tensors: tensors, alignment: alignment)
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

    /// Everything before the tensor data: magic, version, counts, metadata and tensor
    /// descriptions, padded with zeros to `alignment`. `GGUFWriter` and `GGUFStreamingWriter`
    /// both write their headers with this, so their files are the same byte for byte.
    static func header(version: UInt32, metadata: [(key: String, value: GGUFValue)], tensors: [GGUFTensorInfo],
                       alignment: Int) -> [UInt8] {
        var out = GGUFByteBuffer()
        out.bytes.append(contentsOf: GGUFParser.magic)
        out.append(version)
        out.append(UInt64(tensors.count))
        out.append(UInt64(metadata.count))
        for (key, value) in metadata {
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
