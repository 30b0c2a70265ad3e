import Foundation

// A streaming-friendly JSON parser (RFC 8259) that writes a flat "tape" of nodes instead of
// building a tree of Swift values.
//
// Why not Foundation: JSONSerialization / JSONDecoder on Linux allocate a class or enum per value and
// run at a few tens of MB/s; validating a 1 GB JSONL file must run at 250 MB/s or more. The tape idea
// (one flat array of nodes, containers knowing where they end, strings kept as byte ranges into the
// input) follows simdjson's design ("Parsing Gigabytes of JSON per Second", Langdale & Lemire, 2019);
// the scanning here is scalar with 8-byte SWAR string scans.
//
// Layout of the tape, for the document {"a":[1,"x"],"b":true}:
//   0 object  count 2  end 6
//   1 string  "a"            (key)
//   2 array   count 2  end 5
//   3 number  1
//   4 string  "x"
//   5 string  "b"            (key)
//   6 true
// An object's children alternate key, value; `end` of a container is the index one past its last
// descendant, so skipping a value is O(1).
//
// UTF-8 is validated while strings are scanned (non-ASCII bytes are only legal inside strings), so
// each byte of a line is looked at once.

/// The kind of one JSON value on a tape.
public enum JSONKind: UInt8, Sendable {
    case object, array, string, number, `true`, `false`, null

    /// The name used in messages to users ("expected a string, found a number").
    public var noun: String {
        switch self {
        case .object: "an object"
        case .array: "an array"
        case .string: "a string"
        case .number: "a number"
        case .true, .false: "a boolean"
        case .null: "null"
        }
    }
}

/// One value on the tape.
public struct JSONNode: Sendable {
    public var kind: JSONKind
    /// For strings: true when the raw bytes contain backslash escapes.
    public var hasEscapes: Bool
    /// Containers: number of elements (arrays) or key/value pairs (objects).
    public var count: Int32
    /// Containers: index one past the last descendant. Scalars: own index + 1.
    public var end: Int32
    /// Byte offset of the value in the input. Strings: first byte after the opening quote.
    public var start: Int
    /// Strings and numbers: byte offset one past the value's content (strings: the closing quote).
    /// Containers: offset one past the closing bracket.
    public var stop: Int
}

/// A syntax error with the byte offset where it was found.
public struct JSONSyntaxError: Error, Sendable, Equatable {
    /// Zero-based byte offset into the parsed input.
    public var offset: Int
    public var message: String
    /// True when the problem is bytes that are not UTF-8 rather than JSON syntax.
    public var isInvalidUTF8: Bool

    public init(offset: Int, message: String, isInvalidUTF8: Bool = false) {
        self.offset = offset
        self.message = message
        self.isInvalidUTF8 = isInvalidUTF8
    }
}

/// A reusable JSON parser that writes a flat tape of nodes.
///
/// ```swift
/// var tape = JSONTape()
/// try line.withUnsafeBufferPointer { try tape.parse($0) }
/// let root = tape.nodes[0]
/// ```
/// Parsing again reuses the tape's storage, so a loop over millions of lines allocates nothing.
public struct JSONTape: Sendable {
    public private(set) var nodes: [JSONNode] = []
    private var stack: [Int32] = []

    /// Containers nested deeper than this are rejected, as Python's `json` module would run out of
    /// recursion long before; no chat example needs more than a handful of levels.
    public static let maximumDepth = 512

    public init() {
        nodes.reserveCapacity(256)
        stack.reserveCapacity(32)
    }

    /// Parses one complete JSON document (surrounding whitespace allowed).
    /// - Throws: `JSONSyntaxError` naming the byte offset and what was expected.
    public mutating func parse(_ input: UnsafeBufferPointer<UInt8>) throws(JSONSyntaxError) {
        nodes.removeAll(keepingCapacity: true)
        stack.removeAll(keepingCapacity: true)
        guard let base = input.baseAddress, input.count > 0 else {
            throw JSONSyntaxError(offset: 0, message: "empty input; expected a JSON value")
        }
        let n = input.count
        var i = skipWhitespace(base, 0, n)
        if i == n { throw JSONSyntaxError(offset: i, message: "empty input; expected a JSON value") }

        parsing: while true {
            // A value starts at i.
            guard i < n else { throw endError(i) }
            let c = base[i]
            switch c {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let isObject = c == UInt8(ascii: "{")
                if stack.count >= Self.maximumDepth {
                    throw JSONSyntaxError(offset: i, message: "nesting deeper than \(Self.maximumDepth) levels")
                }
                let index = Int32(nodes.count)
                nodes.append(JSONNode(kind: isObject ? .object : .array, hasEscapes: false, count: 0,
                                      end: 0, start: i, stop: 0))
                i = skipWhitespace(base, i + 1, n)
                if i < n, base[i] == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    nodes[Int(index)].end = Int32(nodes.count)
                    nodes[Int(index)].stop = i + 1
                    i += 1
                } else {
                    stack.append(index)
                    if isObject { i = try parseKey(base, i, n) }
                    continue parsing
                }
            case UInt8(ascii: "\""):
                i = try parseString(base, i, n)
            case UInt8(ascii: "t"):
                i = try parseLiteral(base, i, n, "true", .true)
            case UInt8(ascii: "f"):
                i = try parseLiteral(base, i, n, "false", .false)
            case UInt8(ascii: "n"):
                i = try parseLiteral(base, i, n, "null", .null)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                i = try parseNumber(base, i, n)
            default:
                if c >= 0x80, utf8SequenceLength(base, i, n) == nil {
                    throw JSONSyntaxError(offset: i, message: "invalid UTF-8 (\(describe(c)))", isInvalidUTF8: true)
                }
                throw JSONSyntaxError(offset: i, message: "unexpected \(describe(c)); expected a JSON value")
            }

            // A value ended just before i: close containers or move to the next element.
            while true {
                i = skipWhitespace(base, i, n)
                guard let top = stack.last else {
                    if i != n {
                        throw JSONSyntaxError(offset: i, message: "unexpected \(describe(base[i])) after the end of the JSON value")
                    }
                    return
                }
                let isObject = nodes[Int(top)].kind == .object
                guard i < n else { throw endError(i) }
                let c = base[i]
                if c == UInt8(ascii: ",") {
                    nodes[Int(top)].count += 1
                    i = skipWhitespace(base, i + 1, n)
                    if isObject { i = try parseKey(base, i, n) }
                    continue parsing
                }
                if c == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    nodes[Int(top)].count += 1
                    nodes[Int(top)].end = Int32(nodes.count)
                    nodes[Int(top)].stop = i + 1
                    stack.removeLast()
                    i += 1
                    continue
                }
                throw JSONSyntaxError(offset: i, message: "unexpected \(describe(c)); expected ',' or '\(isObject ? "}" : "]")'")
            }
        }
    }

    private func endError(_ i: Int) -> JSONSyntaxError {
        JSONSyntaxError(offset: i, message: "unexpected end of line inside a JSON value (is the line truncated?)")
    }

    /// Parses `"key"` then `:` and the whitespace after it; returns the index of the value.
    private mutating func parseKey(_ p: UnsafePointer<UInt8>, _ start: Int, _ n: Int) throws(JSONSyntaxError) -> Int {
        guard start < n else { throw endError(start) }
        guard p[start] == UInt8(ascii: "\"") else {
            throw JSONSyntaxError(offset: start, message: "unexpected \(describe(p[start])); expected a quoted object key")
        }
        var i = try parseString(p, start, n)
        i = skipWhitespace(p, i, n)
        guard i < n else { throw endError(i) }
        guard p[i] == UInt8(ascii: ":") else {
            throw JSONSyntaxError(offset: i, message: "unexpected \(describe(p[i])); expected ':' after an object key")
        }
        return skipWhitespace(p, i + 1, n)
    }

    /// Parses the string whose opening quote is at `start`; returns the index after the closing quote.
    private mutating func parseString(_ p: UnsafePointer<UInt8>, _ start: Int, _ n: Int) throws(JSONSyntaxError) -> Int {
        var i = start + 1
        var escaped = false
        while true {
            i = scanToSpecial(p, i, n)
            guard i < n else {
                throw JSONSyntaxError(offset: start, message: "unterminated string (is the line truncated?)")
            }
            let c = p[i]
            if c == UInt8(ascii: "\"") {
                nodes.append(JSONNode(kind: .string, hasEscapes: escaped, count: 0,
                                      end: Int32(nodes.count + 1), start: start + 1, stop: i))
                return i + 1
            }
            if c >= 0x80 {
                guard let length = utf8SequenceLength(p, i, n) else {
                    throw JSONSyntaxError(offset: i, message: "invalid UTF-8 (\(describe(c)))", isInvalidUTF8: true)
                }
                i += length
                continue
            }
            if c == UInt8(ascii: "\\") {
                escaped = true
                guard i + 1 < n else { throw JSONSyntaxError(offset: start, message: "unterminated string (is the line truncated?)") }
                switch p[i + 1] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                     UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    i += 2
                case UInt8(ascii: "u"):
                    guard i + 5 < n else { throw JSONSyntaxError(offset: i, message: "truncated \\u escape in string") }
                    for k in 2...5 where hexValue(p[i + k]) == nil {
                        throw JSONSyntaxError(offset: i, message: "invalid \\u escape in string; expected four hex digits")
                    }
                    i += 6
                default:
                    throw JSONSyntaxError(offset: i, message: "invalid escape '\\\(printable(p[i + 1]))' in string")
                }
                continue
            }
            // A control character (< 0x20) inside a string.
            throw JSONSyntaxError(offset: i, message: "unescaped control character \(describe(c)) in string; write it as an escape such as \\n")
        }
    }

    private mutating func parseLiteral(_ p: UnsafePointer<UInt8>, _ start: Int, _ n: Int,
                                       _ word: StaticString, _ kind: JSONKind) throws(JSONSyntaxError) -> Int {
        let length = word.utf8CodeUnitCount
        guard start + length <= n, memcmp(p + start, word.utf8Start, length) == 0 else {
            throw JSONSyntaxError(offset: start, message: "invalid literal; expected a JSON value (true, false, null, a number, a string, an array or an object)")
        }
        nodes.append(JSONNode(kind: kind, hasEscapes: false, count: 0, end: Int32(nodes.count + 1),
                              start: start, stop: start + length))
        return start + length
    }

    private mutating func parseNumber(_ p: UnsafePointer<UInt8>, _ start: Int, _ n: Int) throws(JSONSyntaxError) -> Int {
        var i = start
        func isDigit(_ i: Int) -> Bool { i < n && p[i] >= UInt8(ascii: "0") && p[i] <= UInt8(ascii: "9") }
        if p[i] == UInt8(ascii: "-") { i += 1 }
        guard isDigit(i) else { throw JSONSyntaxError(offset: start, message: "invalid number; expected a digit") }
        if p[i] == UInt8(ascii: "0") {
            i += 1
            if isDigit(i) { throw JSONSyntaxError(offset: start, message: "invalid number; leading zeros are not allowed") }
        } else {
            while isDigit(i) { i += 1 }
        }
        if i < n, p[i] == UInt8(ascii: ".") {
            i += 1
            guard isDigit(i) else { throw JSONSyntaxError(offset: start, message: "invalid number; expected a digit after '.'") }
            while isDigit(i) { i += 1 }
        }
        if i < n, p[i] == UInt8(ascii: "e") || p[i] == UInt8(ascii: "E") {
            i += 1
            if i < n, p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-") { i += 1 }
            guard isDigit(i) else { throw JSONSyntaxError(offset: start, message: "invalid number; expected a digit in the exponent") }
            while isDigit(i) { i += 1 }
        }
        nodes.append(JSONNode(kind: .number, hasEscapes: false, count: 0, end: Int32(nodes.count + 1),
                              start: start, stop: i))
        return i
    }
}

// MARK: - Byte scanning

@inline(__always)
func skipWhitespace(_ p: UnsafePointer<UInt8>, _ start: Int, _ n: Int) -> Int {
    var i = start
    while i < n {
        switch p[i] {
        case 0x20, 0x0A, 0x0D, 0x09: i += 1
        default: return i
        }
    }
    return i
}

/// Returns the index of the first `"`, `\`, control character (< 0x20) or non-ASCII byte at or after
/// `start`, or `n`. Eight bytes at a time: a byte b is flagged by the classic "has zero byte" test
/// applied to b ^ '"', b ^ '\\' and (b - 0x20), or by its high bit; the lowest flagged byte is exact.
@inline(__always)
func scanToSpecial(_ p: UnsafePointer<UInt8>, _ start: Int, _ n: Int) -> Int {
    var i = start
    let raw = UnsafeRawPointer(p)
    let ones: UInt64 = 0x0101_0101_0101_0101
    let highs: UInt64 = 0x8080_8080_8080_8080
    while i + 8 <= n {
        let x = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
        let q = x ^ (ones &* 0x22)
        let b = x ^ (ones &* 0x5C)
        let zq = (q &- ones) & ~q
        let zb = (b &- ones) & ~b
        let zc = (x &- ones &* 0x20) & ~x
        let mask = (zq | zb | zc | x) & highs
        if mask != 0 {
            return i + mask.littleEndian.trailingZeroBitCount >> 3
        }
        i += 8
    }
    while i < n {
        let c = p[i]
        if c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") || c < 0x20 || c >= 0x80 { return i }
        i += 1
    }
    return n
}

@inline(__always)
func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
    default: nil
    }
}

private func printable(_ c: UInt8) -> String {
    c >= 0x20 && c < 0x7F ? String(UnicodeScalar(c)) : String(format: "\\x%02X", c)
}

/// "'x'" for printable ASCII, "byte 0x1F" otherwise.
func describe(_ c: UInt8) -> String {
    c >= 0x21 && c < 0x7F ? "'\(UnicodeScalar(c))'" : String(format: "byte 0x%02X", c)
}
