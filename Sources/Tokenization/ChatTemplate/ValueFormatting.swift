// How values become text: Python's str() for `{{ }}`, `~`, `|string` and `|join`, repr() inside
// containers ("['a', 1]"), and Python's shortest round-trip float formatting ("1e-05", "1e+16", "2.0").

extension Value {
    /// Python's `str(value)`; undefined prints as "".
    /// - Throws: for loop state and functions, which have no stable text.
    func text() throws(TemplateError) -> String {
        switch self {
        case .undefined: ""
        case .string(let value), .markup(let value): value
        default: try repr()
        }
    }

    /// Python's `repr(value)`.
    func repr(depth: Int = 0) throws(TemplateError) -> String {
        guard depth < Value.maximumNesting else { throw .runtime("value nested more than \(Value.maximumNesting) levels deep") }
        switch self {
        case .undefined: return "Undefined"
        case .none: return "None"
        case .bool(let value): return value ? "True" : "False"
        case .int(let value): return String(value)
        case .double(let value): return PythonFloat.repr(value)
        case .string(let value): return PythonText.repr(value)
        case .markup(let value): return "Markup(\(PythonText.repr(value)))"
        case .list(let values):
            return "[" + (try Value.joinedReprs(values, depth)) + "]"
        case .tuple(let values):
            return values.count == 1 ? "(" + (try values[0].repr(depth: depth + 1)) + ",)" : "(" + (try Value.joinedReprs(values, depth)) + ")"
        case .dict(let dict):
            return "{" + (try Value.dictBody(dict, depth)) + "}"
        case .namespace(let namespace):
            return "<Namespace {" + (try Value.dictBody(namespace.attributes, depth)) + "}>"
        case .loop(let loop):
            return "<LoopContext \(loop.index0 + 1)/\(loop.items.count)>"
        case .function(let function):
            if function.isMacro { return "<Macro \(PythonText.repr(function.name))>" }
            throw .unsupported("printing the function '\(function.name)' (Python prints its memory address; call it instead)")
        case .view(let view):
            if case .range(let start, let stop, let step) = view.kind {
                return step == 1 ? "range(\(start), \(stop))" : "range(\(start), \(stop), \(step))"
            }
            return view.typeName + "([" + (try Value.joinedReprs(view.items, depth)) + "])"
        case .iterator(let iterator):
            throw .unsupported("printing a \(iterator.typeName) (Python prints its memory address; add '| list')")
        }
    }

    private static func joinedReprs(_ values: [Value], _ depth: Int) throws(TemplateError) -> String {
        var parts: [String] = []
        for value in values { parts.append(try value.repr(depth: depth + 1)) }
        return parts.joined(separator: ", ")
    }

    private static func dictBody(_ dict: Dict, _ depth: Int) throws(TemplateError) -> String {
        var parts: [String] = []
        for (key, value) in dict.entries { parts.append(PythonText.repr(key) + ": " + (try value.repr(depth: depth + 1))) }
        return parts.joined(separator: ", ")
    }
}

/// Python's `repr(float)`: the shortest digits that round-trip, in fixed notation when the decimal
/// exponent is in -4..<16 and in scientific notation ("1e-05", "1.5e+16") otherwise.
enum PythonFloat {
    static func repr(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        if value == 0 { return value.sign == .minus ? "-0.0" : "0.0" }
        let (negative, digits, pointPosition) = shortestDigits(value)
        let sign = negative ? "-" : ""
        // `pointPosition` is where the decimal point goes relative to the digits: value = 0.DIGITS × 10^pointPosition.
        if pointPosition > -4, pointPosition <= 16 {
            if pointPosition <= 0 {
                return sign + "0." + String(repeating: "0", count: -pointPosition) + digits
            }
            if pointPosition >= digits.count {
                return sign + digits + String(repeating: "0", count: pointPosition - digits.count) + ".0"
            }
            let split = digits.index(digits.startIndex, offsetBy: pointPosition)
            return sign + digits[..<split] + "." + digits[split...]
        }
        let exponent = pointPosition - 1
        var mantissa = String(digits.prefix(1))
        if digits.count > 1 { mantissa += "." + digits.dropFirst() }
        let exponentText = String(abs(exponent))
        return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + (exponentText.count < 2 ? "0" : "") + exponentText
    }

    /// The sign, the significant digits (no leading or trailing zeros) and the decimal point position
    /// of the shortest round-trip representation (Swift's `description` is shortest round-trip, as
    /// Python's repr is).
    static func shortestDigits(_ value: Double) -> (negative: Bool, digits: String, pointPosition: Int) {
        var text = value.magnitude.description
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...]) ?? 0
            text = String(text[..<e])
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let integerPart = String(parts[0])
        let fractionPart = parts.count > 1 ? String(parts[1]) : ""
        var digits = integerPart + fractionPart
        var pointPosition = integerPart.count + exponent
        while digits.first == "0", digits.count > 1 {
            digits.removeFirst()
            pointPosition -= 1
        }
        while digits.last == "0", digits.count > 1 { digits.removeLast() }
        return (value.sign == .minus, digits, pointPosition)
    }
}
