import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OpenAIAPI

extension APIClient {
    /// A non-2xx answer as `.http`, with the provider's message, code and param where the body has them.
    func httpError(_ response: APIResponse, method: String, url: String, attempts: Int) -> ProviderError {
        let details = Self.errorDetails(response.body, status: response.status)
        return .http(status: response.status, method: method, url: url, message: details.message, code: details.code,
                     param: details.param, attempts: attempts)
    }

    /// What an error body says: OpenAI's `{"error":{"message","type","param","code"}}`, Together's
    /// `{"error":{…}}` or `{"message":…}`, FastAPI's `{"detail":…}`; else the body's first 300 characters.
    static func errorDetails(_ body: Data, status: Int) -> (message: String, code: String?, param: String?) {
        let fallback = statusText(status)
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: body), let object = value.objectValue else {
            let text = String(decoding: body.prefix(4096), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return (text.isEmpty ? fallback : String(text.prefix(300)), nil, nil)
        }
        if let inner = object["error"]?.objectValue {
            let message = inner["message"].flatMap(text) ?? object["message"].flatMap(text) ?? fallback
            let code = inner["code"].flatMap(text) ?? inner["type"].flatMap(text)
            return (message, code, inner["param"].flatMap(text))
        }
        if let message = object["error"].flatMap(text) ?? object["message"].flatMap(text) {
            return (message, object["code"].flatMap(text) ?? object["type"].flatMap(text), object["param"].flatMap(text))
        }
        if let detail = object["detail"] {
            if let message = text(detail) { return (message, nil, nil) }
            let items = (detail.arrayValue ?? []).compactMap { item -> String? in
                guard let message = item["msg"].flatMap(text) else { return nil }
                let location = (item["loc"]?.arrayValue ?? []).compactMap(text).joined(separator: ".")
                return location.isEmpty ? message : "\(location): \(message)"
            }
            if !items.isEmpty { return (items.joined(separator: "; "), nil, nil) }
        }
        let raw = String(decoding: body.prefix(4096), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return (String(raw.prefix(300)), nil, nil)
    }

    /// A string or number as text (error codes are sometimes numbers).
    private static func text(_ value: JSONValue) -> String? {
        switch value {
        case .string(let text): text.isEmpty ? nil : text
        case .number(let number): number == number.rounded() ? String(Int(number)) : String(number)
        default: nil
        }
    }

    /// A failure with no answer as `.timeout` or `.transport`.
    func transportError(_ error: any Error, method: String, url: String, seconds: Double, attempts: Int) -> ProviderError {
        if let error = error as? ProviderError { return error }
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .writeTimeout, .getConnectionFromPoolTimeout:
                return .timeout(method: method, url: url, seconds: seconds, attempts: attempts)
            case .connectTimeout, .tlsHandshakeTimeout:
                return .timeout(method: method, url: url, seconds: timeouts.connect, attempts: attempts)
            case .remoteConnectionClosed:
                return .transport(method: method, url: url, reason: "the server closed the connection before answering",
                                  attempts: attempts)
            case .invalidURL, .emptyHost, .emptyScheme:
                return .transport(method: method, url: url, reason: "the URL is not valid", attempts: attempts)
            default:
                return .transport(method: method, url: url, reason: String(describing: error), attempts: attempts)
            }
        }
        if error is NIOTooManyBytesError {
            return .invalidResponse(method: method, url: url, reason: "the answer is larger than \(Self.maxResponseBytes >> 20) MiB")
        }
        return .transport(method: method, url: url, reason: Self.plain(error), attempts: attempts)
    }

    /// An error's text without NIO's type noise ("connection refused" rather than `NIOConnectionError(…)`).
    static func plain(_ error: any Error) -> String {
        let text = String(describing: error)
        let lowered = text.lowercased()
        if lowered.contains("connection refused") || lowered.contains("econnrefused") { return "connection refused" }
        if lowered.contains("connection reset") { return "the connection was reset" }
        if lowered.contains("no such host") || lowered.contains("name resolution") || lowered.contains("nodename nor servname") {
            return "the host name could not be resolved"
        }
        return text
    }

    /// `503 Service Unavailable`.
    static func statusText(_ status: Int) -> String {
        let phrase = HTTPResponseStatus(statusCode: status).reasonPhrase
        return phrase.isEmpty ? "status \(status)" : "\(status) \(phrase)"
    }

    /// The short reason of a retried failure, for `RetryNotice`.
    static func reason(_ error: ProviderError) -> String {
        switch error {
        case .timeout(_, _, let seconds, _): "no answer within \(Int(seconds.rounded())) s"
        case .transport(_, _, let reason, _): reason
        case .http(let status, _, _, _, _, _, _): statusText(status)
        default: error.description
        }
    }

    /// A decoding failure as "at data[0].id: expected a string, found a number".
    static func describe(_ error: DecodingError, body: Data) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            var text = ""
            for key in keys {
                if let index = key.intValue { text += "[\(index)]" } else { text += text.isEmpty ? key.stringValue : ".\(key.stringValue)" }
            }
            return text.isEmpty ? "the top level" : text
        }
        switch error {
        case .typeMismatch(let type, let context):
            return "at \(path(context.codingPath)): expected \(type): \(context.debugDescription)"
        case .valueNotFound(let type, let context):
            return "at \(path(context.codingPath)): no \(type) value (null or missing)"
        case .keyNotFound(let key, let context):
            return "at \(path(context.codingPath + [key])): the key is missing"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                let start = String(decoding: body.prefix(300), as: UTF8.self)
                return "the answer is not JSON" + (start.isEmpty ? " (empty body)" : ": \(start)")
            }
            return "at \(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return String(describing: error)
        }
    }

    /// An id as one path segment: `/` and other reserved characters percent-encoded, `:` kept (`ft:` names).
    public static func pathSegment(_ id: String) -> String {
        percentEncode(id, keeping: "-._~:@")
    }

    /// Percent-encodes everything but RFC 3986's unreserved characters (so `metadata[k]` goes out as `metadata%5Bk%5D`).
    static func percentEncode(_ text: String, keeping extra: String = "-._~") -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: extra)
        var result = ""
        for scalar in text.unicodeScalars {
            if scalar.isASCII, allowed.contains(scalar) {
                result.unicodeScalars.append(scalar)
            } else {
                for byte in String(scalar).utf8 { result += String(format: "%%%02X", byte) }
            }
        }
        return result
    }
}
