/// Conversions between `Float` and the two 16-bit formats ggml stores: IEEE half precision (F16,
/// also every quantized block's scale) and bfloat16 (BF16).
///
/// The F16 conversions are branch-free bit manipulations after Marat Dukhan's FP16 library
/// (`fp16_ieee_to_fp32_value` / `fp16_ieee_from_fp32_value` in include/fp16/fp16.h), which ggml
/// also uses when the CPU has no conversion instructions; they round to nearest, ties to even.
/// Swift's `Float16` is not used because it does not exist on Intel Macs.
enum HalfPrecision {
    /// The `Float` an IEEE half-precision bit pattern stands for (exact).
    @inline(__always)
    static func float(fromHalf bits: UInt16) -> Float {
        let w = UInt32(bits) << 16
        let sign = w & 0x8000_0000
        let twoW = w &+ w
        // Normal numbers: move the exponent and mantissa into place and rescale the exponent bias.
        let exponentOffset: UInt32 = 0xE0 << 23
        let normalized = Float(bitPattern: (twoW >> 4) &+ exponentOffset) * Float(bitPattern: 0x0780_0000) // 2^-112
        // Subnormals: build 0.5 + mantissa * 2^-24 and subtract 0.5.
        let magicMask: UInt32 = 126 << 23
        let denormalized = Float(bitPattern: (twoW >> 17) | magicMask) - 0.5
        let denormalizedCutoff: UInt32 = 1 << 27
        let result = sign | (twoW < denormalizedCutoff ? denormalized.bitPattern : normalized.bitPattern)
        return Float(bitPattern: result)
    }

    /// The nearest IEEE half-precision bit pattern (ties to even; overflow gives infinity, NaN stays NaN).
    @inline(__always)
    static func half(from value: Float) -> UInt16 {
        let scaleToInfinity = Float(bitPattern: 0x7780_0000)   // 2^112
        let scaleToZero = Float(bitPattern: 0x0880_0000)       // 2^-110
        var base = (abs(value) * scaleToInfinity) * scaleToZero
        let w = value.bitPattern
        let shiftedW = w &+ w
        let sign = w & 0x8000_0000
        var bias = shiftedW & 0xFF00_0000
        if bias < 0x7100_0000 { bias = 0x7100_0000 }
        base = Float(bitPattern: (bias >> 1) &+ 0x0780_0000) + base
        let bits = base.bitPattern
        let exponentBits = (bits >> 13) & 0x0000_7C00
        let mantissaBits = bits & 0x0000_0FFF
        let nonSign = exponentBits &+ mantissaBits
        return UInt16(truncatingIfNeeded: (sign >> 16) | (shiftedW > 0xFF00_0000 ? 0x7E00 : nonSign))
    }

    /// The `Float` a bfloat16 bit pattern stands for (exact: bfloat16 is the top half of a `Float`).
    @inline(__always)
    static func float(fromBFloat16 bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// The nearest bfloat16 (ties to even; NaNs are kept and made quiet), as ggml's
    /// `ggml_compute_fp32_to_bf16` does.
    @inline(__always)
    static func bfloat16(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        if bits & 0x7FFF_FFFF > 0x7F80_0000 { return UInt16(truncatingIfNeeded: (bits >> 16) | 64) }
        return UInt16(truncatingIfNeeded: (bits &+ (0x7FFF &+ ((bits >> 16) & 1))) >> 16)
    }
}
