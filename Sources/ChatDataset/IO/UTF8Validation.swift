// UTF-8 validation (RFC 3629, Unicode 15 table 3-7): rejects overlong forms, surrogates
// (U+D800..U+DFFF) and code points above U+10FFFF, with an eight-bytes-at-a-time ASCII fast path.

/// Returns the byte offset of the first invalid UTF-8 sequence, or nil when `bytes` is valid.
public func firstInvalidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
    guard let p = bytes.baseAddress else { return nil }
    let n = bytes.count
    let raw = UnsafeRawPointer(p)
    var i = 0
    while i < n {
        // ASCII fast path.
        while i + 8 <= n, raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
            i += 8
        }
        guard i < n else { return nil }
        if p[i] < 0x80 { i += 1; continue }
        guard let length = utf8SequenceLength(p, i, n) else { return i }
        i += length
    }
    return nil
}

/// The length of the valid UTF-8 sequence starting with the non-ASCII byte at `i`, or nil when the
/// bytes there are not valid UTF-8.
@inline(__always)
func utf8SequenceLength(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int) -> Int? {
    let c = p[i]
    let length: Int
    var low: UInt8 = 0x80, high: UInt8 = 0xBF  // allowed range of the second byte
    switch c {
    case 0xC2...0xDF: length = 2
    case 0xE0: length = 3; low = 0xA0
    case 0xE1...0xEC, 0xEE...0xEF: length = 3
    case 0xED: length = 3; high = 0x9F
    case 0xF0: length = 4; low = 0x90
    case 0xF1...0xF3: length = 4
    case 0xF4: length = 4; high = 0x8F
    default: return nil
    }
    guard i + length <= n else { return nil }
    let second = p[i + 1]
    guard second >= low, second <= high else { return nil }
    for k in 2..<length where p[i + k] & 0xC0 != 0x80 { return nil }
    return length
}
