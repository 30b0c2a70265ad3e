// Python's string rules, which chat templates inherit from Jinja running on CPython: what str.isspace
// counts as whitespace (strip, split, trim), repr() quoting, the escapes of string literals
// (the "unicode-escape" codec jinja2 decodes literals with), and full Unicode case mapping with the
// final-sigma rule of str.lower(). Strings are handled as Unicode scalars, as Python indexes code points.

enum PythonText {
    /// `str.isspace()` for one code point (also what `\s` matches in Python's `re`).
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            true
        default:
            false
        }
    }

    static func isIdentifierStart(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "_" || ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
            || (scalar.value > 0x7F && scalar.properties.isXIDStart)
    }

    static func isIdentifierContinue(_ scalar: Unicode.Scalar) -> Bool {
        isIdentifierStart(scalar) || ("0"..."9").contains(scalar) || (scalar.value > 0x7F && scalar.properties.isXIDContinue)
    }

    /// The value of an ASCII digit in `radix` (2...16), or nil.
    static func digitValue(_ scalar: Unicode.Scalar, radix: Int) -> Int? {
        let value: Int
        switch scalar {
        case "0"..."9": value = Int(scalar.value) - 48
        case "a"..."f": value = Int(scalar.value) - 87
        case "A"..."F": value = Int(scalar.value) - 55
        default: return nil
        }
        return value < radix ? value : nil
    }

    // MARK: literals and repr

    /// Decodes the escapes of a Jinja string literal as Python's "unicode-escape" codec does:
    /// `\n \t \r \\ \' \" \a \b \f \v`, octal `\ooo`, `\xhh`, `\uhhhh`, `\Uhhhhhhhh`, a backslash before a
    /// newline removes both; any other backslash stays as it is.
    static func unescape(
        _ scalars: ArraySlice<Unicode.Scalar>, error: (String, Int) -> TemplateError
    ) throws(TemplateError) -> String {
        let text = Array(scalars)
        var result = String.UnicodeScalarView()
        var i = 0
        func hex(_ count: Int, _ at: Int) throws(TemplateError) -> Unicode.Scalar {
            guard at + count <= text.count else { throw error("truncated escape sequence", at - 2) }
            var value: UInt32 = 0
            for scalar in text[at..<at + count] {
                guard let digit = digitValue(scalar, radix: 16) else { throw error("truncated escape sequence", at - 2) }
                value = value * 16 + UInt32(digit)
            }
            guard let decoded = Unicode.Scalar(value) else {
                throw error("escape \\u{\(String(value, radix: 16))} is not a Unicode scalar", at - 2)
            }
            return decoded
        }
        while i < text.count {
            guard text[i] == "\\", i + 1 < text.count else { result.append(text[i]); i += 1; continue }
            let next = text[i + 1]
            i += 2
            switch next {
            case "\n": break
            case "\\": result.append("\\")
            case "'": result.append("'")
            case "\"": result.append("\"")
            case "a": result.append("\u{07}")
            case "b": result.append("\u{08}")
            case "f": result.append("\u{0C}")
            case "n": result.append("\n")
            case "r": result.append("\r")
            case "t": result.append("\t")
            case "v": result.append("\u{0B}")
            case "x": result.append(try hex(2, i)); i += 2
            case "u": result.append(try hex(4, i)); i += 4
            case "U": result.append(try hex(8, i)); i += 8
            case "N":
                let place = error("", i - 2)
                throw TemplateError(.unsupported, "the \\N{...} escape in a string literal", line: place.line, column: place.column)
            case "0"..."7":
                var value = UInt32(next.value - 48)
                var digits = 1
                while digits < 3, i < text.count, let digit = digitValue(text[i], radix: 8) {
                    value = value * 8 + UInt32(digit)
                    i += 1
                    digits += 1
                }
                result.append(Unicode.Scalar(value) ?? "\u{FFFD}")
            default:
                // jinja2 backslash-escapes non-ASCII text before decoding, so "\\é" reads as "\\xe9".
                result.append("\\")
                if next.isASCII {
                    result.append(next)
                } else {
                    let digits = String(next.value, radix: 16)
                    let (prefix, width) = next.value <= 0xFF ? ("x", 2) : next.value <= 0xFFFF ? ("u", 4) : ("U", 8)
                    result.append(contentsOf: (prefix + String(repeating: "0", count: width - digits.count) + digits).unicodeScalars)
                }
            }
        }
        return String(result)
    }

    /// `str.isprintable()` for one code point.
    static func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == " " { return true }
        switch scalar.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator,
             .spaceSeparator:
            return false
        default:
            return true
        }
    }

    /// `repr(string)`: single quotes unless the text has a single quote and no double quote.
    static func repr(_ string: String) -> String {
        let useDouble = string.unicodeScalars.contains("'") && !string.unicodeScalars.contains("\"")
        let quote: Unicode.Scalar = useDouble ? "\"" : "'"
        var result = String.UnicodeScalarView([quote])
        for scalar in string.unicodeScalars {
            switch scalar {
            case quote, "\\": result.append("\\"); result.append(scalar)
            case "\t": result.append(contentsOf: "\\t".unicodeScalars)
            case "\n": result.append(contentsOf: "\\n".unicodeScalars)
            case "\r": result.append(contentsOf: "\\r".unicodeScalars)
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || (scalar.value > 0x7F && !isPrintable(scalar)) {
                    let digits = String(scalar.value, radix: 16)
                    let (prefix, width) = scalar.value <= 0xFF ? ("\\x", 2) : scalar.value <= 0xFFFF ? ("\\u", 4) : ("\\U", 8)
                    result.append(contentsOf: (prefix + String(repeating: "0", count: width - digits.count) + digits).unicodeScalars)
                } else {
                    result.append(scalar)
                }
            }
        }
        result.append(quote)
        return String(result)
    }

    // MARK: case

    static func upper(_ string: String) -> String {
        var result = ""
        for scalar in string.unicodeScalars { result += scalar.properties.uppercaseMapping }
        return result
    }

    static func lower(_ string: String) -> String {
        let scalars = Array(string.unicodeScalars)
        var result = ""
        for index in scalars.indices { result += lowercase(scalars, index) }
        return result
    }

    /// `str.title()`: a cased letter after another cased letter is lowered, any other is title-cased.
    static func title(_ string: String) -> String {
        let scalars = Array(string.unicodeScalars)
        var result = ""
        var previousIsCased = false
        for index in scalars.indices {
            result += previousIsCased ? lowercase(scalars, index) : scalars[index].properties.titlecaseMapping
            previousIsCased = scalars[index].properties.isCased
        }
        return result
    }

    /// `str.capitalize()`: the first code point title-cased, the rest lowered.
    static func capitalize(_ string: String) -> String {
        let scalars = Array(string.unicodeScalars)
        guard let first = scalars.first else { return "" }
        var result = first.properties.titlecaseMapping
        for index in scalars.indices.dropFirst() { result += lowercase(scalars, index) }
        return result
    }

    static func swapcase(_ string: String) -> String {
        let scalars = Array(string.unicodeScalars)
        var result = ""
        for index in scalars.indices {
            let properties = scalars[index].properties
            if properties.isUppercase { result += lowercase(scalars, index) }
            else if properties.isLowercase { result += properties.uppercaseMapping }
            else { result.unicodeScalars.append(scalars[index]) }
        }
        return result
    }

    /// The lowercase of `scalars[index]`, with Python's final-sigma rule for U+03A3.
    private static func lowercase(_ scalars: [Unicode.Scalar], _ index: Int) -> String {
        let scalar = scalars[index]
        guard scalar == "\u{03A3}" else { return scalar.properties.lowercaseMapping }
        func cased(_ range: some Sequence<Int>) -> Bool {
            for i in range {
                let properties = scalars[i].properties
                if properties.isCaseIgnorable { continue }
                return properties.isCased
            }
            return false
        }
        let finalSigma = cased(stride(from: index - 1, through: 0, by: -1)) && !cased(index + 1..<scalars.count)
        return finalSigma ? "\u{03C2}" : "\u{03C3}"
    }

    static func isUpper(_ string: String) -> Bool {
        var cased = false
        for scalar in string.unicodeScalars {
            let properties = scalar.properties
            if properties.isLowercase || properties.generalCategory == .titlecaseLetter { return false }
            if properties.isUppercase { cased = true }
        }
        return cased
    }

    static func isLower(_ string: String) -> Bool {
        var cased = false
        for scalar in string.unicodeScalars {
            let properties = scalar.properties
            if properties.isUppercase || properties.generalCategory == .titlecaseLetter { return false }
            if properties.isLowercase { cased = true }
        }
        return cased
    }
}
