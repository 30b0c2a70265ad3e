// The literal tokens inside a tag, as jinja2's lexer rules define them (jinja2/lexer.py): operators
// (longest first), floats (`1.5`, `1e3`, `1_000.5`, not after a '.'), integers (`0b`, `0o`, `0x`, decimal,
// with single '_' between digits) and strings in single or double quotes with Python escapes.

extension TemplateLexer {
    static let symbols = ["//", "**", "==", "!=", ">=", "<=", "+", "-", "/", "*", "%", "~", "[", "]",
                          "(", ")", "{", "}", ">", "<", "=", ".", ":", "|", ",", ";"]

    func symbol(at index: Int) -> String? {
        Self.symbols.first { matches($0, at: index) }
    }

    /// `(\d+_)*\d+` at `index`: the end, or nil.
    func digitRun(at index: Int, radix: Int = 10) -> Int? {
        func isDigit(_ i: Int) -> Bool { i < source.count && PythonText.digitValue(source[i], radix: radix) != nil }
        guard isDigit(index) else { return nil }
        var i = index
        while true {
            while isDigit(i) { i += 1 }
            if i < source.count, source[i] == "_", isDigit(i + 1) { i += 1 } else { return i }
        }
    }

    func floatEnd(at index: Int) -> Int? {
        if index > 0, source[index - 1] == "." { return nil }
        guard let integerEnd = digitRun(at: index) else { return nil }
        func exponentEnd(_ at: Int) -> Int? {
            guard at < source.count, source[at] == "e" || source[at] == "E" else { return nil }
            var i = at + 1
            if i < source.count, source[i] == "+" || source[i] == "-" { i += 1 }
            return digitRun(at: i)
        }
        if integerEnd < source.count, source[integerEnd] == ".", let fractionEnd = digitRun(at: integerEnd + 1) {
            return exponentEnd(fractionEnd) ?? fractionEnd
        }
        return exponentEnd(integerEnd)
    }

    func integer(at index: Int) throws(TemplateError) -> (Int, Int)? {
        guard PythonText.digitValue(source[index], radix: 10) != nil else { return nil }
        var end: Int
        var radix = 10
        var digitsStart = index
        let prefix = index + 1 < source.count ? Character(source[index + 1]).lowercased() : ""
        if source[index] == "0", ["b", "o", "x"].contains(prefix) {
            radix = prefix == "b" ? 2 : prefix == "o" ? 8 : 16
            var i = index + 2
            var any = false
            while true {
                let start = i
                if i < source.count, source[i] == "_" { i += 1 }
                guard i < source.count, PythonText.digitValue(source[i], radix: radix) != nil else { i = start; break }
                i += 1
                any = true
            }
            if any {
                end = i
                digitsStart = index + 2
            } else {
                end = index + 1
            }
        } else if source[index] == "0" {
            end = index + 1
            while end < source.count {
                if source[end] == "0" {
                    end += 1
                } else if source[end] == "_", end + 1 < source.count, source[end + 1] == "0" {
                    end += 2
                } else {
                    break
                }
            }
        } else {
            end = digitRun(at: index) ?? index + 1
        }
        let digits = String(String.UnicodeScalarView(source[digitsStart..<end])).replacingUnderscores()
        guard let value = Int(digits, radix: radix) else {
            throw syntaxError("integer literal is too large", at: index)
        }
        return (end, value)
    }

    mutating func string(at index: Int) throws(TemplateError) -> Int {
        let quote = source[index]
        var i = index + 1
        while i < source.count, source[i] != quote {
            i += source[i] == "\\" ? 2 : 1
        }
        guard i < source.count else { throw syntaxError("unexpected character '\(quote)' (unterminated string)", at: index) }
        let value = try PythonText.unescape(source[(index + 1)..<i]) { (message: String, offset: Int) -> TemplateError in
            syntaxError(message, at: index + 1 + offset)
        }
        emit(.string(value), at: index)
        return i + 1
    }
}
