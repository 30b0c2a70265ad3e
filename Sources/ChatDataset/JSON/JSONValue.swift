import Foundation

/// A JSON value as a Swift tree, for the places that need the whole document (records given to
/// `prepare`, examples decoded for tests and tools). Hot paths read the tape directly instead.
///
/// Numbers keep their source text, so `12.50` renders as `12.50`, not `12.5`.
public enum JSONValue: Sendable, Equatable {
    case object([Member])
    case array([JSONValue])
    case string(String)
    case number(String)
    case bool(Bool)
    case null

    /// One key/value pair of an object, in source order.
    public struct Member: Sendable, Equatable {
        public var key: String
        public var value: JSONValue
        public init(_ key: String, _ value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    /// Parses one JSON document.
    /// - Throws: `JSONSyntaxError` with the byte offset of the problem.
    public init(parsing bytes: some Collection<UInt8>) throws(JSONSyntaxError) {
        let array = Array(bytes)
        var tape = JSONTape()
        self = try array.withUnsafeBufferPointer { (buffer) throws(JSONSyntaxError) -> JSONValue in
            try tape.parse(buffer)
            return JSONValue(tape: tape, index: 0, in: buffer)
        }
    }

    /// Parses one JSON document from a string.
    public init(parsing text: String) throws(JSONSyntaxError) {
        try self.init(parsing: Array(text.utf8))
    }

    /// Builds the value of tape node `index`.
    public init(tape: JSONTape, index: Int, in input: UnsafeBufferPointer<UInt8>) {
        let node = tape.nodes[index]
        switch node.kind {
        case .object:
            var members: [Member] = []
            members.reserveCapacity(Int(node.count))
            var child = index + 1
            while child < Int(node.end) {
                let key = decodeJSONString(tape.nodes[child], in: input)
                let valueIndex = child + 1
                members.append(Member(key, JSONValue(tape: tape, index: valueIndex, in: input)))
                child = Int(tape.nodes[valueIndex].end)
            }
            self = .object(members)
        case .array:
            var elements: [JSONValue] = []
            elements.reserveCapacity(Int(node.count))
            var child = index + 1
            while child < Int(node.end) {
                elements.append(JSONValue(tape: tape, index: child, in: input))
                child = Int(tape.nodes[child].end)
            }
            self = .array(elements)
        case .string:
            self = .string(decodeJSONString(node, in: input))
        case .number:
            self = .number(String(decoding: UnsafeBufferPointer(rebasing: input[node.start..<node.stop]), as: UTF8.self))
        case .true: self = .bool(true)
        case .false: self = .bool(false)
        case .null: self = .null
        }
    }

    /// The value of `key` when this is an object holding it.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    /// Follows a dotted path such as `item.title` or `messages.-1.content` (integers index arrays,
    /// negative ones from the end).
    public func value(atPath path: String) -> JSONValue? {
        var current: JSONValue? = self
        for component in path.split(separator: ".", omittingEmptySubsequences: false) {
            guard let value = current else { return nil }
            if case .array(let elements) = value, let index = Int(component) {
                let resolved = index < 0 ? elements.count + index : index
                current = elements.indices.contains(resolved) ? elements[resolved] : nil
            } else {
                current = value[String(component)]
            }
        }
        return current
    }

    /// The text a template or a stratification key sees: strings as they are, numbers as written,
    /// booleans as `true`/`false`, null as nil, containers as compact JSON.
    public var textValue: String? {
        switch self {
        case .string(let text): text
        case .number(let text): text
        case .bool(let value): value ? "true" : "false"
        case .null: nil
        case .object, .array: JSONWriter.serialize(self)
        }
    }

    /// The kind of this value, for messages ("expected a string, found an array").
    public var kind: JSONKind {
        switch self {
        case .object: .object
        case .array: .array
        case .string: .string
        case .number: .number
        case .bool(let value): value ? .true : .false
        case .null: .null
        }
    }
}

// MARK: - Strings

/// Decodes the string at a tape node, resolving escapes. Invalid UTF-8 and lone surrogates become
/// U+FFFD, as Python's `json` would keep them as unpaired surrogates that cannot be encoded.
public func decodeJSONString(_ node: JSONNode, in input: UnsafeBufferPointer<UInt8>) -> String {
    let raw = UnsafeBufferPointer(rebasing: input[node.start..<node.stop])
    if !node.hasEscapes { return String(decoding: raw, as: UTF8.self) }
    var bytes: [UInt8] = []
    unescapeJSONString(raw, into: &bytes)
    return String(decoding: bytes, as: UTF8.self)
}

/// Appends the UTF-8 bytes of a JSON string body (between the quotes, already syntax-checked) to
/// `output`, resolving escapes.
public func unescapeJSONString(_ raw: UnsafeBufferPointer<UInt8>, into output: inout [UInt8]) {
    var i = 0
    let n = raw.count
    output.reserveCapacity(output.count + n)
    while i < n {
        let c = raw[i]
        guard c == UInt8(ascii: "\\"), i + 1 < n else {
            output.append(c)
            i += 1
            continue
        }
        let e = raw[i + 1]
        i += 2
        switch e {
        case UInt8(ascii: "b"): output.append(0x08)
        case UInt8(ascii: "f"): output.append(0x0C)
        case UInt8(ascii: "n"): output.append(0x0A)
        case UInt8(ascii: "r"): output.append(0x0D)
        case UInt8(ascii: "t"): output.append(0x09)
        case UInt8(ascii: "u"):
            guard let unit = readHex4(raw, i) else { output.append(contentsOf: [0xEF, 0xBF, 0xBD]); continue }
            i += 4
            var scalar: UInt32 = UInt32(unit)
            if (0xD800..<0xDC00).contains(unit) {
                // A high surrogate must be followed by \u and a low surrogate.
                if i + 6 <= n, raw[i] == UInt8(ascii: "\\"), raw[i + 1] == UInt8(ascii: "u"),
                   let low = readHex4(raw, i + 2), (0xDC00..<0xE000).contains(low) {
                    scalar = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                    i += 6
                } else {
                    scalar = 0xFFFD
                }
            } else if (0xDC00..<0xE000).contains(unit) {
                scalar = 0xFFFD
            }
            appendUTF8(scalar, to: &output)
        default: output.append(e)  // \" \\ \/
        }
    }
}

private func readHex4(_ raw: UnsafeBufferPointer<UInt8>, _ i: Int) -> UInt16? {
    guard i + 4 <= raw.count else { return nil }
    var value: UInt16 = 0
    for k in 0..<4 {
        guard let digit = hexValue(raw[i + k]) else { return nil }
        value = value << 4 | UInt16(digit)
    }
    return value
}

private func appendUTF8(_ scalar: UInt32, to output: inout [UInt8]) {
    switch scalar {
    case ..<0x80:
        output.append(UInt8(scalar))
    case ..<0x800:
        output.append(UInt8(0xC0 | (scalar >> 6)))
        output.append(UInt8(0x80 | (scalar & 0x3F)))
    case ..<0x10000:
        output.append(UInt8(0xE0 | (scalar >> 12)))
        output.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
        output.append(UInt8(0x80 | (scalar & 0x3F)))
    default:
        output.append(UInt8(0xF0 | (scalar >> 18)))
        output.append(UInt8(0x80 | ((scalar >> 12) & 0x3F)))
        output.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
        output.append(UInt8(0x80 | (scalar & 0x3F)))
    }
}
