import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OpenAIAPI

/// An answer: status, headers and the whole body.
public struct APIResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: Data

    public init(status: Int, headers: [(name: String, value: String)] = [], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first value of the header `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

/// The HTTP client of the OpenAI and Together providers: bearer auth, retries with backoff, time limits,
/// and provider error bodies turned into `ProviderError`s that say what to do.
///
/// ```swift
/// let client = APIClient(provider: .openai, baseURL: ProviderKind.openai.defaultBaseURL, apiKey: key,
///                        onRetry: { notice in print(notice) })
/// let job: FineTuningJob = try await client.json("GET", "fine_tuning/jobs/ftjob-abc")
/// ```
public final class APIClient: Sendable {
    /// Sent with every request.
    public static let userAgent = "finetune/0.1.0"
    /// The most a JSON answer may hold.
    static let maxResponseBytes = 64 << 20

    public let provider: ProviderKind
    /// Paths are relative to this (OpenAI's ends in `/v1`, Together's has none).
    public let baseURL: URL
    public let retry: RetryPolicy
    public let timeouts: Timeouts
    private let apiKey: String?
    private let onRetry: (@Sendable (RetryNotice) -> Void)?
    let http: HTTPClient

    /// - Parameters:
    ///   - provider: whose API this is (decides whether a missing key is an error: `local` sends `sk-local`).
    ///   - baseURL: the API root, e.g. `https://api.openai.com/v1` or `https://api.together.xyz`.
    ///   - apiKey: sent as `Authorization: Bearer <key>`; nil or empty for none.
    ///   - retry: the default policy of every request (a call may pass its own).
    ///   - onRetry: told about each failed attempt that will be tried again.
    public init(provider: ProviderKind, baseURL: URL, apiKey: String?, retry: RetryPolicy = .default,
                timeouts: Timeouts = .default, onRetry: (@Sendable (RetryNotice) -> Void)? = nil) {
        self.provider = provider
        self.baseURL = baseURL
        self.apiKey = apiKey.flatMap { $0.isEmpty ? nil : $0 }
        self.retry = retry
        self.timeouts = timeouts
        self.onRetry = onRetry
        http = SharedHTTPClients.client(connectTimeout: timeouts.connect)
    }

    /// Whether requests carry a key (the caller's, or `sk-local` for a local server).
    public var hasAPIKey: Bool { apiKey != nil }

    /// The absolute URL of `path` (relative to `baseURL`, or already absolute) with `query` percent-encoded.
    public func url(_ path: String, query: [(String, String)] = []) -> String {
        var text: String
        if path.hasPrefix("http://") || path.hasPrefix("https://") {
            text = path
        } else {
            var base = baseURL.absoluteString
            while base.hasSuffix("/") { base.removeLast() }
            text = base + "/" + path.drop { $0 == "/" }
        }
        if !query.isEmpty {
            let encoded = query.map { Self.percentEncode($0.0) + "=" + Self.percentEncode($0.1) }.joined(separator: "&")
            text += (text.contains("?") ? "&" : "?") + encoded
        }
        return text
    }

    /// Sends one request, retrying transient failures under `retry`.
    ///
    /// - Parameters:
    ///   - method: `GET`, `POST`, …
    ///   - path: relative to `baseURL`, or an absolute URL.
    ///   - headers: extra headers (e.g. `Idempotency-Key`); they replace the defaults of the same name.
    ///   - retry: this call's policy; nil = the client's.
    ///   - timeout: seconds for the whole request; nil = `timeouts.request`.
    ///   - authorized: whether to send the API key (Together's signed upload URL must not get it).
    ///   - accepting: non-2xx statuses to return rather than throw (Together's 302 and 409 on upload).
    ///   - progress: `(bytes sent, total)` while the body goes out.
    /// - Returns: the answer, whose status is 2xx or in `accepting`.
    /// - Throws: `ProviderError`: `.missingAPIKey`, `.http` (with the provider's message, code and param),
    ///   `.timeout`, `.transport`; `CancellationError` when the task is cancelled.
    @discardableResult
    public func send(_ method: String, _ path: String, query: [(String, String)] = [], body: APIRequestBody? = nil,
                     headers: [String: String] = [:], retry: RetryPolicy? = nil, timeout: Double? = nil,
                     authorized: Bool = true, accepting: Set<Int> = [],
                     progress: (@Sendable (Int, Int) -> Void)? = nil) async throws -> APIResponse {
        let policy = retry ?? self.retry
        let url = url(path, query: query)
        let seconds = timeout ?? timeouts.request
        let request = try makeRequest(method, url: url, body: body, headers: headers, authorized: authorized, progress: progress)
        var attempt = 0
        while true {
            attempt += 1
            let response: APIResponse
            do {
                response = try await execute(request, seconds: seconds)
            } catch let error as CancellationError {
                throw error
            } catch {
                if Task.isCancelled { throw CancellationError() }
                let failure = transportError(error, method: method, url: url, seconds: seconds, attempts: attempt)
                guard attempt < policy.maxAttempts else { throw failure }
                try await pause(attempt: attempt, policy: policy, delay: policy.delay(afterAttempt: attempt),
                                reason: Self.reason(failure), method: method, url: url)
                continue
            }
            if (200..<300).contains(response.status) || accepting.contains(response.status) { return response }
            let failure = httpError(response, method: method, url: url, attempts: attempt)
            guard RetryPolicy.isRetryable(status: response.status), response.header("x-should-retry") != "false",
                  attempt < policy.maxAttempts else { throw failure }
            let requested = RetryPolicy.requestedDelay(retryAfterMilliseconds: response.header("retry-after-ms"),
                                                       retryAfter: response.header("retry-after"))
            if let requested, requested > policy.maxRetryAfter { throw failure }
            try await pause(attempt: attempt, policy: policy, delay: requested ?? policy.delay(afterAttempt: attempt),
                            reason: Self.statusText(response.status), method: method, url: url)
        }
    }

    /// Sends a request and decodes its JSON answer (`OpenAIJSON.decoder()`).
    ///
    /// - Throws: what `send` throws, and `ProviderError.invalidResponse` naming the JSON path when a 2xx
    ///   answer isn't the documented shape.
    public func json<T: Decodable>(_ method: String, _ path: String, query: [(String, String)] = [],
                                   body: APIRequestBody? = nil, headers: [String: String] = [:], retry: RetryPolicy? = nil,
                                   timeout: Double? = nil, as type: T.Type = T.self) async throws -> T {
        let response = try await send(method, path, query: query, body: body, headers: headers, retry: retry, timeout: timeout)
        return try decode(T.self, from: response, method: method, url: url(path, query: query))
    }

    /// Sends `body` as JSON and decodes the JSON answer.
    ///
    /// ```swift
    /// let job: FineTuningJob = try await client.json("POST", "fine_tuning/jobs", sending: request)
    /// ```
    /// - Throws: `ProviderError.invalidRequest` when `body` can't be encoded, and what `json(_:_:query:body:…)` throws.
    public func json<T: Decodable, Body: Encodable>(_ method: String, _ path: String, query: [(String, String)] = [],
                                                    sending body: Body, headers: [String: String] = [:],
                                                    retry: RetryPolicy? = nil, as type: T.Type = T.self) async throws -> T {
        try await json(method, path, query: query, body: try .json(body), headers: headers, retry: retry, as: T.self)
    }

    /// Decodes a JSON answer, or throws `.invalidResponse` naming where it differs from `T`.
    public func decode<T: Decodable>(_ type: T.Type, from response: APIResponse, method: String, url: String) throws -> T {
        do {
            return try OpenAIJSON.decoder().decode(T.self, from: response.body)
        } catch let error as DecodingError {
            throw ProviderError.invalidResponse(method: method, url: url, reason: Self.describe(error, body: response.body))
        }
    }

    // MARK: - One attempt

    private func makeRequest(_ method: String, url: String, body: APIRequestBody?, headers: [String: String], authorized: Bool,
                             progress: (@Sendable (Int, Int) -> Void)?) throws -> PreparedRequest {
        var fields = HTTPHeaders()
        fields.add(name: "User-Agent", value: Self.userAgent)
        fields.add(name: "Accept", value: "application/json")
        if authorized { fields.add(name: "Authorization", value: try authorizationValue()) }
        if let contentType = body?.contentType { fields.add(name: "Content-Type", value: contentType) }
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { fields.replaceOrAdd(name: name, value: value) }
        return PreparedRequest(method: method, url: url, headers: fields, body: body, progress: progress)
    }

    private func execute(_ prepared: PreparedRequest, seconds: Double) async throws -> APIResponse {
        var request = HTTPClientRequest(url: prepared.url)
        request.method = HTTPMethod(rawValue: prepared.method)
        request.headers = prepared.headers
        request.body = prepared.body?.makeBody(progress: prepared.progress)
        let response = try await http.execute(request, timeout: .milliseconds(Int64(seconds * 1000)))
        let bytes = try await response.body.collect(upTo: Self.maxResponseBytes)
        return APIResponse(status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
                           body: Data(bytes.readableBytesView))
    }

    /// `Bearer <key>`; `Bearer sk-local` for a local server without one.
    /// - Throws: `ProviderError.missingAPIKey` for OpenAI and Together without a key.
    func authorizationValue() throws -> String {
        if let apiKey { return "Bearer \(apiKey)" }
        guard provider == .local else { throw ProviderError.missingAPIKey(provider: provider, variable: provider.apiKeyVariable) }
        return "Bearer sk-local"
    }

    /// Tells the `onRetry` observer about a failed attempt that will be tried again.
    func notifyRetry(_ notice: RetryNotice) {
        onRetry?(notice)
    }

    private func pause(attempt: Int, policy: RetryPolicy, delay: Double, reason: String, method: String, url: String) async throws {
        notifyRetry(RetryNotice(attempt: attempt, maxAttempts: policy.maxAttempts, delay: delay, reason: reason,
                             method: method, url: url))
        try await Task.sleep(nanoseconds: UInt64(max(0, delay) * 1_000_000_000))
    }
}

/// A request ready to send again on each attempt.
private struct PreparedRequest: Sendable {
    var method: String
    var url: String
    var headers: HTTPHeaders
    var body: APIRequestBody?
    var progress: (@Sendable (Int, Int) -> Void)?
}

/// One `HTTPClient` per connect timeout, created on first use and kept for the life of the process
/// (an `HTTPClient` must be shut down before it is released; one that lives forever never is).
enum SharedHTTPClients {
    /// Safe to share: every access to `clients` holds `lock`.
    private final class Cache: @unchecked Sendable {
        let lock = NSLock()
        var clients: [Int64: HTTPClient] = [:]
    }

    private static let cache = Cache()

    static func client(connectTimeout: Double) -> HTTPClient {
        let milliseconds = Int64(max(0.001, connectTimeout) * 1000)
        cache.lock.lock()
        defer { cache.lock.unlock() }
        if let client = cache.clients[milliseconds] { return client }
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: .milliseconds(milliseconds))
        // Failed connections are retried by `APIClient` under its policy, not silently until the deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.decompression = .enabled(limit: .ratio(100))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        cache.clients[milliseconds] = client
        return client
    }
}
