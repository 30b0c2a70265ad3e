/// A compiled regular expression that can cross concurrency domains.
///
/// `Regex<AnyRegexOutput>` is not `Sendable` only because its output type (`AnyRegexOutput`, which
/// holds `Any` captures) is not; the regex itself is an immutable value whose compiled program is
/// created once and lowered thread-safely (the standard library makes `Regex` Sendable for Sendable
/// outputs on the same storage). Matches are made inside each call and never shared, so sharing the
/// compiled pattern between tasks is safe.
struct CompiledPattern: @unchecked Sendable {
    let regex: Regex<AnyRegexOutput>

    /// - Throws: the regex parser's error when `pattern` is not a regular expression.
    init(_ pattern: String) throws {
        regex = try Regex(pattern).asciiOnlyDigits()
    }
}
