import TensorKernels

/// A weight matrix read in place: `rows` rows of `columns` values stored in one of the GGML types
/// the kernels understand (F32, F16, BF16, Q8_0, Q4_0, Q4_1). Rows are `rowBytes` apart.
///
/// `@unchecked Sendable`: the bytes are immutable (a read-only memory map or a buffer nobody writes
/// after construction) and `owner` keeps them alive.
public struct WeightMatrix: @unchecked Sendable {
    /// GGML type number (`GGMLType.rawValue`).
    public let type: Int32
    public let rows: Int
    public let columns: Int
    public let base: UnsafeRawPointer
    /// Whatever keeps `base` valid (the mapped file, an owned buffer).
    public let owner: AnyObject?

    /// - Returns: nil when the kernels don't handle `type` or `columns` isn't a whole number of blocks.
    public init?(type: Int32, rows: Int, columns: Int, base: UnsafeRawPointer, owner: AnyObject?) {
        guard tk_type_supported(type) != 0, tk_row_bytes(type, Int32(columns)) > 0, rows > 0 else { return nil }
        self.type = type
        self.rows = rows
        self.columns = columns
        self.base = base
        self.owner = owner
    }

    /// Bytes of one row.
    public var rowBytes: Int { Int(tk_row_bytes(type, Int32(columns))) }

    /// Row `index` as f32 values.
    public func row(_ index: Int) -> [Float] {
        precondition(index >= 0 && index < rows, "row \(index) out of 0..<\(rows)")
        var out = [Float](repeating: 0, count: columns)
        out.withUnsafeMutableBufferPointer {
            tk_dequantize_rows(type, base, Int32(index), 1, Int32(columns), $0.baseAddress)
        }
        return out
    }

    /// The same values in the kernels' decode layout (f32 scales apart from the quants; see
    /// TK_Q4_1R in TensorKernels.h), which single-token products read about twice as fast for
    /// Q8_0. Returns `self` for types without one.
    public func repackedForDecoding() -> WeightMatrix {
        let target = tk_repacked_type(type)
        guard target >= 0 else { return self }
        let bytes = Int(tk_row_bytes(target, Int32(columns))) * rows
        let buffer = ByteBuffer(count: bytes)
        guard tk_repack(type, base, Int32(rows), Int32(columns), buffer.pointer) == target,
              let matrix = WeightMatrix(type: target, rows: rows, columns: columns, base: UnsafeRawPointer(buffer.pointer), owner: buffer)
        else { return self }
        return matrix
    }

    /// The whole matrix as f32, row-major [rows][columns]. For tests and small matrices.
    public func dequantized() -> [Float] {
        var out = [Float](repeating: 0, count: rows * columns)
        out.withUnsafeMutableBufferPointer {
            tk_dequantize_rows(type, base, 0, Int32(rows), Int32(columns), $0.baseAddress)
        }
        return out
    }
}

/// An owned, immutable byte buffer that a `WeightMatrix` can point into.
public final class ByteBuffer: @unchecked Sendable {
    // Immutable after init; see WeightMatrix.
    public let pointer: UnsafeMutableRawPointer
    public let count: Int

    /// An uninitialised buffer of `count` bytes, 64-byte aligned, for the owner to fill once.
    public init(count: Int) {
        self.count = count
        pointer = UnsafeMutableRawPointer.allocate(byteCount: max(1, count), alignment: 64)
    }

    public init(_ bytes: [UInt8]) {
        count = bytes.count
        pointer = UnsafeMutableRawPointer.allocate(byteCount: max(1, bytes.count), alignment: 64)
        bytes.withUnsafeBytes { source in
            if let start = source.baseAddress { pointer.copyMemory(from: start, byteCount: source.count) }
        }
    }

    deinit { pointer.deallocate() }
}
