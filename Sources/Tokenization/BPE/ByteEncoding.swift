/// GPT-2's reversible map between bytes and printable characters, in which byte-level BPE
/// vocabularies are written (the space byte 0x20 is "Ġ", newline 0x0A is "Ċ").
///
/// Reference: `bytes_to_unicode` in openai/gpt-2, src/encoder.py. Bytes that are printable Latin-1
/// ('!'...'~', '¡'...'¬', '®'...'ÿ') stand for themselves; the other 68 bytes, in increasing order,
/// take the code points 256, 257, ...
enum ByteEncoding {
    /// The character for each byte, indexed by byte value.
    static let characterForByte: [Unicode.Scalar] = {
        var result = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            if isPrintable(UInt8(byte)) {
                result[byte] = Unicode.Scalar(UInt8(byte))
            } else {
                // 256 + at most 68 is always a valid scalar (Latin Extended-A and -B).
                result[byte] = Unicode.Scalar(next) ?? " "
                next += 1
            }
        }
        return result
    }()

    /// The byte for each character of the alphabet, indexed by code point (0..<324); nil elsewhere.
    static let byteForCharacter: [UInt8?] = {
        var result = [UInt8?](repeating: nil, count: 256 + 68)
        for (byte, scalar) in characterForByte.enumerated() {
            result[Int(scalar.value)] = UInt8(byte)
        }
        return result
    }()

    /// The byte a character of the alphabet stands for, or nil for any other character.
    @inline(__always)
    static func byte(for scalar: Unicode.Scalar) -> UInt8? {
        let value = Int(scalar.value)
        return value < byteForCharacter.count ? byteForCharacter[value] : nil
    }

    /// The bytes a vocabulary entry stands for, or nil when a character is outside the alphabet.
    static func bytes(ofPiece piece: String) -> [UInt8]? {
        var result: [UInt8] = []
        result.reserveCapacity(piece.utf8.count)
        for scalar in piece.unicodeScalars {
            guard let byte = byte(for: scalar) else { return nil }
            result.append(byte)
        }
        return result
    }

    /// A byte string written in the alphabet (the spelling of its vocabulary entry).
    static func piece(ofBytes bytes: some Sequence<UInt8>) -> String {
        var scalars = String.UnicodeScalarView()
        for byte in bytes { scalars.append(characterForByte[Int(byte)]) }
        return String(scalars)
    }

    private static func isPrintable(_ byte: UInt8) -> Bool {
        (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
    }
}
