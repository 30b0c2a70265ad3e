/// Encoders for ggml's 32-value blocks, after ggml's reference quantizers
/// `quantize_row_q8_0_ref`, `quantize_row_q4_0_ref` and `quantize_row_q4_1_ref` (ggml-quants.c):
/// one scale per block, each value rounded to the nearest step. Layouts are described in
/// `BlockDequantization`. Non-finite inputs give meaningless blocks, never a trap.
///
/// Every function reads a whole number of blocks from `source` and fills `destination`, which
/// holds exactly the blocks' bytes.
enum BlockQuantization {
    @inline(__always)
    private static func storeHalf(_ value: Float, _ destination: UnsafeMutableRawBufferPointer, _ offset: Int) {
        destination.storeBytes(of: HalfPrecision.half(from: value).littleEndian, toByteOffset: offset, as: UInt16.self)
    }

    /// A nibble from a value already shifted to 0...16: truncated toward zero and capped at 15, as
    /// ggml's `MIN(15, (int8_t)(x))`; NaN gives 0.
    @inline(__always)
    private static func nibble(_ shifted: Float) -> UInt8 {
        guard shifted > 0 else { return 0 }
        return UInt8(min(shifted, 15))
    }

    /// Q8_0: d = max|x| / 127, q = round(x / d) (halves away from zero).
    static func quantizeQ8_0(_ source: UnsafeBufferPointer<Float>, into destination: UnsafeMutableRawBufferPointer) {
        for block in 0..<(source.count / 32) {
            let x = UnsafeBufferPointer(rebasing: source[(block * 32)..<(block * 32 + 32)])
            let base = block * 34
            var amax: Float = 0
            for v in x { amax = max(amax, abs(v)) }
            let d = amax / 127
            let id: Float = d != 0 ? 1 / d : 0
            storeHalf(d, destination, base)
            for j in 0..<32 {
                let scaled = (x[j] * id).rounded()
                let q = scaled.isNaN ? 0 : Int8(max(-127, min(127, scaled)))
                destination[base + 2 + j] = UInt8(bitPattern: q)
            }
        }
    }

    /// Q4_0: d = m / -8 where m is the value of largest magnitude (the first, on ties), so that m
    /// maps to nibble 0; nibble = x / d + 8, rounded to nearest and capped at 15.
    static func quantizeQ4_0(_ source: UnsafeBufferPointer<Float>, into destination: UnsafeMutableRawBufferPointer) {
        for block in 0..<(source.count / 32) {
            let x = UnsafeBufferPointer(rebasing: source[(block * 32)..<(block * 32 + 32)])
            let base = block * 18
            var amax: Float = 0
            var extreme: Float = 0
            for v in x where amax < abs(v) {
                amax = abs(v)
                extreme = v
            }
            let d = extreme / -8
            let id: Float = d != 0 ? 1 / d : 0
            storeHalf(d, destination, base)
            for j in 0..<16 {
                let low = nibble(x[j] * id + 8.5)
                let high = nibble(x[j + 16] * id + 8.5)
                destination[base + 2 + j] = low | high << 4
            }
        }
    }

    /// Q4_1: d = (max - min) / 15 and m = min; nibble = (x - min) / d, rounded to nearest.
    static func quantizeQ4_1(_ source: UnsafeBufferPointer<Float>, into destination: UnsafeMutableRawBufferPointer) {
        for block in 0..<(source.count / 32) {
            let x = UnsafeBufferPointer(rebasing: source[(block * 32)..<(block * 32 + 32)])
            let base = block * 20
            var minimum = Float.greatestFiniteMagnitude
            var maximum = -Float.greatestFiniteMagnitude
            for v in x {
                if v < minimum { minimum = v }
                if v > maximum { maximum = v }
            }
            let d = (maximum - minimum) / 15
            let id: Float = d != 0 ? 1 / d : 0
            storeHalf(d, destination, base)
            storeHalf(minimum, destination, base + 2)
            for j in 0..<16 {
                let low = nibble((x[j] - minimum) * id + 0.5)
                let high = nibble((x[j + 16] - minimum) * id + 0.5)
                destination[base + 4 + j] = low | high << 4
            }
        }
    }
}
