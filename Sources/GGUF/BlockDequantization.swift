/// Decoders for ggml's quantized blocks. Layouts and formulas follow ggml's `block_q8_0`,
/// `block_q4_0`, `block_q4_1`, `block_q4_K`, `block_q6_K` (ggml-common.h) and their
/// `dequantize_row_*` functions (ggml-quants.c); the order of each multiplication is kept so that
/// results match ggml and gguf-py bit for bit. Block sizes and byte counts are in `GGMLType`.
///
/// Every function reads `blocks` whole blocks from `source` (any alignment) and writes
/// `blocks * blockSize` values to `destination`.
enum BlockDequantization {
    @inline(__always)
    private static func half(_ source: UnsafeRawPointer, _ offset: Int) -> Float {
        HalfPrecision.float(fromHalf: UInt16(littleEndian: source.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
    }

    /// Q8_0, 34 bytes per 32 values: f16 scale d, then 32 int8 q; value = q * d.
    static func q8_0(_ source: UnsafeRawPointer, blocks: Int, into destination: UnsafeMutablePointer<Float>) {
        for block in 0..<blocks {
            let input = source + block * 34
            let output = destination + block * 32
            let d = half(input, 0)
            let q = input.advanced(by: 2).assumingMemoryBound(to: Int8.self)
            for j in 0..<32 { output[j] = Float(q[j]) * d }
        }
    }

    /// Q4_0, 18 bytes per 32 values: f16 scale d, then 16 bytes; value j is the low nibble of
    /// byte j and value j+16 its high nibble; value = (nibble - 8) * d.
    static func q4_0(_ source: UnsafeRawPointer, blocks: Int, into destination: UnsafeMutablePointer<Float>) {
        for block in 0..<blocks {
            let input = source + block * 18
            let output = destination + block * 32
            let d = half(input, 0)
            let q = input.advanced(by: 2).assumingMemoryBound(to: UInt8.self)
            for j in 0..<16 {
                output[j] = Float(Int(q[j] & 0x0F) - 8) * d
                output[j + 16] = Float(Int(q[j] >> 4) - 8) * d
            }
        }
    }

    /// Q4_1, 20 bytes per 32 values: f16 scale d, f16 minimum m, then 16 bytes of nibbles as in
    /// Q4_0; value = nibble * d + m.
    static func q4_1(_ source: UnsafeRawPointer, blocks: Int, into destination: UnsafeMutablePointer<Float>) {
        for block in 0..<blocks {
            let input = source + block * 20
            let output = destination + block * 32
            let d = half(input, 0)
            let m = half(input, 2)
            let q = input.advanced(by: 4).assumingMemoryBound(to: UInt8.self)
            for j in 0..<16 {
                output[j] = d * Float(q[j] & 0x0F) + m
                output[j + 16] = d * Float(q[j] >> 4) + m
            }
        }
    }

    /// Q4_K, 144 bytes per 256 values: f16 d, f16 dmin, 12 bytes packing eight 6-bit scales and
    /// eight 6-bit minimums (one pair per 32 values), then 128 bytes of nibbles. Each 64 values
    /// use 32 bytes: the low nibbles are the first 32 values, the high nibbles the next 32;
    /// value = d * scale * nibble - dmin * min.
    static func q4_K(_ source: UnsafeRawPointer, blocks: Int, into destination: UnsafeMutablePointer<Float>) {
        for block in 0..<blocks {
            let input = source + block * 144
            var output = destination + block * 256
            let d = half(input, 0)
            let dmin = half(input, 2)
            let scales = input.advanced(by: 4).assumingMemoryBound(to: UInt8.self)
            var q = input.advanced(by: 16).assumingMemoryBound(to: UInt8.self)
            for group in 0..<4 {
                let (scale1, min1) = scaleAndMin(2 * group, scales)
                let (scale2, min2) = scaleAndMin(2 * group + 1, scales)
                let d1 = d * Float(scale1), m1 = dmin * Float(min1)
                let d2 = d * Float(scale2), m2 = dmin * Float(min2)
                for l in 0..<32 { output[l] = d1 * Float(q[l] & 0x0F) - m1 }
                for l in 0..<32 { output[32 + l] = d2 * Float(q[l] >> 4) - m2 }
                output += 64
                q += 32
            }
        }
    }

    /// The 6-bit scale and minimum of sub-block `j` (0..<8) of a Q4_K block (ggml's
    /// `get_scale_min_k4`): bytes 0...3 hold scales 0...3 in their low 6 bits, bytes 4...7 the
    /// minimums 0...3; sub-blocks 4...7 take their low 4 bits from bytes 8...11 and their top two
    /// bits from the spare top bits of bytes 0...7.
    @inline(__always)
    private static func scaleAndMin(_ j: Int, _ q: UnsafePointer<UInt8>) -> (UInt8, UInt8) {
        if j < 4 { return (q[j] & 63, q[j + 4] & 63) }
        return ((q[j + 4] & 0x0F) | ((q[j - 4] >> 6) << 4), (q[j + 4] >> 4) | ((q[j] >> 6) << 4))
    }

    /// Q6_K, 210 bytes per 256 values: 128 bytes of low nibbles (ql), 64 bytes of high 2-bit pairs
    /// (qh), 16 int8 scales (one per 16 values), then f16 d. Each 128 values use 64 bytes of ql and
    /// 32 of qh; value = d * scale * (6-bit q - 32).
    static func q6_K(_ source: UnsafeRawPointer, blocks: Int, into destination: UnsafeMutablePointer<Float>) {
        for block in 0..<blocks {
            let input = source + block * 210
            var output = destination + block * 256
            var ql = input.assumingMemoryBound(to: UInt8.self)
            var qh = input.advanced(by: 128).assumingMemoryBound(to: UInt8.self)
            var scales = input.advanced(by: 192).assumingMemoryBound(to: Int8.self)
            let d = half(input, 208)
            for _ in 0..<2 {
                for l in 0..<32 {
                    let s = l / 16
                    let q1 = Int(ql[l] & 0x0F | ((qh[l] >> 0) & 3) << 4) - 32
                    let q2 = Int(ql[l + 32] & 0x0F | ((qh[l] >> 2) & 3) << 4) - 32
                    let q3 = Int(ql[l] >> 4 | ((qh[l] >> 4) & 3) << 4) - 32
                    let q4 = Int(ql[l + 32] >> 4 | ((qh[l] >> 6) & 3) << 4) - 32
                    output[l] = d * Float(scales[s]) * Float(q1)
                    output[l + 32] = d * Float(scales[s + 2]) * Float(q2)
                    output[l + 64] = d * Float(scales[s + 4]) * Float(q3)
                    output[l + 96] = d * Float(scales[s + 6]) * Float(q4)
                }
                output += 128
                ql += 64
                qh += 32
                scales += 8
            }
        }
    }
}
