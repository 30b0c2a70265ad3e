import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// One HTTP exchange with the tracking server, retried with backoff on connection errors, timeouts,
/// 429 and 5xx: `attempts` tries in all, waiting `baseDelay`, then twice that, … between them.
///
/// FineTuningProviders' `APIClient` does the same for the fine-tuning providers, but it is typed by
/// provider and throws their errors, and this module must not depend on the training stack; this is
/// the small loop MLflow needs.
struct MLflowHTTP: Sendable {
    /// The server root, without a trailing slash or credentials: `http://127.0.0.1:5000`.
    let server: String
    /// `Authorization` header value, when the server wants one.
    let authorization: String?
    /// Seconds for one JSON request.
    let timeout: Double
    let attempts: Int
    let baseDelay: Double

    struct Response: Sendable {
        var status: Int
        var body: Data
    }

    /// The largest answer read (metric histories of long runs are the largest).
    static let maxResponseBytes = 256 << 20

    /// Kept for the life of the process (an `HTTPClient` must be shut down before it is released;
    /// one that lives forever never is). Failed connections are retried by `send`, not silently
    /// until the deadline.
    static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(10))
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.redirectConfiguration = .disallow
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// The absolute URL of `path` (from the server root, e.g. `/api/2.0/mlflow/runs/create`) with
    /// `query` percent-encoded.
    func url(_ path: String, query: [(String, String)] = []) -> String {
        var text = server + path
        if !query.isEmpty {
            text += "?" + query.map { Self.encodeQuery($0.0) + "=" + Self.encodeQuery($0.1) }.joined(separator: "&")
        }
        return text
    }

    /// Sends one request; returns any answer that is not retried (the caller checks the status).
    ///
    /// - Parameters:
    ///   - seconds: this request's time limit; nil = `timeout`.
    ///   - retries: whether to try again on transient failures (false: one attempt).
    /// - Throws: `MLflowError.unreachable` / `.timeout` after the last attempt, `.http` for a 5xx or 429
    ///   still failing after the last attempt, `CancellationError`.
    func send(_ method: String, _ url: String, body: Data? = nil, contentType: String? = nil,
              seconds: Double? = nil, retries: Bool = true) async throws -> Response {
        let limit = seconds ?? timeout
        let maxAttempts = retries ? max(1, attempts) : 1
        var attempt = 0
        while true {
            attempt += 1
            var request = HTTPClientRequest(url: url)
            request.method = HTTPMethod(rawValue: method)
            request.headers.add(name: "User-Agent", value: "finetune")
            request.headers.add(name: "Accept", value: "application/json")
            if let authorization { request.headers.add(name: "Authorization", value: authorization) }
            if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
            if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
            let failure: MLflowError
            do {
                let response = try await Self.client.execute(request, timeout: .milliseconds(Int64(limit * 1000)))
                let bytes = try await response.body.collect(upTo: Self.maxResponseBytes)
                let answer = Response(status: Int(response.status.code), body: Data(bytes.readableBytesView))
                guard answer.status == 429 || answer.status >= 500 else { return answer }
                failure = Self.httpError(answer, method: method, url: url, attempts: attempt)
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                if Task.isCancelled { throw CancellationError() }
                failure = transportError(error, method: method, url: url, seconds: limit, attempts: attempt)
            }
            guard attempt < maxAttempts else { throw failure }
            try await Task.sleep(nanoseconds: UInt64(baseDelay * pow(2, Double(attempt - 1)) * 1_000_000_000))
        }
    }

    /// The error for a non-2xx answer, with MLflow's `error_code` and `message` when the body holds them.
    static func httpError(_ response: Response, method: String, url: String, attempts: Int) -> MLflowError {
        if let body = try? JSONDecoder().decode(ErrorBody.self, from: response.body), body.errorCode != nil || body.message != nil {
            return .http(method: method, url: url, status: response.status, code: body.errorCode, message: body.message,
                         attempts: attempts)
        }
        let text = String(decoding: response.body.prefix(300), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return .http(method: method, url: url, status: response.status, code: nil, message: text.isEmpty ? nil : text,
                     attempts: attempts)
    }

    private func transportError(_ error: any Error, method: String, url: String, seconds: Double, attempts: Int) -> MLflowError {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .writeTimeout, .getConnectionFromPoolTimeout:
                return .timeout(server: server, method: method, url: url, seconds: seconds, attempts: attempts)
            case .connectTimeout, .tlsHandshakeTimeout:
                return .unreachable(server: server, method: method, url: url, reason: "no connection within 10 s",
                                    attempts: attempts)
            case .remoteConnectionClosed:
                return .unreachable(server: server, method: method, url: url,
                                    reason: "the server closed the connection before answering", attempts: attempts)
            default:
                break
            }
        }
        if error is NIOTooManyBytesError {
            return .invalidResponse(method: method, url: url, reason: "the answer is larger than \(Self.maxResponseBytes >> 20) MiB")
        }
        let text = String(describing: error)
        let lowered = text.lowercased()
        let reason: String
        if lowered.contains("connection refused") || lowered.contains("econnrefused") {
            reason = "connection refused"
        } else if lowered.contains("connection reset") {
            reason = "the connection was reset"
        } else if lowered.contains("name resolution") || lowered.contains("no such host") || lowered.contains("nodename") {
            reason = "the host name could not be resolved"
        } else {
            reason = text
        }
        return .unreachable(server: server, method: method, url: url, reason: reason, attempts: attempts)
    }

    /// Percent-encodes a query name or value (RFC 3986 unreserved characters stay).
    static func encodeQuery(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    /// Percent-encodes each segment of an artifact path, keeping the slashes between them.
    static func encodePath(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: true)
            .map { String($0).addingPercentEncoding(withAllowedCharacters: unreserved) ?? String($0) }
            .joined(separator: "/")
    }

    private static let unreserved = CharacterSet(charactersIn:
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}
