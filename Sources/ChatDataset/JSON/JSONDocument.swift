import Foundation

/// Read access to one parsed JSON document: the tape's nodes and the bytes they point into.
/// Valid only while both buffers are (inside the `withUnsafeBufferPointer` that made it).
public struct JSONDocument {
    public let nodes: UnsafeBufferPointer<JSONNode>
    public let bytes: UnsafeBufferPointer<UInt8>

    public init(nodes: UnsafeBufferPointer<JSONNode>, bytes: UnsafeBufferPointer<UInt8>) {
        self.nodes = nodes
        self.bytes = bytes
    }

    @inline(__always)
    public subscript(index: Int) -> JSONNode { nodes[index] }

    /// The raw bytes of a string (between the quotes) or number node.
    @inline(__always)
    public func raw(_ index: Int) -> UnsafeBufferPointer<UInt8> {
        let node = nodes[index]
        return UnsafeBufferPointer(rebasing: bytes[node.start..<node.stop])
    }

    /// The string node's text as a span for token counting.
    @inline(__always)
    public func span(_ index: Int) -> TextSpan {
        TextSpan(raw: raw(index), hasEscapes: nodes[index].hasEscapes)
    }

    /// The decoded text of a string node.
    public func string(_ index: Int) -> String {
        decodeJSONString(nodes[index], in: bytes)
    }

    /// Whether the string node equals `literal` (escaped spellings included).
    @inline(__always)
    public func string(_ index: Int, equals literal: StaticString) -> Bool {
        let node = nodes[index]
        guard node.kind == .string else { return false }
        if node.hasEscapes { return string(index) == literal.description }
        let length = node.stop - node.start
        // A node exists only for parsed bytes, so `bytes` is not empty here.
        return length == literal.utf8CodeUnitCount
            && memcmp(bytes.baseAddress! + node.start, literal.utf8Start, length) == 0
    }

    /// Whether a string node holds only whitespace (or nothing). Stops at the first visible
    /// character, so it costs next to nothing on ordinary text.
    public func isBlankString(_ index: Int) -> Bool {
        let node = nodes[index]
        var i = node.start
        while i < node.stop {
            switch bytes[i] {
            case 0x20, 0x09, 0x0A, 0x0D:
                i += 1
            case UInt8(ascii: "\\"):
                switch bytes[i + 1] {
                case UInt8(ascii: "n"), UInt8(ascii: "t"), UInt8(ascii: "r"):
                    i += 2
                case UInt8(ascii: "u"):
                    var code: UInt32 = 0
                    for k in 2...5 { code = code << 4 | UInt32(hexValue(bytes[i + k]) ?? 0) }
                    guard let scalar = Unicode.Scalar(code), scalar.properties.isWhitespace else { return false }
                    i += 6
                default:
                    return false
                }
            default:
                return false
            }
        }
        return true
    }

    /// The numeric value of a number node.
    public func number(_ index: Int) -> Double? {
        Double(String(decoding: raw(index), as: UTF8.self))
    }

    /// Calls `body(keyIndex, valueIndex)` for each member of the object node at `index`.
    @inline(__always)
    public func forEachMember(of index: Int, _ body: (Int, Int) throws -> Void) rethrows {
        var child = index + 1
        let end = Int(nodes[index].end)
        while child < end {
            let value = child + 1
            try body(child, value)
            child = Int(nodes[value].end)
        }
    }

    /// Calls `body(position, elementIndex)` for each element of the array node at `index`.
    @inline(__always)
    public func forEachElement(of index: Int, _ body: (Int, Int) throws -> Void) rethrows {
        var child = index + 1
        var position = 0
        let end = Int(nodes[index].end)
        while child < end {
            try body(position, child)
            position += 1
            child = Int(nodes[child].end)
        }
    }

    /// The value of `key` in the object node at `index`, if present.
    public func member(_ key: StaticString, of index: Int) -> Int? {
        var found: Int?
        forEachMember(of: index) { keyIndex, valueIndex in
            if found == nil, string(keyIndex, equals: key) { found = valueIndex }
        }
        return found
    }

    /// 1-based column, in characters, of byte `offset` (for syntax error messages).
    public func column(ofByte offset: Int) -> Int {
        characterColumn(ofByte: offset, in: bytes)
    }
}

/// 1-based column, in Unicode scalars, of byte `offset` in `bytes`.
public func characterColumn(ofByte offset: Int, in bytes: UnsafeBufferPointer<UInt8>) -> Int {
    var column = 1
    for i in 0..<min(offset, bytes.count) where bytes[i] & 0xC0 != 0x80 { column += 1 }
    return column
}
