/// Converts between `Float` values and ggml's tensor encodings.
///
/// ```swift
/// let bytes = try GGMLQuantization.quantize(.q8_0, weights)       // weights.count a multiple of 32
/// var restored = [Float](repeating: 0, count: weights.count)
/// try bytes.withUnsafeBytes { source in
///     try restored.withUnsafeMutableBufferPointer { try GGMLQuantization.dequantize(.q8_0, source, into: $0) }
/// }
/// ```
public enum GGMLQuantization {
    /// Decodes `destination.count` values of type `type` from `source`.
    /// - Parameters:
    ///   - type: a type with `canDequantize` (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q4_K, Q6_K).
    ///   - source: exactly `type.byteCount(elements: destination.count)` bytes, any alignment.
    ///   - destination: the values, a whole number of the type's blocks.
    /// - Throws: `GGUFError.unsupportedType` for other types, `sizeMismatch` when the sizes disagree.
    public static func dequantize(_ type: GGMLType, _ source: UnsafeRawBufferPointer,
                                  into destination: UnsafeMutableBufferPointer<Float>) throws(GGUFError) {
        guard type.canDequantize else {
            throw GGUFError.unsupportedType(type: type, operation: "dequantize", tensor: nil, path: nil)
        }
        try checkBlocks(type, count: destination.count, purpose: "dequantize")
        let needed = destination.count / type.blockSize * type.bytesPerBlock
        guard source.count == needed else {
            throw GGUFError.sizeMismatch(what: "the source of \(destination.count) \(type.name) values, in bytes,",
                                         expected: needed, actual: source.count)
        }
        dequantizeUnchecked(type, source, into: destination)
    }

    /// Encodes `values` as `type`.
    /// - Parameters:
    ///   - type: a type with `canQuantize` (F32, F16, BF16, Q8_0, Q4_0, Q4_1); the quantized types
    ///     round to nearest as ggml's reference quantizers (`quantize_row_q8_0_ref` and so on) do,
    ///     so the bytes match what llama.cpp and gguf-py produce.
    ///   - values: a whole number of the type's blocks.
    /// - Returns: `type.byteCount(elements: values.count)` bytes.
    /// - Throws: `GGUFError.unsupportedType` for other types, `sizeMismatch` when `values.count` is
    ///   not a multiple of the block size.
    public static func quantize(_ type: GGMLType, _ values: [Float]) throws(GGUFError) -> [UInt8] {
        guard type.canQuantize else {
            throw GGUFError.unsupportedType(type: type, operation: "quantize", tensor: nil, path: nil)
        }
        try checkBlocks(type, count: values.count, purpose: "quantize")
        let byteCount = values.count / type.blockSize * type.bytesPerBlock
        return values.withUnsafeBufferPointer { input in
            [UInt8](unsafeUninitializedCapacity: byteCount) { output, count in
                let destination = UnsafeMutableRawBufferPointer(output)
                switch type {
                case .f32:
                    if let base = input.baseAddress { destination.copyMemory(from: UnsafeRawBufferPointer(start: base, count: byteCount)) }
                case .f16:
                    for (index, value) in input.enumerated() {
                        destination.storeBytes(of: HalfPrecision.half(from: value).littleEndian, toByteOffset: 2 * index, as: UInt16.self)
                    }
                case .bf16:
                    for (index, value) in input.enumerated() {
                        destination.storeBytes(of: HalfPrecision.bfloat16(from: value).littleEndian, toByteOffset: 2 * index, as: UInt16.self)
                    }
                case .q8_0: BlockQuantization.quantizeQ8_0(input, into: destination)
                case .q4_0: BlockQuantization.quantizeQ4_0(input, into: destination)
                case .q4_1: BlockQuantization.quantizeQ4_1(input, into: destination)
                default: preconditionFailure("canQuantize is out of step with quantize")
                }
                count = byteCount
            }
        }
    }

    /// `dequantize` after the caller has checked the type and the sizes.
    static func dequantizeUnchecked(_ type: GGMLType, _ source: UnsafeRawBufferPointer,
                                    into destination: UnsafeMutableBufferPointer<Float>) {
        guard let output = destination.baseAddress, let input = source.baseAddress else { return }
        let blocks = destination.count / type.blockSize
        switch type {
        case .f32:
            UnsafeMutableRawPointer(output).copyMemory(from: input, byteCount: 4 * destination.count)
        case .f16:
            for index in 0..<destination.count {
                output[index] = HalfPrecision.float(fromHalf: UInt16(littleEndian: input.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self)))
            }
        case .bf16:
            for index in 0..<destination.count {
                output[index] = HalfPrecision.float(fromBFloat16: UInt16(littleEndian: input.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self)))
            }
        case .q8_0: BlockDequantization.q8_0(input, blocks: blocks, into: output)
        case .q4_0: BlockDequantization.q4_0(input, blocks: blocks, into: output)
        case .q4_1: BlockDequantization.q4_1(input, blocks: blocks, into: output)
        case .q4_K: BlockDequantization.q4_K(input, blocks: blocks, into: output)
        case .q6_K: BlockDequantization.q6_K(input, blocks: blocks, into: output)
        default: preconditionFailure("canDequantize is out of step with dequantizeUnchecked")
        }
    }

    private static func checkBlocks(_ type: GGMLType, count: Int, purpose: String) throws(GGUFError) {
        guard count % type.blockSize == 0 else {
            let rounded = (count / type.blockSize + 1) * type.blockSize
            throw GGUFError.sizeMismatch(
                what: "the number of values to \(purpose) as \(type.name) (a multiple of \(type.blockSize))",
                expected: rounded, actual: count)
        }
    }
}
