import Foundation

/// The shape of a numeric answer: the expected answer with each number replaced by "any number".
///
/// `Price is $108.49` accepts `Price is $99` and `Price is $1,299.00`, not `$99` or `The price is $99`.
/// The whole trimmed answer must match; the text around the numbers is compared exactly.
struct FormatTemplate: Sendable {
    /// A number as answers write it: an optional sign, digits with optional thousands commas, optional
    /// decimals (or decimals alone, `.5`).
    static let numberPattern = #"[-+]?(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)"#

    private let compiled: CompiledPattern?

    /// The template of `expected` (trimmed).
    init(expected: String) {
        let trimmed = expected.trimmingCharacters(in: .whitespacesAndNewlines)
        var pattern = ""
        var rest = trimmed[...]
        let number = try? CompiledPattern(Self.numberPattern).regex
        while let number, let match = rest.firstMatch(of: number) {
            pattern += Self.escaped(rest[..<match.range.lowerBound]) + "(?:" + Self.numberPattern + ")"
            rest = rest[match.range.upperBound...]
        }
        pattern += Self.escaped(rest)
        compiled = try? CompiledPattern(pattern)
    }

    /// Whether the trimmed `answer` has the template's shape.
    func matches(_ answer: String) -> Bool {
        guard let regex = compiled?.regex else { return false }
        return answer.trimmingCharacters(in: .whitespacesAndNewlines).wholeMatch(of: regex) != nil
    }

    /// `text` as a regex that matches it literally: ASCII punctuation and symbols escaped.
    static func escaped(_ text: Substring) -> String {
        var result = ""
        for character in text {
            if character.isASCII, !(character.isLetter || character.isNumber) {
                switch character {
                case "\n": result += "\\n"
                case "\t": result += "\\t"
                case "\r": result += "\\r"
                case "\r\n": result += "\\r\\n"
                default: result += "\\" + String(character)
                }
            } else {
                result.append(character)
            }
        }
        return result
    }
}
