/// Where a tensor lies in a GGUF file and how to read it.
public struct GGUFTensorInfo: Sendable, Equatable {
    /// The tensor's name, e.g. "blk.0.attn_q.weight".
    public var name: String
    /// ggml order: `shape[0]` is the contiguous (innermost) dimension. A Linear(in: 576, out: 1536)
    /// weight is `[576, 1536]`: 1536 rows of 576.
    public var shape: [Int]
    /// The element type.
    public var type: GGMLType
    /// Offset of the tensor's first byte from the start of the tensor data section.
    public var offset: Int

    public init(name: String, shape: [Int], type: GGMLType, offset: Int) {
        self.name = name
        self.shape = shape
        self.type = type
        self.offset = offset
    }

    /// The number of elements (1 for a tensor of no dimensions).
    public var elementCount: Int { shape.reduce(1, *) }

    /// The bytes the tensor's data takes in the file.
    public var byteCount: Int { elementCount / type.blockSize * type.bytesPerBlock }

}
