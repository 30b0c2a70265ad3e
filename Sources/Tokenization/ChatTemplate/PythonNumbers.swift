// Python's int(str, base), float(str) and round(x, n), for the `int`, `float` and `round` filters.

import Foundation

enum PythonNumbers {
    /// `int(text, base)`: optional whitespace and sign, digits with single underscores between them,
    /// and for base 16 / 8 / 2 an optional 0x / 0o / 0b prefix (base 0 infers the base from it).
    static func parseInt(_ text: String, base: Int) -> Int? {
        var scalars = Array(PythonText.strip(text, nil).unicodeScalars)
        var negative = false
        if let sign = scalars.first, sign == "+" || sign == "-" {
            negative = sign == "-"
            scalars.removeFirst()
        }
        var radix = base
        if scalars.count >= 2, scalars[0] == "0" {
            let prefix = Character(scalars[1]).lowercased()
            let prefixed = ["x": 16, "o": 8, "b": 2][prefix]
            if let prefixed, base == 0 || base == prefixed {
                radix = prefixed
                scalars.removeFirst(2)
                if scalars.first == "_" { scalars.removeFirst() }
            }
        }
        if radix == 0 { radix = 10 }
        guard (2...36).contains(radix), let first = scalars.first, first != "_", scalars.last != "_" else { return nil }
        var digits = ""
        var previousUnderscore = false
        for scalar in scalars {
            if scalar == "_" {
                if previousUnderscore { return nil }
                previousUnderscore = true
                continue
            }
            previousUnderscore = false
            guard scalar.isASCII, Int(String(scalar), radix: radix) != nil else { return nil }
            digits.unicodeScalars.append(scalar)
        }
        return Int((negative ? "-" : "") + digits, radix: radix)
    }

    /// `float(text)`: decimal notation with optional exponent and underscores, or inf/infinity/nan.
    static func parseFloat(_ text: String) -> Double? {
        let stripped = PythonText.strip(text, nil)
        var body = Substring(stripped)
        var sign = ""
        if let first = body.first, first == "+" || first == "-" {
            sign = String(first)
            body = body.dropFirst()
        }
        switch body.lowercased() {
        case "inf", "infinity": return sign == "-" ? -.infinity : .infinity
        case "nan": return .nan
        default: break
        }
        var cleaned = ""
        var sawDigit = false
        var sawExponent = false
        var previous: Character = " "
        for character in body {
            switch character {
            case "0"..."9":
                sawDigit = true
            case "_":
                guard previous.isASCII, previous.isNumber else { return nil }
                previous = character
                continue
            case ".":
                guard !sawExponent else { return nil }
            case "e", "E":
                guard sawDigit, !sawExponent else { return nil }
                sawExponent = true
            case "+", "-":
                guard previous == "e" || previous == "E" else { return nil }
            default:
                return nil
            }
            if previous == "_", !character.isNumber { return nil }
            cleaned.append(character)
            previous = character
        }
        guard sawDigit, previous != "_" else { return nil }
        return Double(sign + cleaned)
    }

    /// `round(n, digits)` for an int: unchanged for digits >= 0, else to a multiple of 10^-digits with
    /// ties to even.
    static func round(_ value: Int, digits: Int) throws(TemplateError) -> Int {
        guard digits < 0 else { return value }
        var scale = 1
        for _ in 0..<(-digits) {
            let next = scale.multipliedReportingOverflow(by: 10)
            if next.overflow { return 0 }
            scale = next.partialValue
        }
        var quotient = value / scale
        var remainder = value % scale
        if remainder < 0 { quotient -= 1; remainder += scale }
        let twice = remainder.multipliedReportingOverflow(by: 2)
        if twice.overflow || twice.partialValue > scale || (twice.partialValue == scale && quotient % 2 != 0) {
            quotient += 1
        }
        let result = quotient.multipliedReportingOverflow(by: scale)
        guard !result.overflow else { throw .runtime("integer result is too large") }
        return result.partialValue
    }

    /// `round(x, digits)` for a float: correctly rounded, ties to even on the exact binary value.
    static func round(_ value: Double, digits: Int) -> Double {
        guard value.isFinite else { return value }
        if digits >= 0 {
            guard digits <= 300 else { return value }
            return Double(String(format: "%.\(digits)f", value)) ?? value
        }
        let scale = Foundation.pow(10.0, Double(-digits))
        return (value / scale).rounded(.toNearestOrEven) * scale
    }
}
