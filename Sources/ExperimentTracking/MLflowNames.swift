import Foundation

/// MLflow's limits on names and values (mlflow/utils/validation.py, MLflow 3.17) and the one place
/// that makes any text fit them.
public enum MLflowNames {
    /// Longest metric, param or tag key, in characters.
    public static let maxKeyLength = 250
    /// Longest param value, in characters.
    public static let maxParamValueLength = 6000
    /// Longest tag value, in characters.
    public static let maxTagValueLength = 8000

    /// A metric, param or tag key MLflow accepts, made from any text.
    ///
    /// MLflow takes letters, digits, `_ - . /` and spaces (colons too, except on Windows servers, so
    /// they are replaced here), and refuses a key that would name another file as a path (`a//b`,
    /// `./a`, `a/..`, a leading `/`). So: `%` becomes `pct` (`within_10%` → `within_10pct`), every other
    /// character outside that set becomes `_`, empty, `.` and `..` path segments are dropped (`..`
    /// becomes `_`), and the result is cut to 250 characters. An empty result is `_`.
    public static func key(_ text: String) -> String {
        var mapped = ""
        for character in text {
            if character == "%" {
                mapped += "pct"
            } else if character.isASCII, character.isLetter || character.isNumber || "_-./ ".contains(character) {
                mapped.append(character)
            } else {
                mapped += "_"
            }
        }
        let segments = mapped.split(separator: "/", omittingEmptySubsequences: true).compactMap { segment -> String? in
            switch segment {
            case ".": return nil
            case "..": return "_"
            default: return String(segment)
            }
        }
        var key = segments.joined(separator: "/")
        if key.count > maxKeyLength {
            key = String(key.prefix(maxKeyLength))
            while key.hasSuffix("/") { key.removeLast() }
        }
        return key.isEmpty ? "_" : key
    }

    /// `value` cut to `limit` characters, ending with a note that says how long it was; unchanged when
    /// it fits. Characters are Unicode scalars, as MLflow (Python) counts them.
    public static func truncated(_ value: String, limit: Int) -> String {
        let scalars = value.unicodeScalars
        guard scalars.count > limit else { return value }
        let note = "… [truncated: \(scalars.count) characters]"
        var kept = String.UnicodeScalarView(scalars.prefix(max(0, limit - note.unicodeScalars.count)))
        kept.append(contentsOf: note.unicodeScalars)
        return String(kept)
    }
}
