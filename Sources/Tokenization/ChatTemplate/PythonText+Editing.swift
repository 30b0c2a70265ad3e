// Python's str methods that search, split and pad, on Unicode scalars (Python indexes code points).

extension PythonText {
    typealias Scalars = [Unicode.Scalar]

    static func string(_ scalars: some Sequence<Unicode.Scalar>) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }

    /// `str.strip(chars)` / `lstrip` / `rstrip`; nil `chars` strips whitespace.
    static func strip(_ text: String, _ chars: String?, leading: Bool = true, trailing: Bool = true) -> String {
        let scalars = Array(text.unicodeScalars)
        let set = chars.map { Set($0.unicodeScalars) }
        func strips(_ scalar: Unicode.Scalar) -> Bool { set?.contains(scalar) ?? isWhitespace(scalar) }
        var start = 0
        var end = scalars.count
        if leading { while start < end, strips(scalars[start]) { start += 1 } }
        if trailing { while end > start, strips(scalars[end - 1]) { end -= 1 } }
        return string(scalars[start..<end])
    }

    /// The first index of `needle` in `haystack` at or after `from` (and ending by `to`), or nil.
    static func find(_ needle: Scalars, in haystack: Scalars, from: Int = 0, to: Int? = nil) -> Int? {
        let limit = min(to ?? haystack.count, haystack.count)
        guard needle.count <= limit else { return nil }
        var i = max(from, 0)
        while i + needle.count <= limit {
            if haystack[i..<i + needle.count].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }

    static func rfind(_ needle: Scalars, in haystack: Scalars) -> Int? {
        var i = haystack.count - needle.count
        while i >= 0 {
            if haystack[i..<i + needle.count].elementsEqual(needle) { return i }
            i -= 1
        }
        return nil
    }

    /// `str.count(sub)`: non-overlapping occurrences (len + 1 for an empty `sub`).
    static func count(_ needle: Scalars, in haystack: Scalars) -> Int {
        guard !needle.isEmpty else { return haystack.count + 1 }
        var total = 0
        var i = 0
        while let found = find(needle, in: haystack, from: i) {
            total += 1
            i = found + needle.count
        }
        return total
    }

    /// `str.replace(old, new, count)`; a negative count replaces all.
    static func replace(_ text: String, _ old: String, _ new: String, count limit: Int = -1) -> String {
        let scalars = Array(text.unicodeScalars)
        let oldScalars = Array(old.unicodeScalars)
        let newScalars = Array(new.unicodeScalars)
        var result: Scalars = []
        var replaced = 0
        if oldScalars.isEmpty {
            // Python inserts `new` before every code point and at the end.
            for scalar in scalars {
                if limit >= 0, replaced >= limit { result.append(scalar); continue }
                result += newScalars
                result.append(scalar)
                replaced += 1
            }
            if limit < 0 || replaced < limit { result += newScalars }
            return string(result)
        }
        var i = 0
        while i < scalars.count {
            if limit < 0 || replaced < limit, let found = find(oldScalars, in: scalars, from: i) {
                result += scalars[i..<found]
                result += newScalars
                i = found + oldScalars.count
                replaced += 1
            } else {
                result += scalars[i...]
                break
            }
        }
        return string(result)
    }

    /// `str.split(sep, maxsplit)`; nil `separator` splits on runs of whitespace and drops empty parts.
    static func split(_ text: String, _ separator: String?, maxSplit: Int = -1) throws(TemplateError) -> [String] {
        let scalars = Array(text.unicodeScalars)
        guard let separator else {
            var parts: [String] = []
            var i = 0
            while i < scalars.count {
                while i < scalars.count, isWhitespace(scalars[i]) { i += 1 }
                guard i < scalars.count else { break }
                if maxSplit >= 0, parts.count == maxSplit {
                    parts.append(string(scalars[i...]))
                    break
                }
                let start = i
                while i < scalars.count, !isWhitespace(scalars[i]) { i += 1 }
                parts.append(string(scalars[start..<i]))
            }
            return parts
        }
        let needle = Array(separator.unicodeScalars)
        guard !needle.isEmpty else { throw .runtime("empty separator") }
        var parts: [String] = []
        var start = 0
        while maxSplit < 0 || parts.count < maxSplit, let found = find(needle, in: scalars, from: start) {
            parts.append(string(scalars[start..<found]))
            start = found + needle.count
        }
        parts.append(string(scalars[start...]))
        return parts
    }

    /// `str.rsplit(sep, maxsplit)`.
    static func rsplit(_ text: String, _ separator: String?, maxSplit: Int = -1) throws(TemplateError) -> [String] {
        guard maxSplit >= 0 else { return try split(text, separator) }
        let reversedText = string(text.unicodeScalars.reversed())
        let reversedSeparator = separator.map { string($0.unicodeScalars.reversed()) }
        return try split(reversedText, reversedSeparator, maxSplit: maxSplit)
            .map { string($0.unicodeScalars.reversed()) }.reversed()
    }

    /// `str.splitlines(keepends)`.
    static func splitLines(_ text: String, keepEnds: Bool = false) -> [String] {
        let scalars = Array(text.unicodeScalars)
        var lines: [String] = []
        var start = 0
        var i = 0
        while i < scalars.count {
            let scalar = scalars[i]
            let isBreak: Bool
            switch scalar.value {
            case 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029: isBreak = true
            default: isBreak = false
            }
            guard isBreak else { i += 1; continue }
            var end = i + 1
            if scalar == "\r", end < scalars.count, scalars[end] == "\n" { end += 1 }
            lines.append(string(scalars[start..<(keepEnds ? end : i)]))
            start = end
            i = end
        }
        if start < scalars.count { lines.append(string(scalars[start...])) }
        return lines
    }

    /// `str.center(width, fill)`, placing the odd space as CPython does.
    static func center(_ text: String, width: Int, fill: Unicode.Scalar = " ") -> String {
        let length = text.unicodeScalars.count
        guard width > length else { return text }
        let margin = width - length
        let left = margin / 2 + (margin & width & 1)
        let padding = { (count: Int) in string(repeatElement(fill, count: count)) }
        return padding(left) + text + padding(margin - left)
    }
}
