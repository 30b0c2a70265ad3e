#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Builds a GGUF file in memory: metadata in insertion order, then tensors, each aligned. The
/// layout is the one described on `GGUFFile`.
///
/// ```swift
/// var writer = GGUFWriter()
/// writer.set("general.architecture", .string("llama"))
/// writer.set("llama.block_count", .uint32(30))
/// try writer.addTensor(name: "output_norm.weight", shape: [576], values: norm, as: .f32)
/// try writer.addTensor(name: "blk.0.attn_q.weight", shape: [576, 576], values: wq, as: .q8_0)
/// try writer.write(to: URL(fileURLWithPath: "model.gguf"))
/// ```
public struct GGUFWriter: Sendable {
    /// The version written, 2 or 3 (they share one layout).
    public let version: UInt32
    /// The alignment of tensor data; written as `general.alignment` when it is not 32.
    public let alignment: Int

    private(set) var entries: [(key: String, value: GGUFValue)] = []
    private var entryIndex: [String: Int] = [:]
    private(set) var tensors: [GGUFTensorInfo] = []
    private var tensorNames: Set<String> = []
    private(set) var tensorData: [[UInt8]] = []
    /// Bytes of the tensor data section so far, each tensor padded to the alignment.
    private(set) var dataSize = 0

    /// - Parameters:
    ///   - version: 3 (current) or 2.
    ///   - alignment: a power of two; 32 is what llama.cpp expects by default.
    public init(version: UInt32 = 3, alignment: Int = 32) {
        precondition(version == 2 || version == 3, "GGUFWriter writes versions 2 and 3 only")
        precondition(alignment > 0 && alignment & (alignment - 1) == 0, "the alignment must be a power of two")
        self.version = version
        self.alignment = alignment
        if alignment != GGUFParser.defaultAlignment {
            set("general.alignment", .uint32(UInt32(alignment)))
        }
    }

    /// Sets metadata `key`; a key set again keeps its first position and takes the new value.
    ///
    /// The elements of an array must all be of one case (arrays of arrays may differ inside);
    /// mixing cases is a programmer error. An empty array is written with element type uint8.
    public mutating func set(_ key: String, _ value: GGUFValue) {
        precondition(Self.isHomogeneous(value), "the elements of array '\(key)' must all be of the same GGUFValue case")
        if let index = entryIndex[key] {
            entries[index].value = value
        } else {
            entryIndex[key] = entries.count
            entries.append((key, value))
        }
    }

    /// Adds a tensor whose data is already encoded as `type`.
    /// - Parameters:
    ///   - name: unique, shorter than 64 bytes (llama.cpp's limit).
    ///   - shape: 1 to 4 dimensions, innermost first (`[576, 1536]` is 1536 rows of 576);
    ///     `shape[0]` must be a multiple of the type's block size.
    ///   - bytes: exactly `type.byteCount(elements:)` bytes.
    /// - Throws: `GGUFError.invalidTensor` for a duplicate or too long name, a bad shape, or the
    ///   wrong number of bytes.
    public mutating func addTensor(name: String, shape: [Int], type: GGMLType, bytes: [UInt8]) throws(GGUFError) {
        let elements = try checkTensor(name: name, shape: shape, type: type)
        let needed = elements / type.blockSize * type.bytesPerBlock
        guard bytes.count == needed else {
            throw GGUFError.invalidTensor(name: name, reason: "\(bytes.count) bytes were given, but \(elements) "
                                            + "\(type.name) values take \(needed) bytes")
        }
        tensors.append(GGUFTensorInfo(name: name, shape: shape, type: type, offset: dataSize))
        tensorNames.insert(name)
        tensorData.append(bytes)
        dataSize += GGUFParser.align(bytes.count, to: alignment)
    }

    /// Adds a tensor, encoding `values` as `type` (F32, F16, BF16, Q8_0, Q4_0 or Q4_1).
    /// - Parameters:
    ///   - values: `shape`'s element count of values, `shape[0]` fastest; all finite.
    /// - Throws: `GGUFError.unsupportedType` for a type that cannot be quantized,
    ///   `GGUFError.invalidTensor` as `addTensor(name:shape:type:bytes:)` does, when the count does
    ///   not match the shape, or when a value is NaN or infinite.
    public mutating func addTensor(name: String, shape: [Int], values: [Float], as type: GGMLType) throws(GGUFError) {
        guard type.canQuantize else {
            throw GGUFError.unsupportedType(type: type, operation: "quantize", tensor: name, path: nil)
        }
        let elements = try checkTensor(name: name, shape: shape, type: type)
        guard values.count == elements else {
            throw GGUFError.invalidTensor(name: name, reason: "\(values.count) values were given for shape \(shape), "
                                            + "which holds \(elements)")
        }
        if let index = values.firstIndex(where: { !$0.isFinite }) {
            throw GGUFError.invalidTensor(name: name, reason: "value \(index) is \(values[index]); the weights are "
                                            + "broken (check the training loss for NaN) and cannot be exported")
        }
        try addTensor(name: name, shape: shape, type: type, bytes: try GGMLQuantization.quantize(type, values))
    }

    /// The element count of a valid new tensor.
    private func checkTensor(name: String, shape: [Int], type: GGMLType) throws(GGUFError) -> Int {
        try Self.checkTensor(name: name, shape: shape, type: type, taken: tensorNames)
    }

    /// The element count of a tensor that may join a file whose tensors are named `taken`.
    /// - Throws: `GGUFError.invalidTensor` for a duplicate or too long name, or a bad shape.
    static func checkTensor(name: String, shape: [Int], type: GGMLType, taken: Set<String>) throws(GGUFError) -> Int {
        guard !name.isEmpty, name.utf8.count < 64 else {
            throw GGUFError.invalidTensor(name: name, reason: "tensor names must have 1 to 63 bytes (llama.cpp's limit)")
        }
        guard !taken.contains(name) else {
            throw GGUFError.invalidTensor(name: name, reason: "a tensor of that name was already added")
        }
        guard (1...GGUFParser.maxDimensions).contains(shape.count), shape.allSatisfy({ $0 >= 0 }) else {
            throw GGUFError.invalidTensor(name: name, reason: "the shape \(shape) must have 1 to 4 dimensions of 0 or more")
        }
        var elements = 1
        for size in shape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: size)
            guard !overflow else { throw GGUFError.invalidTensor(name: name, reason: "the shape \(shape) is too large") }
            elements = product
        }
        guard shape[0] % type.blockSize == 0 else {
            throw GGUFError.invalidTensor(name: name, reason: "\(type.name) stores rows in blocks of \(type.blockSize) "
                                            + "values, but the rows of shape \(shape) have \(shape[0])")
        }
        return elements
    }

    static func isHomogeneous(_ value: GGUFValue) -> Bool {
        guard case .array(let elements) = value, let first = elements.first else { return true }
        let code = first.typeCode
        return elements.allSatisfy { $0.typeCode == code && isHomogeneous($0) }
    }
}
