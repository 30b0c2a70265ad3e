import Foundation

/// What went wrong talking to a provider, worded for the person at the terminal: what happened, where,
/// and what to do.
public enum ProviderError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No API key: neither the option nor the environment variable is set.
    case missingAPIKey(provider: ProviderKind, variable: String)
    /// The provider answered with an error status (after any retries).
    case http(status: Int, method: String, url: String, message: String, code: String?, param: String?, attempts: Int)
    /// No answer: the connection failed or dropped (after any retries).
    case transport(method: String, url: String, reason: String, attempts: Int)
    /// No answer within the time limit (after any retries).
    case timeout(method: String, url: String, seconds: Double, attempts: Int)
    /// An answer that isn't what the API documents.
    case invalidResponse(method: String, url: String, reason: String)
    /// The provider processed an upload and refused it.
    case fileRejected(file: String, reason: String)
    /// The provider doesn't offer this (pausing on Together, say).
    case unsupported(provider: ProviderKind, what: String)
    /// A job, file or model id the provider doesn't know.
    case notFound(what: String, id: String)
    /// Anything else the request or its options make impossible, said plainly.
    case invalidRequest(String)

    /// Worth trying again later (the monitor keeps going through these).
    public var isTransient: Bool {
        switch self {
        case .transport, .timeout: true
        case .http(let status, _, _, _, _, _, _): status == 408 || status == 409 || status == 429 || status >= 500
        default: false
        }
    }

    public var description: String {
        switch self {
        case .missingAPIKey(let provider, let variable):
            return "no API key for \(provider.displayName): set \(variable) (or pass --api-key)"
        case .http(let status, let method, let url, let message, let code, let param, let attempts):
            var text = "\(method) \(url) answered \(status)"
            if let code { text += " (\(code))" }
            text += ": \(message)"
            if let param { text += " [field: \(param)]" }
            if attempts > 1 { text += " (after \(attempts) attempts)" }
            switch status {
            case 401: text += "; check the API key"
            case 403: text += "; the key is not allowed to do this"
            case 429: text += "; the provider is rate-limiting: wait and try again"
            case 500...: text += "; the provider had a problem: try again later"
            default: break
            }
            return text
        case .transport(let method, let url, let reason, let attempts):
            return "\(method) \(url) failed: \(reason)" + (attempts > 1 ? " (after \(attempts) attempts)" : "")
                + "; check the address (--base-url) and the network"
        case .timeout(let method, let url, let seconds, let attempts):
            return "\(method) \(url) got no answer within \(Self.seconds(seconds))" + (attempts > 1 ? " (after \(attempts) attempts)" : "")
                + "; the provider may be overloaded: try again, or raise --timeout"
        case .invalidResponse(let method, let url, let reason):
            return "\(method) \(url) answered something unexpected: \(reason); is --base-url the provider's API?"
        case .fileRejected(let file, let reason):
            return "the provider rejected \(file): \(reason)"
        case .unsupported(let provider, let what):
            return "\(provider.displayName) does not support \(what)"
        case .notFound(let what, let id):
            return "no \(what) '\(id)'"
        case .invalidRequest(let text):
            return text
        }
    }

    private static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : String(format: "%.1f s", value)
    }
}
