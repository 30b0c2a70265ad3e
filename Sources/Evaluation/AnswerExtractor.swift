import Foundation

/// Pulls the answer out of a model's reply: `--extract REGEX`, or the whole trimmed reply.
///
/// ```swift
/// let extractor = try AnswerExtractor(pattern: #"Price is \$([0-9.,]+)"#)
/// extractor.extract("Price is $1,299.00.")      // "1,299.00"
/// AnswerExtractor.number(in: "Price is $1,299.00") // 1299.0
/// ```
public struct AnswerExtractor: Sendable {
    /// The `--extract` pattern (Swift / ICU / PCRE regular-expression syntax), nil for none.
    public let pattern: String?
    private let compiled: CompiledPattern?

    /// - Throws: `EvaluationError.invalidPattern` naming `--extract` and the pattern when it does not compile.
    public init(pattern: String?) throws(EvaluationError) {
        self.pattern = pattern
        guard let pattern else {
            compiled = nil
            return
        }
        do { compiled = try CompiledPattern(pattern) } catch {
            throw .invalidPattern(pattern: pattern, reason: "\(error)")
        }
    }

    /// The answer in `text`.
    ///
    /// With a pattern: the first match's first capture group that took part in the match (the whole
    /// match when the pattern has no group), trimmed; nil when nothing matches. Without a pattern:
    /// the trimmed text; nil when it is empty.
    public func extract(_ text: String) -> String? {
        guard let regex = compiled?.regex else {
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            return trimmed.isEmpty ? nil : trimmed
        }
        guard let match = text.firstMatch(of: regex) else { return nil }
        let output = match.output
        let group = (1..<max(output.count, 1)).lazy.compactMap { output[$0].substring }.first
        return String(group ?? output[0].substring ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Whether the pattern matches anywhere in `text` (true without a pattern when `text` is not blank).
    public func matches(_ text: String) -> Bool {
        guard let regex = compiled?.regex else { return !text.allSatisfy(\.isWhitespace) }
        return text.contains(regex)
    }

    /// The first number in `text`, as the seeds' `get_price` reads it: `$` and `,` dropped, then the
    /// first `[-+]?\d*\.?\d+` (ASCII digits); nil when there is none (or it overflows a Double).
    public static func number(in text: String) -> Double? {
        let cleaned = String(text.unicodeScalars.filter { $0 != "$" && $0 != "," })
        guard let match = cleaned.firstMatch(of: #/[-+]?\d*\.?\d+/#.asciiOnlyDigits()),
              let value = Double(match.output), value.isFinite else { return nil }
        return value
    }
}

/// The comparison form of an answer: lowercased, diacritics folded (`é` → `e`), whitespace collapsed
/// to single spaces and trimmed, and the quotes and punctuation `.,!?;:'"` (also curly quotes) and
/// backticks around it stripped from both ends.
public enum Normalizer {
    static let edgeCharacters: Set<Character> = [".", ",", "!", "?", ";", ":", "'", "\"", "`", "\u{2018}", "\u{2019}", "\u{201C}", "\u{201D}"]

    /// `"  Café au LAIT! "` → `cafe au lait`.
    public static func normalize(_ text: String) -> String {
        let folded = text.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil).lowercased()
        var collapsed = folded.split(whereSeparator: \.isWhitespace).joined(separator: " ")[...]
        while let first = collapsed.first, edgeCharacters.contains(first) || first.isWhitespace { collapsed.removeFirst() }
        while let last = collapsed.last, edgeCharacters.contains(last) || last.isWhitespace { collapsed.removeLast() }
        return String(collapsed)
    }
}
