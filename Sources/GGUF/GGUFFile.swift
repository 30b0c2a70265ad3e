import Foundation

/// A GGUF file (versions 2 and 3), memory-mapped read-only.
///
/// The layout, all integers little-endian (after ggml's gguf.h and docs/gguf.md):
///
/// 1. Magic: the 4 bytes `GGUF`.
/// 2. Version: u32, 2 or 3. (Version 1 used u32 for the counts and lengths below and is rejected.)
/// 3. Tensor count: u64.
/// 4. Metadata entry count: u64.
/// 5. Metadata entries, each:
///    - key: a string (u64 byte count, then that many bytes of UTF-8, no terminator);
///    - value type: u32 (0 u8, 1 i8, 2 u16, 3 i16, 4 u32, 5 i32, 6 f32, 7 bool, 8 string,
///      9 array, 10 u64, 11 i64, 12 f64);
///    - the value; a bool is one byte; an array is an element type u32, an element count u64 and
///      the elements without their own type codes (elements may themselves be arrays).
/// 6. Tensor descriptions, each:
///    - name: a string;
///    - dimension count: u32 (at most 4);
///    - dimensions: u64 each, innermost (contiguous) first;
///    - type: u32, a `GGMLType`;
///    - offset: u64, from the start of the tensor data section, a multiple of the alignment.
/// 7. Padding with zeros to a multiple of `general.alignment` (a u32 key, 32 when absent).
/// 8. Tensor data: each tensor's blocks at its offset, padded to the alignment.
///
/// ```swift
/// let file = try GGUFFile(contentsOf: URL(fileURLWithPath: "model.gguf"))
/// let layers = file.int("llama.block_count")                  // 30
/// let vocabulary = file.metadata["tokenizer.ggml.tokens"]?.stringArray
/// if let embedding = file.tensor(named: "token_embd.weight") {
///     let weights = try file.floats(of: embedding)            // [576, 49152] dequantized
/// }
/// ```
///
/// `@unchecked Sendable`: every stored property is immutable after `init`, and the mapping is
/// read-only (`PROT_READ`), so concurrent reads from several threads are safe.
public final class GGUFFile: @unchecked Sendable {
    /// Where the file was read from.
    public let url: URL
    /// The GGUF version, 2 or 3.
    public let version: UInt32
    /// The alignment of the tensor data (`general.alignment`, 32 by default).
    public let alignment: Int
    /// Every metadata entry by key.
    public let metadata: [String: GGUFValue]
    /// The metadata keys in file order.
    public let metadataKeys: [String]
    /// The tensor descriptions in file order.
    public let tensors: [GGUFTensorInfo]
    /// Byte offset of the tensor data section from the start of the file.
    public let dataOffset: Int

    private let mapping: MappedFile
    private let tensorIndex: [String: Int]

    /// Maps the file and reads its header, metadata and tensor descriptions; tensor data is read
    /// only when asked for.
    /// - Parameter url: a file URL of a `.gguf` file.
    /// - Throws: `GGUFError` when the file cannot be opened, is not GGUF version 2 or 3, is
    ///   truncated or corrupt, or describes a tensor of an unknown type or outside the file.
    public init(contentsOf url: URL) throws(GGUFError) {
        let path = url.path
        mapping = try MappedFile(path: path)
        var parser = GGUFParser(path: path, bytes: mapping.bytes)
        let contents = try parser.parse()
        self.url = url
        version = contents.version
        alignment = contents.alignment
        metadata = contents.metadata
        metadataKeys = contents.metadataKeys
        tensors = contents.tensors
        dataOffset = contents.dataOffset
        var index: [String: Int] = [:]
        index.reserveCapacity(tensors.count)
        for (position, tensor) in tensors.enumerated() { index[tensor.name] = position }
        tensorIndex = index
    }

    /// The size of the file in bytes.
    public var fileSize: Int { mapping.bytes.count }

    /// The description of the tensor called `name`, or nil.
    public func tensor(named name: String) -> GGUFTensorInfo? {
        tensorIndex[name].map { tensors[$0] }
    }

    /// The raw bytes of a tensor of this file, valid while the file object lives.
    ///
    /// Passing a tensor description that does not fit in this file is a programmer error.
    public func bytes(of tensor: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        let range = byteRange(of: tensor)
        precondition(range != nil, "tensor '\(tensor.name)' does not lie inside \(url.path)")
        return UnsafeRawBufferPointer(rebasing: mapping.bytes[range ?? 0..<0])
    }

    /// The tensor's values as `Float`, dequantized (`shape[0]` varies fastest).
    /// - Throws: `GGUFError.unsupportedType` when the tensor's type cannot be dequantized (see
    ///   `GGMLType.canDequantize`), `tensorOutOfBounds` for a description that does not fit in this file.
    public func floats(of tensor: GGUFTensorInfo) throws(GGUFError) -> [Float] {
        guard tensor.type.canDequantize else {
            throw GGUFError.unsupportedType(type: tensor.type, operation: "dequantize", tensor: tensor.name, path: url.path)
        }
        guard let range = byteRange(of: tensor) else {
            throw GGUFError.tensorOutOfBounds(path: url.path, tensor: tensor.name, start: dataOffset &+ tensor.offset,
                                              end: dataOffset &+ tensor.offset &+ tensor.byteCount, fileSize: fileSize)
        }
        let source = UnsafeRawBufferPointer(rebasing: mapping.bytes[range])
        return [Float](unsafeUninitializedCapacity: tensor.elementCount) { destination, count in
            GGMLQuantization.dequantizeUnchecked(tensor.type, source, into: destination)
            count = destination.count
        }
    }

    /// The file's byte range for a tensor, or nil when the description does not fit in the file.
    private func byteRange(of tensor: GGUFTensorInfo) -> Range<Int>? {
        guard tensor.offset >= 0, tensor.shape.allSatisfy({ $0 >= 0 }),
              let count = tensor.type.byteCount(elements: tensor.elementCount) else { return nil }
        let (start, overflow) = dataOffset.addingReportingOverflow(tensor.offset)
        guard !overflow, start <= fileSize, count <= fileSize - start else { return nil }
        return start..<(start + count)
    }

    // MARK: Metadata shortcuts

    /// `general.architecture`, e.g. "llama".
    public var architecture: String? { string("general.architecture") }

    /// The string value of `key`, or nil when absent or not a string.
    public func string(_ key: String) -> String? { metadata[key]?.stringValue }

    /// The integer value of `key`, or nil when absent or not an integer.
    public func int(_ key: String) -> Int? { metadata[key]?.intValue }

    /// The numeric value of `key` as a `Double`, or nil when absent or not a number.
    public func double(_ key: String) -> Double? { metadata[key]?.doubleValue }
}
