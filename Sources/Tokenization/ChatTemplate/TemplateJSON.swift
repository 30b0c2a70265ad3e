// The `tojson` filter as transformers defines it: Python's
// `json.dumps(x, ensure_ascii=False, indent=indent, separators=separators, sort_keys=sort_keys)`
// (transformers/utils/chat_template_utils.py), so tool schemas come out byte for byte as in Python:
// ", " and ": " between items (",", ": " with an indent), keys in insertion order, floats as Python's
// repr, non-ASCII kept unless ensure_ascii, control characters as \uXXXX.

enum TemplateJSON {

    static func encode(
        _ value: Value, ensureASCII: Value? = nil, indent: Value? = nil, separators: Value? = nil, sortKeys: Value? = nil
    ) throws(TemplateError) -> String {
        var encoder = Encoder(ensureASCII: ensureASCII?.isTruthy ?? false, sortKeys: sortKeys?.isTruthy ?? false)
        switch indent {
        case nil, .some(.none): encoder.indent = nil
        case .some(let value):
            if let text = value.stringValue { encoder.indent = text } else if let count = value.integerValue {
                encoder.indent = String(repeating: " ", count: max(count, 0))
            } else {
                throw .runtime("can't multiply sequence by non-int of type '\(value.typeName)'")
            }
        }
        encoder.itemSeparator = encoder.indent == nil ? ", " : ","
        if let separators, !(separators.isEqual(to: .none)) {
            guard let pair = separators.sequenceValue, pair.count == 2,
                  let item = pair[0].stringValue, let key = pair[1].stringValue else {
                throw .runtime("separators must be a pair of strings (item_separator, key_separator)")
            }
            encoder.itemSeparator = item
            encoder.keySeparator = key
        }
        try encoder.write(value, level: 0)
        return encoder.output
    }

    private struct Encoder {
        let ensureASCII: Bool
        let sortKeys: Bool
        var indent: String?
        var itemSeparator = ", "
        var keySeparator = ": "
        var output = ""

        init(ensureASCII: Bool, sortKeys: Bool) {
            self.ensureASCII = ensureASCII
            self.sortKeys = sortKeys
        }

        mutating func write(_ value: Value, level: Int) throws(TemplateError) {
            guard level < Value.maximumNesting else { throw .runtime("Circular reference detected") }
            switch value {
            case .none: output += "null"
            case .bool(let flag): output += flag ? "true" : "false"
            case .int(let number): output += String(number)
            case .double(let number):
                if number.isNaN { output += "NaN" } else if number.isInfinite { output += number < 0 ? "-Infinity" : "Infinity" } else {
                    output += PythonFloat.repr(number)
                }
            case .string(let text), .markup(let text): writeString(text)
            case .list(let items), .tuple(let items):
                guard !items.isEmpty else { output += "[]"; return }
                output += "["
                let separator = open(level)
                for (index, item) in items.enumerated() {
                    if index > 0 { output += separator }
                    try write(item, level: level + 1)
                }
                close(level)
                output += "]"
            case .dict(let dict):
                guard dict.count > 0 else { output += "{}"; return }
                output += "{"
                let separator = open(level)
                var entries = dict.entries
                if sortKeys {
                    entries.sort { $0.key.unicodeScalars.lexicographicallyPrecedes($1.key.unicodeScalars) }
                }
                for (index, entry) in entries.enumerated() {
                    if index > 0 { output += separator }
                    writeString(entry.key)
                    output += keySeparator
                    try write(entry.value, level: level + 1)
                }
                close(level)
                output += "}"
            case .undefined: throw .runtime("Object of type Undefined is not JSON serializable")
            case .namespace: throw .runtime("Object of type TemplateNamespace is not JSON serializable")
            case .loop: throw .runtime("Object of type LoopContext is not JSON serializable")
            case .function, .view, .iterator: throw .runtime("Object of type \(value.typeName) is not JSON serializable")
            }
        }

        /// Starts a container's items; returns the separator between items.
        private mutating func open(_ level: Int) -> String {
            guard let indent else { return itemSeparator }
            let newline = "\n" + String(repeating: indent, count: level + 1)
            output += newline
            return itemSeparator + newline
        }

        private mutating func close(_ level: Int) {
            guard let indent else { return }
            output += "\n" + String(repeating: indent, count: level)
        }

        private mutating func writeString(_ text: String) {
            output += "\""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": output += "\\\""
                case "\\": output += "\\\\"
                case "\n": output += "\\n"
                case "\r": output += "\\r"
                case "\t": output += "\\t"
                case "\u{08}": output += "\\b"
                case "\u{0C}": output += "\\f"
                default:
                    if scalar.value < 0x20 || (ensureASCII && scalar.value > 0x7E) {
                        if scalar.value > 0xFFFF {
                            let offset = scalar.value - 0x10000
                            output += Self.unicodeEscape(0xD800 + (offset >> 10)) + Self.unicodeEscape(0xDC00 + (offset & 0x3FF))
                        } else {
                            output += Self.unicodeEscape(scalar.value)
                        }
                    } else {
                        output.unicodeScalars.append(scalar)
                    }
                }
            }
            output += "\""
        }

        private static func unicodeEscape(_ value: UInt32) -> String {
            let digits = String(value, radix: 16)
            return "\\u" + String(repeating: "0", count: 4 - digits.count) + digits
        }
    }
}
