/// A fast 64-bit hash of byte strings, for finding duplicate examples in files of gigabytes.
/// Swift's `Hasher` (SipHash-1-3) is built to resist hash flooding and costs about a cycle per byte;
/// here the input is the user's own file, so a multiply-mix in the style of wyhash
/// (Wang Yi, https://github.com/wangyi-fudan/wyhash) — 16 bytes per 64x64→128-bit multiply — is
/// enough. Not stable across versions: only compared within one run.
public struct ContentHasher: Sendable {
    private var state: UInt64 = 0x2D35_8DCC_AA6C_78A5

    private static let secret0: UInt64 = 0xA076_1D64_78BD_642F
    private static let secret1: UInt64 = 0xE703_7ED1_A0B4_28DB
    private static let secret2: UInt64 = 0x8EBC_6AF0_9C88_C6E3

    public init() {}

    @inline(__always)
    private static func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let product = a.multipliedFullWidth(by: b)
        return product.high ^ product.low
    }

    /// Mixes in a small value (a role, a separator).
    @inline(__always)
    public mutating func combine(_ value: UInt64) {
        state = Self.mix(state ^ Self.secret0, value ^ Self.secret1)
    }

    /// Mixes in `bytes` and their length.
    public mutating func combine(bytes: UnsafeBufferPointer<UInt8>) {
        guard let base = bytes.baseAddress else { combine(0); return }
        let raw = UnsafeRawPointer(base)
        let n = bytes.count
        var i = 0
        var h = state ^ UInt64(n) &* Self.secret2
        while i + 16 <= n {
            let a = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            let b = raw.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self)
            h = Self.mix(a ^ Self.secret0, b ^ h ^ Self.secret1)
            i += 16
        }
        var a: UInt64 = 0, b: UInt64 = 0
        var k = 0
        while i < n {
            if k < 8 { a |= UInt64(base[i]) << (8 * k) } else { b |= UInt64(base[i]) << (8 * (k - 8)) }
            i += 1
            k += 1
        }
        state = Self.mix(a ^ Self.secret0 ^ UInt64(k), b ^ h ^ Self.secret1)
    }

    /// The hash of everything combined so far.
    public func finalize() -> UInt64 {
        Self.mix(state ^ Self.secret2, Self.secret0)
    }
}
