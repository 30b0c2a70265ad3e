// Splits a Jinja template into text and tag tokens, following the rules of jinja2's lexer
// (jinja2/lexer.py, `Lexer.tokeniter`) with the settings transformers renders chat templates with
// (transformers/utils/chat_template_utils.py): trim_blocks=True, lstrip_blocks=True,
// keep_trailing_newline=False.
//
// 1. Newlines are normalised: "\r\n" and "\r" become "\n", and one trailing newline is dropped.
// 2. Text runs up to the next "{{", "{%" or "{#".
//    - "{%-", "{{-", "{#-" strip all whitespace at the end of the text before the tag.
//    - Otherwise, for "{%" and "{#" (not "{{") without "+": when only spaces or tabs stand between the
//      start of the line and the tag, they are removed (lstrip_blocks). "Start of the line" is after the
//      last newline of the text, or the start of the text when the previous tag ended with a newline
//      or the template starts there.
// 3. "-%}", "-}}", "-#}" strip all whitespace after the tag; "%}" and "#}" swallow one newline after the
//    tag (trim_blocks) unless written "+%}" / "+#}".
// 4. Inside "{{ }}" and "{% %}": names, strings (Python escapes), integers (with 0b/0o/0x and "_"),
//    floats and operators. A closing "}}" or "%}" only ends the tag when brackets are balanced.
// 5. "{% raw %}...{% endraw %}" is text; comments are dropped.

/// One token of a template, with the 1-based line and column where it starts.
struct TemplateToken: Sendable {
    enum Kind: Sendable, Equatable {
        case text(String)
        case variableBegin, variableEnd, blockBegin, blockEnd
        case name(String)
        case string(String)
        case integer(Int)
        case float(Double)
        case symbol(String)
        case end
    }

    var kind: Kind
    var line: Int
    var column: Int
}

struct TemplateLexer {
    let source: [Unicode.Scalar]
    private var lineStarts: [Int] = [0]
    private var position = 0
    private var lineStarting = true
    private var tokens: [TemplateToken] = []

    /// Tokenizes `text`.
    /// - Throws: `TemplateError` (.syntax) for an unterminated tag, comment, string or raw block,
    ///   an unexpected character or unbalanced brackets.
    static func tokenize(_ text: String) throws(TemplateError) -> [TemplateToken] {
        var lexer = TemplateLexer(source: normalizedScalars(text))
        try lexer.run()
        lexer.emit(.end, at: lexer.source.count)
        return lexer.tokens
    }

    private init(source: [Unicode.Scalar]) {
        self.source = source
        for (index, scalar) in source.enumerated() where scalar == "\n" { lineStarts.append(index + 1) }
    }

    private static func normalizedScalars(_ text: String) -> [Unicode.Scalar] {
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(text.unicodeScalars.count)
        var previousWasCR = false
        for scalar in text.unicodeScalars {
            if scalar == "\r" {
                result.append("\n")
                previousWasCR = true
                continue
            }
            if scalar == "\n", previousWasCR { previousWasCR = false; continue }
            previousWasCR = false
            result.append(scalar)
        }
        if result.last == "\n" { result.removeLast() }
        return result
    }

    // MARK: positions and errors

    private func location(_ index: Int) -> (line: Int, column: Int) {
        var low = 0
        var high = lineStarts.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if lineStarts[middle] <= index { low = middle } else { high = middle - 1 }
        }
        return (low + 1, index - lineStarts[low] + 1)
    }

    func syntaxError(_ message: String, at index: Int) -> TemplateError {
        let place = location(index)
        return TemplateError(.syntax, message, line: place.line, column: place.column)
    }

    mutating func emit(_ kind: TemplateToken.Kind, at index: Int) {
        let place = location(index)
        tokens.append(TemplateToken(kind: kind, line: place.line, column: place.column))
    }

    func matches(_ text: String, at index: Int) -> Bool {
        var i = index
        for scalar in text.unicodeScalars {
            guard i < source.count, source[i] == scalar else { return false }
            i += 1
        }
        return true
    }

    private func skipWhitespace(from index: Int) -> Int {
        var i = index
        while i < source.count, PythonText.isWhitespace(source[i]) { i += 1 }
        return i
    }

    // MARK: text and tags

    private enum TagKind { case variable, block, comment }

    private mutating func run() throws(TemplateError) {
        while position < source.count {
            guard let (tagStart, kind) = nextTag(from: position) else {
                emit(.text(String(String.UnicodeScalarView(source[position...]))), at: position)
                position = source.count
                return
            }
            var afterOpen = tagStart + 2
            var sign: Unicode.Scalar?
            if afterOpen < source.count, source[afterOpen] == "-" || source[afterOpen] == "+" {
                sign = source[afterOpen]
                afterOpen += 1
            }
            emitText(from: position, to: tagStart, sign: sign, lstrips: kind != .variable)
            switch kind {
            case .comment:
                position = try endOfComment(from: afterOpen, tagStart: tagStart)
            case .block:
                if let rawEnd = rawBlockOpening(at: afterOpen) {
                    position = try rawBlock(contentStart: rawEnd, tagStart: tagStart)
                } else {
                    emit(.blockBegin, at: tagStart)
                    position = try tagContents(from: afterOpen, kind: .block, tagStart: tagStart)
                }
            case .variable:
                emit(.variableBegin, at: tagStart)
                position = try tagContents(from: afterOpen, kind: .variable, tagStart: tagStart)
            }
        }
    }

    private func nextTag(from index: Int) -> (Int, TagKind)? {
        var i = index
        while i + 1 < source.count {
            if source[i] == "{" {
                switch source[i + 1] {
                case "{": return (i, .variable)
                case "%": return (i, .block)
                case "#": return (i, .comment)
                default: break
                }
            }
            i += 1
        }
        return nil
    }

    /// Emits the text before a tag after whitespace control ("-" strips, lstrip_blocks for blocks).
    private mutating func emitText(from start: Int, to end: Int, sign: Unicode.Scalar?, lstrips: Bool) {
        var stop = end
        if sign == "-" {
            while stop > start, PythonText.isWhitespace(source[stop - 1]) { stop -= 1 }
        } else if sign != "+", lstrips {
            var lineStart = end
            while lineStart > start, source[lineStart - 1] != "\n" { lineStart -= 1 }
            let afterNewline = lineStart > start
            if (afterNewline || lineStarting), lineStart < end,
               source[lineStart..<end].allSatisfy(PythonText.isWhitespace) {
                stop = lineStart
            }
        }
        if stop > start { emit(.text(String(String.UnicodeScalarView(source[start..<stop]))), at: start) }
    }

    /// After "{#": finds "#}", "-#}" or "+#}" and returns the position after it (and its trimming).
    private mutating func endOfComment(from index: Int, tagStart: Int) throws(TemplateError) -> Int {
        // jinja2 stops without complaint when the template ends right after "{#".
        if index >= source.count { return source.count }
        var i = index
        while i + 1 < source.count {
            if source[i] == "#", source[i + 1] == "}" {
                let signed = i > index ? source[i - 1] : nil
                return closeTag(after: i + 2, sign: signed)
            }
            i += 1
        }
        throw syntaxError("missing end of comment tag '#}'", at: tagStart)
    }

    /// Applies the closing sign of a block or comment tag ending at `index` and returns the new position.
    private mutating func closeTag(after index: Int, sign: Unicode.Scalar?) -> Int {
        var end = index
        if sign == "-" {
            end = skipWhitespace(from: index)
        } else if sign != "+", end < source.count, source[end] == "\n" {
            end += 1
        }
        lineStarting = end > index && source[end - 1] == "\n"
        return end
    }

    /// If "{%" is followed by "raw" and a tag end, returns where the raw content starts.
    private func rawBlockOpening(at index: Int) -> Int? {
        var i = skipWhitespace(from: index)
        guard matches("raw", at: i) else { return nil }
        i = skipWhitespace(from: i + 3)
        if matches("-%}", at: i) { return skipWhitespace(from: i + 3) }
        if matches("%}", at: i) { return i + 2 }
        return nil
    }

    private mutating func rawBlock(contentStart: Int, tagStart: Int) throws(TemplateError) -> Int {
        lineStarting = contentStart > 0 && source[contentStart - 1] == "\n"
        var i = contentStart
        while i + 1 < source.count {
            if source[i] == "{", source[i + 1] == "%" {
                var j = i + 2
                var sign: Unicode.Scalar?
                if j < source.count, source[j] == "-" || source[j] == "+" { sign = source[j]; j += 1 }
                j = skipWhitespace(from: j)
                if matches("endraw", at: j) {
                    j = skipWhitespace(from: j + 6)
                    var closeSign: Unicode.Scalar?
                    if j < source.count, source[j] == "-" || source[j] == "+" { closeSign = source[j]; j += 1 }
                    if matches("%}", at: j) {
                        emitText(from: contentStart, to: i, sign: sign, lstrips: true)
                        return closeTag(after: j + 2, sign: closeSign)
                    }
                }
            }
            i += 1
        }
        throw syntaxError("missing end of raw directive '{% endraw %}'", at: tagStart)
    }

    // MARK: inside tags

    private mutating func tagContents(from index: Int, kind: TagKind, tagStart: Int) throws(TemplateError) -> Int {
        var i = index
        var brackets: [(Unicode.Scalar, Int)] = []
        while true {
            guard i < source.count else {
                let expected = kind == .block ? "'%}'" : "'}}'"
                throw syntaxError("unexpected end of template, expected \(expected) to close the tag", at: tagStart)
            }
            if brackets.isEmpty, let end = tagEnd(at: i, kind: kind) {
                emit(kind == .block ? .blockEnd : .variableEnd, at: i)
                return end
            }
            let scalar = source[i]
            if PythonText.isWhitespace(scalar) {
                i = skipWhitespace(from: i)
            } else if let end = floatEnd(at: i) {
                let text = String(String.UnicodeScalarView(source[i..<end])).replacingUnderscores()
                guard let value = Double(text) else { throw syntaxError("invalid float literal", at: i) }
                emit(.float(value), at: i)
                i = end
            } else if let (end, value) = try integer(at: i) {
                emit(.integer(value), at: i)
                i = end
            } else if PythonText.isIdentifierStart(scalar) {
                var end = i + 1
                while end < source.count, PythonText.isIdentifierContinue(source[end]) { end += 1 }
                emit(.name(String(String.UnicodeScalarView(source[i..<end]))), at: i)
                i = end
            } else if scalar == "'" || scalar == "\"" {
                i = try string(at: i)
            } else if let symbol = symbol(at: i) {
                let symbolScalar = symbol.unicodeScalars.first ?? " "
                if symbol == "(" || symbol == "[" || symbol == "{" {
                    brackets.append((symbolScalar, i))
                } else if symbol == ")" || symbol == "]" || symbol == "}" {
                    guard let (open, _) = brackets.popLast() else { throw syntaxError("unexpected '\(symbol)'", at: i) }
                    let expected: Unicode.Scalar = open == "(" ? ")" : open == "[" ? "]" : "}"
                    guard expected == symbolScalar else {
                        throw syntaxError("unexpected '\(symbol)', expected '\(expected)'", at: i)
                    }
                }
                emit(.symbol(symbol), at: i)
                i += symbol.unicodeScalars.count
            } else {
                throw syntaxError("unexpected character '\(scalar)'", at: i)
            }
        }
    }

    /// The position after the tag end at `index` ("%}", "-%}", "+%}" or "}}", "-}}"), or nil.
    private mutating func tagEnd(at index: Int, kind: TagKind) -> Int? {
        switch kind {
        case .block:
            if matches("+%}", at: index) { return closeTag(after: index + 3, sign: "+") }
            if matches("-%}", at: index) { return closeTag(after: index + 3, sign: "-") }
            if matches("%}", at: index) { return closeTag(after: index + 2, sign: nil) }
        case .variable:
            if matches("-}}", at: index) {
                let end = skipWhitespace(from: index + 3)
                lineStarting = end > index + 3 && source[end - 1] == "\n"
                return end
            }
            if matches("}}", at: index) {
                lineStarting = false
                return index + 2
            }
        case .comment:
            break
        }
        return nil
    }
}

extension String {
    func replacingUnderscores() -> String { String(unicodeScalars.filter { $0 != "_" }) }
}
