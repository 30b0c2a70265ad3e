import Foundation

/// A header value with `;`-separated parameters, as in `Content-Type` and
/// `Content-Disposition` (RFC 9110 §5.6.6, RFC 6266):
/// `form-data; name="file"; filename="train.jsonl"` → value `form-data`, `name` → `file`.
///
/// Quoted strings may hold `;` and backslash escapes. Parameter names are case-insensitive.
struct HeaderParameters {
    /// The part before the first `;`, trimmed.
    var value: String
    /// Parameter names lowercased, values unquoted.
    var parameters: [String: String] = [:]

    init(_ header: String) {
        var scanner = Substring(header)
        value = Self.token(&scanner).trimmingWhitespace()
        while !scanner.isEmpty {
            scanner = scanner.dropFirst()  // the ';'
            let name = scanner.prefix { $0 != "=" && $0 != ";" }
            scanner = scanner.dropFirst(name.count)
            guard scanner.first == "=" else { continue }
            scanner = scanner.dropFirst()
            scanner = scanner.drop { $0 == " " || $0 == "\t" }
            let parameterValue: String
            if scanner.first == "\"" {
                parameterValue = Self.quoted(&scanner)
                scanner = scanner.drop { $0 != ";" }
            } else {
                parameterValue = Self.token(&scanner).trimmingWhitespace()
            }
            let key = String(name).trimmingWhitespace().lowercased()
            if !key.isEmpty, parameters[key] == nil { parameters[key] = parameterValue }
        }
    }

    subscript(name: String) -> String? { parameters[name.lowercased()] }

    /// Characters up to the next `;` (not consumed).
    private static func token(_ scanner: inout Substring) -> String {
        let token = scanner.prefix { $0 != ";" }
        scanner = scanner.dropFirst(token.count)
        return String(token)
    }

    /// A quoted string starting at `scanner.first == "\""`: backslash escapes one character; browsers
    /// and httpx write `"` inside a file name as `%22`, which is decoded too.
    private static func quoted(_ scanner: inout Substring) -> String {
        scanner = scanner.dropFirst()
        var result = ""
        var escaped = false
        while let character = scanner.first {
            scanner = scanner.dropFirst()
            if escaped {
                result.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "\"" {
                break
            } else {
                result.append(character)
            }
        }
        return result.replacingOccurrences(of: "%22", with: "\"")
    }

    /// RFC 8187 `UTF-8''na%C3%AFve.jsonl` → `naïve.jsonl`; nil for other charsets or bad escapes.
    static func decodeExtendedValue(_ value: String) -> String? {
        let parts = value.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].lowercased() == "utf-8" else { return nil }
        var bytes: [UInt8] = []
        var iterator = parts[2].utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
                bytes.append(high << 4 | low)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        var text = Substring(self)
        while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
        return String(text)
    }
}
