import Foundation

/// Writes a GGUF file (the layout is described on `GGUFFile`) one tensor at a time, so that a
/// whole model never has to be held in memory as `GGUFWriter` holds it. For the same metadata and
/// tensors the file is the same, byte for byte, as `GGUFWriter.write(to:)` writes (which uses
/// this writer).
///
/// Every tensor's name, shape and type are declared up front, because the header, written first,
/// holds their offsets; then each tensor's bytes are appended in the declared order; `finish()`
/// flushes the file and renames it over the destination. A writer dropped before `finish()`
/// removes its temporary file and leaves the destination as it was.
///
/// Not `Sendable`: one task owns a writer from `init` to `finish()`.
///
/// ```swift
/// let writer = try GGUFStreamingWriter(
///     url: URL(fileURLWithPath: "model.gguf"),
///     metadata: [("general.architecture", .string("llama")), ("llama.block_count", .uint32(30))],
///     tensors: [("output_norm.weight", [576], .f32), ("blk.0.attn_q.weight", [576, 576], .q8_0)])
/// try writer.append(try GGMLQuantization.quantize(.f32, norm))
/// try writer.append(try GGMLQuantization.quantize(.q8_0, wq))
/// try writer.finish()
/// ```
public final class GGUFStreamingWriter {
    /// The alignment of the tensor data.
    public let alignment: Int
    private let file: GGUFOutputFile
    /// The declared tensors, with their offsets in the data section.
    private let tensors: [GGUFTensorInfo]
    /// How many tensors have been appended.
    private var appended = 0

    /// Creates a temporary file next to `url` and writes the header.
    /// - Parameters:
    ///   - url: the destination; replaced only by `finish()`.
    ///   - metadata: entries in file order, each key once; the elements of an array all of one
    ///     case (as `GGUFWriter.set` requires). Include `general.alignment` when `alignment` is
    ///     not 32 (`GGUFWriter` adds it itself).
    ///   - tensors: in the order their bytes will be appended; names unique and 1 to 63 bytes,
    ///     shapes of 1 to 4 dimensions, innermost first, `shape[0]` a multiple of the type's block size.
    ///   - version: 3 (current) or 2.
    ///   - alignment: of the tensor data, a power of two, equal to `general.alignment` in
    ///     `metadata` (32 when that is absent).
    /// - Throws: `GGUFError.invalidTensor` for a tensor `GGUFWriter.addTensor` would refuse;
    ///   `GGUFError.cannotWrite` when the folder does not exist or is not writable.
    public convenience init(url: URL, metadata: [(key: String, value: GGUFValue)],
                            tensors: [(name: String, shape: [Int], type: GGMLType)],
                            version: UInt32 = 3, alignment: Int = 32) throws(GGUFError) {
        precondition(Set(metadata.map(\.key)).count == metadata.count, "metadata keys must be unique")
        precondition(metadata.allSatisfy { GGUFWriter.isHomogeneous($0.value) },
                     "the elements of a metadata array must all be of the same GGUFValue case")
        precondition(alignment == metadata.first(where: { $0.key == "general.alignment" })?.value.intValue
                        ?? GGUFParser.defaultAlignment,
                     "the alignment must be the one general.alignment states (32 when absent)")
        var laidOut: [GGUFTensorInfo] = []
        var names: Set<String> = []
        var offset = 0
        for tensor in tensors {
            _ = try GGUFWriter.checkTensor(name: tensor.name, shape: tensor.shape, type: tensor.type, taken: names)
            let info = GGUFTensorInfo(name: tensor.name, shape: tensor.shape, type: tensor.type, offset: offset)
            laidOut.append(info)
            names.insert(tensor.name)
            offset += GGUFParser.align(info.byteCount, to: alignment)
        }
        try self.init(url: url, version: version, metadata: metadata, laidOut: laidOut, alignment: alignment)
    }

    /// Creates the file for tensors already checked and laid out (offsets set), as `GGUFWriter`
    /// holds them, and writes the header.
    init(url: URL, version: UInt32, metadata: [(key: String, value: GGUFValue)], laidOut tensors: [GGUFTensorInfo],
         alignment: Int) throws(GGUFError) {
        precondition(version == 2 || version == 3, "GGUF versions 2 and 3 only can be written")
        precondition(alignment > 0 && alignment & (alignment - 1) == 0, "the alignment must be a power of two")
        self.alignment = alignment
        self.tensors = tensors
        file = try GGUFOutputFile(url)
        try file.write(GGUFByteBuffer.header(version: version, metadata: metadata, tensors: tensors, alignment: alignment))
    }

    /// Appends the next declared tensor's bytes, padded with zeros to the alignment.
    /// - Parameter bytes: the tensor encoded as its declared type: exactly its
    ///   `GGUFTensorInfo.byteCount` bytes (`GGMLQuantization.quantize` gives them).
    /// - Throws: `GGUFError.invalidTensor` when `bytes` has the wrong size (nothing is written
    ///   then); `GGUFError.cannotWrite` when the disk is full.
    public func append(_ bytes: [UInt8]) throws(GGUFError) {
        precondition(appended < tensors.count, "more tensors appended than the \(tensors.count) declared")
        let tensor = tensors[appended]
        guard bytes.count == tensor.byteCount else {
            throw GGUFError.invalidTensor(name: tensor.name, reason: "\(bytes.count) bytes were given, but its "
                                            + "\(tensor.elementCount) \(tensor.type.name) values take \(tensor.byteCount) bytes")
        }
        try file.write(bytes, padding: GGUFParser.align(bytes.count, to: alignment) - bytes.count)
        appended += 1
    }

    /// Flushes the file to disk and renames it over the destination; call it once, after the
    /// last declared tensor.
    /// - Throws: `GGUFError.cannotWrite` when the disk is full or the rename fails; the
    ///   destination is then left as it was.
    public func finish() throws(GGUFError) {
        precondition(appended == tensors.count, "\(tensors.count - appended) declared tensors were not appended")
        try file.commit()
    }
}
