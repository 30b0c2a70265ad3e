import Foundation

/// When and how often a failed request is tried again.
///
/// Retried: statuses 408, 409, 429 and ≥ 500, dropped connections and timeouts. The delay before
/// attempt n + 1 is `baseDelay × 2^(n-1)`, capped at `maxDelay`, with ±25 % jitter; a `Retry-After`
/// (seconds) or `retry-after-ms` header from the server replaces it, unless it asks for more than
/// `maxRetryAfter`, in which case the request fails at once with that status.
///
/// ```swift
/// let client = APIClient(provider: .openai, baseURL: url, apiKey: key, retry: RetryPolicy(maxAttempts: 6))
/// ```
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts in all, the first included (4 = 1 + 3 retries); at least 1.
    public var maxAttempts: Int
    /// Seconds before the first retry.
    public var baseDelay: Double
    /// The longest computed delay, in seconds.
    public var maxDelay: Double
    /// Spread each computed delay by ±25 % so that clients that failed together don't retry together.
    public var jitter: Bool
    /// The longest `Retry-After` worth waiting for, in seconds; a longer one fails the request.
    public var maxRetryAfter: Double

    public init(maxAttempts: Int = 4, baseDelay: Double = 0.5, maxDelay: Double = 8, jitter: Bool = true,
                maxRetryAfter: Double = 60) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = max(0, baseDelay)
        self.maxDelay = max(0, maxDelay)
        self.jitter = jitter
        self.maxRetryAfter = max(0, maxRetryAfter)
    }

    /// 4 attempts, 0.5 s doubling to 8 s, with jitter.
    public static let `default` = RetryPolicy()
    /// One attempt: failures are reported at once.
    public static let none = RetryPolicy(maxAttempts: 1)

    /// Whether a response with this status is worth another attempt.
    public static func isRetryable(status: Int) -> Bool {
        status == 408 || status == 409 || status == 429 || status >= 500
    }

    /// Seconds to wait after failed attempt `attempt` (1-based) when the server didn't say.
    public func delay(afterAttempt attempt: Int) -> Double {
        let exponent = Double(max(0, attempt - 1))
        let computed = min(maxDelay, baseDelay * pow(2, exponent))
        guard jitter, computed > 0 else { return computed }
        return computed * Double.random(in: 0.75...1.25)
    }

    /// The wait a response asks for: `retry-after-ms` (milliseconds) or `Retry-After` (seconds, or an
    /// HTTP date), nil when neither is there or readable.
    static func requestedDelay(retryAfterMilliseconds: String?, retryAfter: String?, now: Date = Date()) -> Double? {
        if let text = retryAfterMilliseconds?.trimmingCharacters(in: .whitespaces), let milliseconds = Double(text),
           milliseconds.isFinite, milliseconds >= 0 {
            return milliseconds / 1000
        }
        guard let text = retryAfter?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        if let seconds = Double(text), seconds.isFinite, seconds >= 0 { return seconds }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: text) else { return nil }
        return max(0, date.timeIntervalSince(now))
    }
}

/// Time limits, in seconds.
public struct Timeouts: Sendable, Equatable {
    /// Opening the connection.
    public var connect: Double
    /// A whole JSON request, answer included.
    public var request: Double
    /// A whole upload or download.
    public var upload: Double

    public init(connect: Double = 10, request: Double = 60, upload: Double = 600) {
        self.connect = connect
        self.request = request
        self.upload = upload
    }

    /// 10 s to connect, 60 s per request, 10 minutes per upload.
    public static let `default` = Timeouts()
}

/// A failed attempt that will be tried again, for the terminal: "retrying in 2 s: 503 from GET …".
public struct RetryNotice: Sendable, Equatable, CustomStringConvertible {
    /// The attempt that failed (1-based).
    public var attempt: Int
    /// Attempts allowed in all.
    public var maxAttempts: Int
    /// Seconds until the next attempt.
    public var delay: Double
    /// The status (`503 Service Unavailable`) or the error text.
    public var reason: String
    public var method: String
    public var url: String

    public init(attempt: Int, maxAttempts: Int, delay: Double, reason: String, method: String, url: String) {
        self.attempt = attempt
        self.maxAttempts = maxAttempts
        self.delay = delay
        self.reason = reason
        self.method = method
        self.url = url
    }

    public var description: String {
        let seconds = delay < 10 ? String(format: "%.1f s", delay) : "\(Int(delay.rounded())) s"
        return "retrying in \(seconds) (attempt \(attempt + 1) of \(maxAttempts)): \(reason) from \(method) \(url)"
    }
}
