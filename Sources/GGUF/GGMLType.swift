/// A tensor element type, numbered as in ggml (`enum ggml_type` in ggml.h). Block sizes and byte
/// counts follow ggml's `type_traits` table; the block layouts are described in `BlockDequantization`.
public enum GGMLType: UInt32, Sendable, CaseIterable {
    case f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3, q5_0 = 6, q5_1 = 7, q8_0 = 8, q8_1 = 9,
         q2_K = 10, q3_K = 11, q4_K = 12, q5_K = 13, q6_K = 14, q8_K = 15,
         // 16...23 are the IQ types and 29 is IQ1_M: not supported, so not listed.
         i8 = 24, i16 = 25, i32 = 26, i64 = 27, f64 = 28, bf16 = 30

    /// ggml's name for the type: "F32", "Q4_1", "Q6_K", ...
    public var name: String {
        switch self {
        case .f32: "F32"
        case .f16: "F16"
        case .q4_0: "Q4_0"
        case .q4_1: "Q4_1"
        case .q5_0: "Q5_0"
        case .q5_1: "Q5_1"
        case .q8_0: "Q8_0"
        case .q8_1: "Q8_1"
        case .q2_K: "Q2_K"
        case .q3_K: "Q3_K"
        case .q4_K: "Q4_K"
        case .q5_K: "Q5_K"
        case .q6_K: "Q6_K"
        case .q8_K: "Q8_K"
        case .i8: "I8"
        case .i16: "I16"
        case .i32: "I32"
        case .i64: "I64"
        case .f64: "F64"
        case .bf16: "BF16"
        }
    }

    /// Elements per block: 1 for plain types, 32 for the legacy quants, 256 for K-quant super-blocks.
    public var blockSize: Int {
        switch self {
        case .f32, .f16, .bf16, .f64, .i8, .i16, .i32, .i64: 1
        case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q8_1: 32
        case .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .q8_K: 256
        }
    }

    /// Bytes per block (`sizeof(block_q4_1)` and so on).
    public var bytesPerBlock: Int {
        switch self {
        case .i8: 1
        case .f16, .bf16, .i16: 2
        case .f32, .i32: 4
        case .f64, .i64: 8
        case .q4_0: 18    // f16 d, 16 bytes of nibbles
        case .q4_1: 20    // f16 d, f16 m, 16 bytes of nibbles
        case .q5_0: 22    // f16 d, 4 bytes of high bits, 16 bytes of nibbles
        case .q5_1: 24    // f16 d, f16 m, 4 bytes of high bits, 16 bytes of nibbles
        case .q8_0: 34    // f16 d, 32 int8
        case .q8_1: 36    // f16 d, f16 s, 32 int8
        case .q2_K: 84    // 16 scales, 64 bytes of 2-bit quants, f16 d, f16 dmin
        case .q3_K: 110   // 32 bytes high bits, 64 bytes of 2-bit quants, 12 scales, f16 d
        case .q4_K: 144   // f16 d, f16 dmin, 12 scales, 128 bytes of nibbles
        case .q5_K: 176   // f16 d, f16 dmin, 12 scales, 32 bytes high bits, 128 bytes of nibbles
        case .q6_K: 210   // 128 bytes low nibbles, 64 bytes high bits, 16 int8 scales, f16 d
        case .q8_K: 292   // f32 d, 256 int8, 16 int16 block sums
        }
    }

    /// Whether `GGMLQuantization.dequantize` handles this type.
    public var canDequantize: Bool {
        switch self {
        case .f32, .f16, .bf16, .q8_0, .q4_0, .q4_1, .q4_K, .q6_K: true
        default: false
        }
    }

    /// Whether `GGMLQuantization.quantize` (and so `GGUFWriter.addTensor(values:as:)`) handles this type.
    public var canQuantize: Bool {
        switch self {
        case .f32, .f16, .bf16, .q8_0, .q4_0, .q4_1: true
        default: false
        }
    }

    /// The bytes `elements` values take in this type, or nil when `elements` is negative, not a
    /// whole number of blocks, or too large to count.
    public func byteCount(elements: Int) -> Int? {
        guard elements >= 0, elements % blockSize == 0 else { return nil }
        let (bytes, overflow) = (elements / blockSize).multipliedReportingOverflow(by: bytesPerBlock)
        return overflow ? nil : bytes
    }
}
