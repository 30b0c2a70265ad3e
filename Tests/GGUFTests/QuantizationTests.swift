import ChatDataset
import Foundation
import Testing
@testable import GGUF

/// Quantize → dequantize stays within each format's error bound; the 16-bit conversions are exact.
@Suite("quantization")
struct QuantizationTests {
    /// 64 blocks of 256 values of widely varying scale, with a few special blocks.
    static func sampleValues() -> [Float] {
        var generator = SeededGenerator(seed: 42)
        var values: [Float] = []
        for block in 0..<64 {
            let scale = Float.random(in: -6...2, using: &generator)
            values += generator.normals(256, scale: Float(pow(10, Double(scale))))
            if block == 3 { values.replaceSubrange((values.count - 32)..., with: repeatElement(0, count: 32)) }
            if block == 5 { values.replaceSubrange((values.count - 32)..., with: repeatElement(-0.25, count: 32)) }
        }
        return values
    }

    /// The largest error each format allows for `x` in a block of 32 values `block`: half a
    /// quantization step (a whole step for Q4_0's clipped end), plus the rounding of the f16 scale
    /// and minimum, which is relative for normal halves and absolute (2^-25) for subnormal ones.
    static func bound(_ type: GGMLType, _ x: Float, block: ArraySlice<Float>) -> Float {
        let amax = block.map(abs).max() ?? 0
        func halfError(_ value: Float) -> Float { max(abs(value) / 2048, Float(bitPattern: 0x3300_0000)) }
        switch type {
        case .f32: return 0
        case .f16: return halfError(x)
        case .bf16: return abs(x) / 256
        case .q8_0:
            let d = amax / 127
            return d / 2 + 127 * halfError(d)
        case .q4_0:
            let d = amax / 8
            return d + 8 * halfError(d)
        case .q4_1:
            let minimum = block.min() ?? 0, maximum = block.max() ?? 0
            let d = (maximum - minimum) / 15
            return d / 2 + halfError(minimum) + 15 * halfError(d)
        default: return .nan
        }
    }

    @Test("quantize then dequantize stays within the format's error bound",
          arguments: [GGMLType.f32, .f16, .bf16, .q8_0, .q4_0, .q4_1])
    func roundTrip(type: GGMLType) throws {
        let values = Self.sampleValues()
        let bytes = try GGMLQuantization.quantize(type, values)
        #expect(bytes.count == type.byteCount(elements: values.count))
        let restored = try dequantized(type, bytes, count: values.count)
        var worst: (excess: Float, index: Int) = (0, -1)
        for index in values.indices {
            let blockStart = index / 32 * 32
            let allowed = Self.bound(type, values[index], block: values[blockStart..<(blockStart + 32)])
            let excess = abs(restored[index] - values[index]) - allowed
            if !(excess <= worst.excess) { worst = (excess, index) }
        }
        #expect(worst.index == -1, "value \(worst.index) is off by \(worst.excess) more than allowed")
        // A block of zeros stays zero; a constant block of -0.25 is exact in Q4_1 (d = 0, m = -0.25)
        // and Q4_0 (d = 1/32), not in Q8_0 (d = 0.25/127 is not a half).
        #expect(restored[(3 * 256 + 224)..<(4 * 256)].allSatisfy { $0 == 0 })
        if type == .q4_1 || type == .q4_0 {
            #expect(restored[(5 * 256 + 224)..<(6 * 256)].allSatisfy { $0 == -0.25 })
        }
    }

    @Test("the error bounds above are tight enough to catch a wrong nibble order")
    func boundsCatchMistakes() throws {
        let values = Self.sampleValues()
        var bytes = try GGMLQuantization.quantize(.q4_0, values)
        for block in 0..<(values.count / 32) {
            for j in 0..<16 { bytes[block * 18 + 2 + j] = bytes[block * 18 + 2 + j] << 4 | bytes[block * 18 + 2 + j] >> 4 }
        }
        let restored = try dequantized(.q4_0, bytes, count: values.count)
        let violations = values.indices.filter { index in
            let blockStart = index / 32 * 32
            return abs(restored[index] - values[index]) > Self.bound(.q4_0, values[index], block: values[blockStart..<(blockStart + 32)])
        }
        #expect(violations.count > values.count / 2)
    }

    #if !(os(macOS) && arch(x86_64))
    @Test("half-precision decoding agrees with Float16 for all 65,536 bit patterns")
    func halfDecoding() {
        let mismatches = (0...UInt16.max).filter { bits in
            let ours = HalfPrecision.float(fromHalf: bits)
            let swift = Float(Float16(bitPattern: bits))
            return !(ours.bitPattern == swift.bitPattern || (ours.isNaN && swift.isNaN))
        }
        #expect(mismatches.isEmpty, "first mismatching bit patterns: \(mismatches.prefix(5))")
    }

    @Test("half-precision encoding rounds to nearest even like Float16")
    func halfEncoding() {
        var generator = SeededGenerator(seed: 9)
        var samples: [Float] = [0, -0, 1, 65504, 65519, 65520, -65520, .infinity, -.infinity, 1e-8, 2.98e-8, 5.96e-8,
                                6.1e-5, .leastNonzeroMagnitude, .greatestFiniteMagnitude, 1.00048828125, 1.00146484375]
        samples += (0..<200_000).map { _ in Float(bitPattern: UInt32.random(in: 0...UInt32.max, using: &generator)) }
        let mismatches = samples.filter { !$0.isNaN && HalfPrecision.half(from: $0) != Float16($0).bitPattern }
        #expect(mismatches.isEmpty, "first mismatching values: \(mismatches.prefix(5))")
        #expect(HalfPrecision.float(fromHalf: HalfPrecision.half(from: .nan)).isNaN)
    }
    #endif

    @Test("bfloat16 rounds to nearest even and keeps NaN")
    func bfloat16() {
        #expect(HalfPrecision.bfloat16(from: 1) == 0x3F80)
        #expect(HalfPrecision.bfloat16(from: Float(bitPattern: 0x3F80_8000)) == 0x3F80, "a tie rounds to even (down)")
        #expect(HalfPrecision.bfloat16(from: Float(bitPattern: 0x3F81_8000)) == 0x3F82, "a tie rounds to even (up)")
        #expect(HalfPrecision.bfloat16(from: Float(bitPattern: 0x3F80_8001)) == 0x3F81)
        #expect(HalfPrecision.float(fromBFloat16: HalfPrecision.bfloat16(from: .nan)).isNaN)
        #expect(HalfPrecision.float(fromBFloat16: 0xC040) == -3)
    }

    @Test("non-finite values never trap the block quantizers", arguments: [GGMLType.q8_0, .q4_0, .q4_1])
    func nonFinite(type: GGMLType) throws {
        var values = [Float](repeating: 1, count: 64)
        values[3] = .nan
        values[40] = .infinity
        values[41] = -.infinity
        #expect(try GGMLQuantization.quantize(type, values).count == 2 * type.bytesPerBlock)
    }

    @Test("sizes that are not whole blocks, and types without a codec, are refused")
    func refusals() throws {
        #expect(throws: GGUFError.sizeMismatch(what: "the number of values to quantize as Q8_0 (a multiple of 32)",
                                              expected: 64, actual: 33)) {
            try GGMLQuantization.quantize(.q8_0, Array(repeating: 0, count: 33))
        }
        #expect(throws: GGUFError.unsupportedType(type: .q5_K, operation: "quantize", tensor: nil, path: nil)) {
            try GGMLQuantization.quantize(.q5_K, Array(repeating: 0, count: 256))
        }
        let bytes = [UInt8](repeating: 0, count: 20)
        let error = #expect(throws: GGUFError.self) { try dequantized(.q8_0, bytes, count: 32) }
        #expect(error?.description == "the source of 32 Q8_0 values, in bytes, is 20, but must be 34")
        #expect(throws: GGUFError.unsupportedType(type: .q5_0, operation: "dequantize", tensor: nil, path: nil)) {
            try dequantized(.q5_0, bytes, count: 32)
        }
        #expect(throws: GGUFError.sizeMismatch(what: "the number of values to dequantize as Q4_K (a multiple of 256)",
                                              expected: 256, actual: 32)) {
            try dequantized(.q4_K, bytes, count: 32)
        }
    }

    @Test("block sizes and byte counts follow ggml's type table")
    func typeTable() {
        #expect(GGMLType.q4_1.byteCount(elements: 576 * 1536) == 576 * 1536 / 32 * 20)
        #expect(GGMLType.q6_K.byteCount(elements: 512) == 420)
        #expect(GGMLType.q4_K.byteCount(elements: 255) == nil)
        #expect(GGMLType.f32.byteCount(elements: -1) == nil)
        #expect(GGMLType.allCases.filter(\.canDequantize).map(\.name) == ["F32", "F16", "Q4_0", "Q4_1", "Q8_0", "Q4_K", "Q6_K", "BF16"])
        #expect(GGMLType(rawValue: 30) == .bf16 && GGMLType(rawValue: 19) == nil)
    }
}
