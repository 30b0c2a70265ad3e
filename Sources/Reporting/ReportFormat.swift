import Foundation
import OpenAIAPI

/// How the report writes numbers, shares, changes, durations and dates.
enum ReportFormat {
    /// A value to sensible precision: 3 significant digits below 1 (0.0123), 2 decimals up to 100
    /// (40.12), 1 decimal up to 10,000 (1,234.5), none above; thousands grouped.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "n/a" : value > 0 ? "∞" : "−∞" }
        let magnitude = abs(value)
        let text: String
        if magnitude == 0 {
            text = "0"
        } else if magnitude < 1 {
            text = String(format: "%.3g", magnitude)
        } else {
            let decimals = magnitude < 100 ? 2 : magnitude < 10_000 ? 1 : 0
            text = grouped(String(format: "%.\(decimals)f", magnitude))
        }
        return (value < 0 && text != "0" ? "−" : "") + text
    }

    /// A share as a percentage with at most one decimal: 0.62 → "62 %", 0.625 → "62.5 %".
    static func percent(_ fraction: Double) -> String {
        guard fraction.isFinite else { return number(fraction) }
        var text = String(format: "%.1f", abs(fraction) * 100)
        if text.hasSuffix(".0") { text.removeLast(2) }
        return (fraction < 0 && text != "0" ? "−" : "") + text + " %"
    }

    /// A metric's value: a percentage for shares, else a number; "—" when there is none.
    static func value(_ value: Double?, isFraction: Bool) -> String {
        guard let value else { return "—" }
        return isFraction ? percent(value) : number(value)
    }

    /// A signed change: "+38 pp" for shares (percentage points), "−5.10" otherwise.
    static func change(_ change: Double, isFraction: Bool) -> String {
        let sign = change > 0 ? "+" : ""
        if isFraction {
            let points = percent(change)
            return sign + points.replacingOccurrences(of: " %", with: " pp")
        }
        return sign + number(change)
    }

    /// A signed relative change: "+12.7 %", "−12.7 %".
    static func relative(_ fraction: Double) -> String {
        (fraction > 0 ? "+" : "") + percent(fraction)
    }

    /// "38 s", "42 min 6 s", "2 h 5 min".
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "unknown" }
        let total = Int(seconds.rounded())
        if total < 60 { return "\(total) s" }
        if total < 3600 { return "\(total / 60) min \(total % 60) s" }
        return "\(total / 3600) h \(total % 3600 / 60) min"
    }

    /// An ISO-8601 date (with or without fractional seconds).
    static func date(_ text: String?) -> Date? {
        guard let text else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }

    /// "2025-07-25 14:03 UTC".
    static func dateTime(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm 'UTC'"
        return formatter.string(from: date)
    }

    /// A hyperparameter's value: numbers to 6 significant digits (a Float's 0.0010000000474974513 is
    /// "0.001"), lists joined with commas.
    static func json(_ value: JSONValue) -> String {
        switch value {
        case .null: "none"
        case .bool(let flag): flag ? "yes" : "no"
        case .number(let number): String(format: "%.6g", number)
        case .string(let text): text
        case .array(let items): items.map(json).joined(separator: ", ")
        case .object(let members): members.sorted { $0.key < $1.key }.map { "\($0.key): \(json($0.value))" }.joined(separator: ", ")
        }
    }

    /// 1234567 → "1,234,567".
    static func count(_ value: Int) -> String {
        (value < 0 ? "-" : "") + grouped(String(value.magnitude))
    }

    /// Thousands separators in the integer part of a plain decimal.
    private static func grouped(_ text: String) -> String {
        let parts = text.split(separator: ".", maxSplits: 1)
        let digits = Array(parts[0])
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out += "," }
            out.append(digit)
        }
        return parts.count > 1 ? out + "." + parts[1] : out
    }
}
