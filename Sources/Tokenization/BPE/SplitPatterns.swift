/// The split patterns of `PreTokenizer`, written out as code. Each `...Match(at:)` returns how many
/// scalars the regular expression matches at a position, trying its alternatives in order and
/// backtracking exactly as a backtracking engine (Oniguruma, which Hugging Face `tokenizers` uses)
/// would. Character classes follow Oniguruma's Unicode definitions: `\s` is White_Space, `\p{L}`
/// and `\p{N}` are the general categories.

/// What the patterns distinguish about a scalar.
enum ScalarClass: UInt8 {
    case letter          // \p{L}
    case number          // \p{N}
    case space           // U+0020 (also \s)
    case newline         // \r or \n (also \s)
    case otherWhitespace // the rest of \s
    case other           // [^\s\p{L}\p{N}]

    var isWhitespace: Bool { self == .space || self == .newline || self == .otherWhitespace }

    static func of(_ scalar: Unicode.Scalar) -> ScalarClass {
        if scalar.value < 128 { return asciiTable[Int(scalar.value)] }
        let properties = scalar.properties
        if properties.isWhitespace { return .otherWhitespace }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return .number
        default:
            return .other
        }
    }

    private static let asciiTable: [ScalarClass] = (0..<128).map { value in
        switch UInt8(value) {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"): .letter
        case UInt8(ascii: "0")...UInt8(ascii: "9"): .number
        case 0x20: .space
        case 0x0A, 0x0D: .newline
        case 0x09, 0x0B, 0x0C: .otherWhitespace
        default: .other
        }
    }
}

/// A text decoded into scalars, with each scalar's class and byte offset; reused between words.
struct ScalarBuffer {
    private(set) var count = 0
    private var values: [UInt32] = []
    private var classes: [ScalarClass] = []
    private var offsets: [Int] = []   // byte offset of each scalar, plus the end

    /// Decodes valid UTF-8.
    mutating func load(_ text: UnsafeBufferPointer<UInt8>) {
        values.removeAll(keepingCapacity: true)
        classes.removeAll(keepingCapacity: true)
        offsets.removeAll(keepingCapacity: true)
        var index = 0
        while index < text.count {
            let lead = text[index]
            offsets.append(index)
            if lead < 0x80 {
                values.append(UInt32(lead))
                index += 1
                continue
            }
            let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2
            var value = UInt32(lead) & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
            let end = min(index + length, text.count)
            for position in (index + 1)..<end {
                value = (value << 6) | (UInt32(text[position]) & 0x3F)
            }
            values.append(value)
            index = end
        }
        offsets.append(text.count)
        count = values.count
        for value in values {
            classes.append(value < 128 ? ScalarClass.of(Unicode.Scalar(UInt8(value)))
                           : Unicode.Scalar(value).map(ScalarClass.of) ?? .other)
        }
    }

    @inline(__always) func byteOffset(_ scalarIndex: Int) -> Int { offsets[scalarIndex] }

    // MARK: GPT-2

    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
    func gpt2Match(at start: Int) -> Int {
        if let length = contraction(at: start, ignoringCase: false) { return length }
        let first = classes[start]
        // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: the class after the optional space picks one.
        if first == .space, start + 1 < count, !classes[start + 1].isWhitespace {
            return 1 + run(of: classes[start + 1], from: start + 1)
        }
        if !first.isWhitespace { return run(of: first, from: start) }
        return whitespaceMatch(at: start)
    }

    // MARK: Llama 3 and Qwen 2

    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,maxDigits}|`
    /// ` ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
    func llamaMatch(at start: Int, maxDigits: Int) -> Int {
        if let length = contraction(at: start, ignoringCase: true) { return length }
        let first = classes[start]
        // `[^\r\n\p{L}\p{N}]?\p{L}+`
        if first == .letter { return run(of: .letter, from: start) }
        if first != .newline, first != .number, start + 1 < count, classes[start + 1] == .letter {
            return 1 + run(of: .letter, from: start + 1)
        }
        // `\p{N}{1,3}` or `\p{N}`
        if first == .number { return min(run(of: .number, from: start), maxDigits) }
        // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
        var symbolStart: Int?
        if first == .other {
            symbolStart = start
        } else if first == .space, start + 1 < count, classes[start + 1] == .other {
            symbolStart = start + 1
        }
        if let symbolStart {
            var end = symbolStart + run(of: .other, from: symbolStart)
            while end < count, classes[end] == .newline { end += 1 }
            return end - start
        }
        // `\s*[\r\n]+`: the whitespace run up to and including its last line break.
        let end = whitespaceEnd(from: start)
        var position = end - 1
        while position >= start {
            if classes[position] == .newline { return position + 1 - start }
            position -= 1
        }
        return whitespaceMatch(at: start)
    }

    // MARK: Shared pieces

    /// `'s|'t|'re|'ve|'m|'ll|'d`, optionally case-insensitive (where "ſ", U+017F, folds to "s").
    private func contraction(at start: Int, ignoringCase: Bool) -> Int? {
        guard values[start] == 0x27, start + 1 < count else { return nil }
        func letter(_ offset: Int) -> UInt32? {
            guard start + offset < count else { return nil }
            let value = values[start + offset]
            guard ignoringCase else { return value }
            if value == 0x17F { return UInt32(UInt8(ascii: "s")) }
            return (0x41...0x5A).contains(value) ? value + 0x20 : value
        }
        switch letter(1) {
        case UInt32(UInt8(ascii: "s")), UInt32(UInt8(ascii: "t")), UInt32(UInt8(ascii: "m")), UInt32(UInt8(ascii: "d")):
            return 2
        case UInt32(UInt8(ascii: "r")), UInt32(UInt8(ascii: "v")):
            return letter(2) == UInt32(UInt8(ascii: "e")) ? 3 : nil
        case UInt32(UInt8(ascii: "l")):
            return letter(2) == UInt32(UInt8(ascii: "l")) ? 3 : nil
        default:
            return nil
        }
    }

    /// `\s+(?!\S)|\s+` at a whitespace scalar: the run, less its last scalar when a non-space
    /// follows (that one goes with the next word), or the single scalar when nothing would be left.
    private func whitespaceMatch(at start: Int) -> Int {
        let end = whitespaceEnd(from: start)
        if end == count { return end - start }
        return end - start >= 2 ? end - 1 - start : 1
    }

    private func whitespaceEnd(from start: Int) -> Int {
        var end = start
        while end < count, classes[end].isWhitespace { end += 1 }
        return end
    }

    /// Length of the run of scalars of one class starting at `start`.
    private func run(of scalarClass: ScalarClass, from start: Int) -> Int {
        var end = start
        while end < count, classes[end] == scalarClass { end += 1 }
        return end - start
    }
}
