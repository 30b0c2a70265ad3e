import Foundation
import GGUF

/// Writes a GGUF file (version 3; the layout is described on `GGUFFile`) one tensor at a time,
/// so that a whole model never has to be held in memory, as `GGUFWriter` would.
///
/// Every tensor's name, shape and type are declared up front (the header, written first, holds
/// their offsets); then each tensor's bytes are appended in the declared order; `finish()` checks
/// that all came and commits the file atomically.
///
/// ```swift
/// let writer = try StreamingGGUFWriter(url: url, metadata: entries,
///                                      tensors: [("output_norm.weight", [576], .f32)], alignment: 32)
/// try writer.append(normBytes)
/// try writer.finish()
/// ```
final class StreamingGGUFWriter {
    private let file: AtomicFileWriter
    private let tensors: [GGUFTensorInfo]
    private let alignment: Int
    private var next = 0

    /// Creates the temporary file and writes the header.
    /// - Parameters:
    ///   - metadata: entries in file order (include `general.alignment` when it is not 32).
    ///   - tensors: names (unique, < 64 bytes), GGUF shapes (innermost first) and types.
    ///   - alignment: of the tensor data, a power of two.
    init(url: URL, metadata: [(key: String, value: GGUFValue)], tensors: [(name: String, shape: [Int], type: GGMLType)],
         alignment: Int) throws(ExportError) {
        precondition(alignment > 0 && alignment & (alignment - 1) == 0, "the alignment must be a power of two")
        self.alignment = alignment
        var infos: [GGUFTensorInfo] = []
        var offset = 0
        for tensor in tensors {
            guard let count = tensor.type.byteCount(elements: tensor.shape.reduce(1, *)), tensor.shape[0] % tensor.type.blockSize == 0 else {
                throw .invalidValues(tensor: tensor.name, reason: "shape \(tensor.shape) can't be stored as \(tensor.type.name)")
            }
            infos.append(GGUFTensorInfo(name: tensor.name, shape: tensor.shape, type: tensor.type, offset: offset))
            offset += Self.align(count, to: alignment)
        }
        self.tensors = infos
        file = try AtomicFileWriter(url)

        var header = GGUFEncoding()
        header.bytes.append(contentsOf: Array("GGUF".utf8))
        header.append(UInt32(3))
        header.append(UInt64(infos.count))
        header.append(UInt64(metadata.count))
        for (key, value) in metadata {
            header.append(key)
            header.append(GGUFEncoding.typeCode(value))
            header.append(value)
        }
        for tensor in infos {
            header.append(tensor.name)
            header.append(UInt32(tensor.shape.count))
            for size in tensor.shape { header.append(UInt64(size)) }
            header.append(tensor.type.rawValue)
            header.append(UInt64(tensor.offset))
        }
        try file.write(header.bytes)
        try file.writeZeros(Self.align(header.bytes.count, to: alignment) - header.bytes.count)
    }

    /// Appends the next declared tensor's bytes, padded to the alignment.
    func append(_ bytes: [UInt8]) throws(ExportError) {
        precondition(next < tensors.count, "more tensors appended than declared")
        let tensor = tensors[next]
        precondition(bytes.count == tensor.byteCount, "tensor '\(tensor.name)' needs \(tensor.byteCount) bytes, got \(bytes.count)")
        try file.write(bytes)
        try file.writeZeros(Self.align(bytes.count, to: alignment) - bytes.count)
        next += 1
    }

    /// Flushes the file and renames it into place.
    func finish() throws(ExportError) {
        precondition(next == tensors.count, "\(tensors.count - next) declared tensors were not appended")
        try file.commit()
    }

    static func align(_ value: Int, to alignment: Int) -> Int {
        (value + alignment - 1) / alignment * alignment
    }
}

/// Little-endian encoding of GGUF's scalars, strings and metadata values (the GGUF library's own
/// encoder is internal to it).
struct GGUFEncoding {
    var bytes: [UInt8] = []

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
            append(elements.first.map(Self.typeCode) ?? 0)
            append(UInt64(elements.count))
            for element in elements { append(element) }
        }
    }

    /// GGUF's value type code (`enum gguf_type` in gguf.h).
    static func typeCode(_ value: GGUFValue) -> UInt32 {
        switch value {
        case .uint8: 0
        case .int8: 1
        case .uint16: 2
        case .int16: 3
        case .uint32: 4
        case .int32: 5
        case .float32: 6
        case .bool: 7
        case .string: 8
        case .array: 9
        case .uint64: 10
        case .int64: 11
        case .float64: 12
        }
    }
}
