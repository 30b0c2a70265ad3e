import FineTuningProviders
import Foundation
import OpenAIAPI
import Testing

/// Collects retry notices from the client's callback.
final class NoticeLog: Sendable {
    private let lock = NSLock()
    nonisolated(unsafe) private var items: [RetryNotice] = []

    var notices: [RetryNotice] { lock.withLock { items } }

    func record(_ notice: RetryNotice) { lock.withLock { items.append(notice) } }
}

@Suite("APIClient: retries, time limits, errors, uploads")
struct HTTPClientTests {
    static let fast = RetryPolicy(maxAttempts: 3, baseDelay: 0.05, maxDelay: 0.2, jitter: false)

    func client(_ server: ScriptedServer, provider: ProviderKind = .openai, key: String? = "sk-test",
                retry: RetryPolicy = fast, timeouts: Timeouts = .default, log: NoticeLog? = nil) -> APIClient {
        var onRetry: (@Sendable (RetryNotice) -> Void)?
        if let log { onRetry = { notice in log.record(notice) } }
        return APIClient(provider: provider, baseURL: server.baseURL.appendingPathComponent("v1"), apiKey: key, retry: retry,
                         timeouts: timeouts, onRetry: onRetry)
    }

    @Test("backoff doubles from the base delay up to the cap; jitter stays within ±25 %")
    func backoff() {
        let plain = RetryPolicy(baseDelay: 0.5, maxDelay: 3, jitter: false)
        #expect((1...5).map(plain.delay(afterAttempt:)) == [0.5, 1, 2, 3, 3])
        let jittered = RetryPolicy(baseDelay: 1, maxDelay: 8, jitter: true)
        let delays = (0..<200).map { _ in jittered.delay(afterAttempt: 2) }
        #expect(delays.allSatisfy { (1.5...2.5).contains($0) })
        #expect(Set(delays).count > 1)
        #expect(RetryPolicy.none.maxAttempts == 1 && RetryPolicy.default.maxAttempts == 4)
    }

    @Test("json(sending:) encodes the body with the wire coders and decodes the answer")
    func jsonRoundTrip() async throws {
        let server = try await ScriptedServer.start()
        defer { server.stop() }
        await server.script("POST", "/v1/echo", .json(#"{"id":"x","object":"model","created":5,"owned_by":"me"}"#))
        let model: Model = try await client(server).json(
            "POST", "echo", sending: CreateFineTuningJobRequest(model: "m", trainingFile: "file-1", suffix: "s"))
        #expect(model == Model(id: "x", created: 5, ownedBy: "me"))
        let request = try #require(await server.requests.first)
        #expect(request.headers["content-type"] == "application/json")
        #expect(request.text == #"{"model":"m","suffix":"s","training_file":"file-1"}"#)
    }

    @Test("a 500 then a 200 succeeds on the second attempt and reports the retry")
    func retriesServerError() async throws {
        let server = try await ScriptedServer.start()
        defer { server.stop() }
        await server.script("GET", "/v1/models", .error(500, message: "boom"), .json(#"{"object":"list","data":[]}"#))
        let log = NoticeLog()
        let answer = try await client(server, log: log).send("GET", "models")
        #expect(answer.status == 200)
        #expect(await server.requests("GET", "/v1/models").count == 2)
        let notice = try #require(log.notices.first)
        #expect(log.notices.count == 1)
        #expect(notice.attempt == 1 && notice.maxAttempts == 3)
        #expect(notice.reason == "500 Internal Server Error")
        #expect(notice.description.contains("500 Internal Server Error from GET http://127.0.0.1:\(server.port)/v1/models"))
    }

    @Test("a 429 with Retry-After: 1 waits about a second")
    func honoursRetryAfter() async throws {
        let server = try await ScriptedServer.start()
        defer { server.stop() }
        await server.script("GET", "/v1/models", .error(429, message: "slow down", headers: ["Retry-After": "1"]),
                            .json(#"{"object":"list","data":[]}"#))
        let log = NoticeLog()
        let clock = ContinuousClock(), start = clock.now
        _ = try await client(server, log: log).send("GET", "models")
        let elapsed = clock.now - start
        // A lower bound only: a loaded machine (CI runs every suite at once) may wake the client late.
        #expect(elapsed >= .milliseconds(950), "waited \(elapsed)")
        #expect(log.notices.map(\.delay) == [1])
    }

    @Test("retry-after-ms is read in milliseconds")
    func honoursRetryAfterMilliseconds() async throws {
        let server = try await ScriptedServer.start()
        defer { server.stop() }
        await server.script("GET", "/v1/models", .error(503, message: "busy", headers: ["retry-after-ms": "150"]),
                            .json(#"{"object":"list","data":[]}"#))
        let log = NoticeLog()
        _ = try await client(server, log: log).send("GET", "models")
        #expect(log.notices.map(\.delay) == [0.15])
    }

    @Test("a Retry-After beyond the cap is not waited for: the status comes back at once")
    func retryAfterBeyondCap() async throws {
        let server = try await ScriptedServer.start()
        defer { server.stop() }
        await server.script("GET", "/v1/models", .error(503, message: "maintenance", headers: ["Retry-After": "120"]),
                            .json(#"{"object":"list","data":[]}"#))
        let log = NoticeLog()
        await #expect {
            try await client(server, log: log).send("GET", "models")
        } throws: { error in
            guard case ProviderError.http(503, "GET", _, "maintenance", _, _, 1)? = error as? ProviderError else { return false }
            return true
        }
        // Not waited for: no retry was announced and the server saw one request.
        #expect(log.notices.isEmpty)
        #expect(await server.requests("GET", "/v1/models").count == 1)
    }

    @Test("a 400 in OpenAI's shape is not retried and its description names status, code, param and message")
    func clientErrorNotRetried() async throws {
        let server = try await ScriptedServer.start()
        defer { server.stop() }
        await server.script("POST", "/v1/fine_tuning/jobs",
                            .error(400, message: "Invalid n_epochs: 0.", code: "invalid_value", param: "hyperparameters.n_epochs"))
        let error = await #expect(throws: ProviderError.self) {
            try await client(server).send("POST", "fine_tuning/jobs", body: .json(["model": "m"]))
        }
        #expect(await server.requests("POST", "/v1/fine_tuning/jobs").count == 1)
        let text = try #require(error).description
        #expect(text.contains("answered 400"), "\(text)")
        #expect(text.contains("(invalid_value)"))
        #expect(text.contains("hyperparameters.n_epochs"))
        #expect(text.contains("Invalid n_epochs: 0."))
        #expect(error?.isTransient == false)
    }

    @Test("Together's {message} body and a plain-text body give their text")
    func otherErrorShapes() async throws {
        let server = try await ScriptedServer.start()
        defer { server.stop() }
        await server.script("GET", "/v1/a", .json(#"{"message":"model not available","type":"invalid_request"}"#, status: 404))
        await server.script("GET", "/v1/b", ScriptedResponse(status: 403, body: Data("Forbidden by proxy".utf8)))
        let api = client(server)
        await #expect(throws: ProviderError.http(status: 404, method: "GET", url: api.url("a"), message: "model not available",
                                                 code: "invalid_request", param: nil, attempts: 1)) {
            try await api.send("GET", "a")
        }
        await #expect(throws: ProviderError.http(status: 403, method: "GET", url: api.url("b"), message: "Forbidden by proxy",
                                                 code: nil, param: nil, attempts: 1)) {
            try await api.send("GET", "b")
        }
    }

    @Test("a handler slower than the request timeout gives .timeout after every attempt")
    func timesOut() async throws {
        let server = try await ScriptedServer.start()
        defer { server.stop() }
        await server.script("GET", "/v1/models", .json("{}", delay: .seconds(3)))
        let log = NoticeLog()
        let api = client(server, retry: RetryPolicy(maxAttempts: 2, baseDelay: 0.05, jitter: false),
                         timeouts: Timeouts(connect: 2, request: 0.4), log: log)
        await #expect(throws: ProviderError.timeout(method: "GET", url: api.url("models"), seconds: 0.4, attempts: 2)) {
            try await api.send("GET", "models")
        }
        #expect(log.notices.count == 1)
        #expect(await server.requests("GET", "/v1/models").count == 2)
    }

    @Test("a closed port gives .transport (connection refused) after every attempt")
    func connectionRefused() async throws {
        let log = NoticeLog()
        let api = APIClient(provider: .openai, baseURL: URL(string: "http://127.0.0.1:1/v1")!, apiKey: "sk-test",
                            retry: RetryPolicy(maxAttempts: 2, baseDelay: 0.01, jitter: false), onRetry: { log.record($0) })
        let error = await #expect(throws: ProviderError.self) { try await api.send("GET", "models") }
        guard case .transport(let method, let url, let reason, let attempts)? = error else {
            Issue.record("expected .transport, got \(String(describing: error))")
            return
        }
        #expect(method == "GET" && url == "http://127.0.0.1:1/v1/models")
        #expect(reason == "connection refused")
        #expect(attempts == 2)
        #expect(log.notices.count == 1)
        #expect(error?.isTransient == true)
    }

    @Test("every request carries the key, User-Agent and Accept; a local server without a key gets sk-local")
    func headers() async throws {
        let server = try await ScriptedServer.start()
        defer { server.stop() }
        await server.script("GET", "/v1/models", .json(#"{"object":"list","data":[]}"#))
        _ = try await client(server).send("GET", "models", headers: ["Idempotency-Key": "abc"])
        _ = try await client(server, provider: .local, key: nil).send("GET", "models")
        let requests = await server.requests("GET", "/v1/models")
        #expect(requests.map { $0.headers["authorization"] } == ["Bearer sk-test", "Bearer sk-local"])
        #expect(requests.allSatisfy { $0.headers["user-agent"] == "finetune/0.1.0" && $0.headers["accept"] == "application/json" })
        #expect(requests.first?.headers["idempotency-key"] == "abc")
    }

    @Test("OpenAI and Together without a key fail before sending, naming the variable")
    func missingKey() async throws {
        let server = try await ScriptedServer.start()
        defer { server.stop() }
        await #expect(throws: ProviderError.missingAPIKey(provider: .openai, variable: "OPENAI_API_KEY")) {
            try await client(server, provider: .openai, key: nil).send("GET", "models")
        }
        await #expect(throws: ProviderError.missingAPIKey(provider: .together, variable: "TOGETHER_API_KEY")) {
            try await client(server, provider: .together, key: "").send("GET", "models")
        }
        #expect(await server.requests.isEmpty)
    }

    @Test("an undecodable 2xx names the JSON path that differs")
    func invalidResponseNamesPath() async throws {
        let server = try await ScriptedServer.start()
        defer { server.stop() }
        await server.script("GET", "/v1/models", .json(#"{"object":"list","data":[{"id":7,"object":"model","created":1,"owned_by":"x"}]}"#))
        let error = await #expect(throws: ProviderError.self) {
            _ = try await client(server).json("GET", "models", as: ModelList.self)
        }
        guard case .invalidResponse(_, _, let reason)? = error else {
            Issue.record("expected .invalidResponse, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("data[0].id"), "\(reason)")
    }

    @Test("query values are percent-encoded, brackets included")
    func queryEncoding() async throws {
        let server = try await ScriptedServer.start()
        defer { server.stop() }
        await server.script("GET", "/v1/fine_tuning/jobs", .json(#"{"object":"list","data":[],"has_more":false}"#))
        _ = try await client(server).send("GET", "fine_tuning/jobs", query: [("metadata[finetune_request_id]", "a b&c"), ("limit", "1")])
        let request = try #require(await server.requests.first)
        #expect(request.rawQuery == "metadata%5Bfinetune_request_id%5D=a%20b%26c&limit=1")
        #expect(request.query["metadata[finetune_request_id]"] == "a b&c")
    }

    @Test("a multipart upload streams the file with its fields and reports progress up to the total")
    func multipartUpload() async throws {
        let server = try await ScriptedServer.start()
        defer { server.stop() }
        await server.script("POST", "/v1/files", .json(#"{"id":"file-1"}"#))
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("upload-\(UUID().uuidString).jsonl")
        let content = String(repeating: "{\"messages\":[]}\n", count: 40_000)
        try Data(content.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        var form = MultipartForm(boundary: "BOUNDARY")
        form.addField("purpose", "fine-tune")
        try form.addFile("file", url: file)
        let progress = ProgressLog()
        _ = try await client(server).send("POST", "files", body: form.body, progress: { progress.record($0, $1) })
        let request = try #require(await server.requests.first)
        #expect(request.headers["content-type"] == "multipart/form-data; boundary=BOUNDARY")
        #expect(request.headers["content-length"] == String(form.body.length))
        let text = request.text
        #expect(text.hasPrefix("--BOUNDARY\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n"))
        #expect(text.contains("name=\"file\"; filename=\"\(file.lastPathComponent)\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            + content + "\r\n--BOUNDARY--\r\n"))
        #expect(request.body.count == form.body.length)
        let last = try #require(progress.values.last)
        #expect(last.0 == last.1 && last.1 == form.body.length)
        #expect(progress.values.count > 2, "the 640 kB file should go in several chunks")
    }

    @Test("a download lands under its name only when complete")
    func download() async throws {
        let server = try await ScriptedServer.start()
        defer { server.stop() }
        let payload = Data((0..<300_000).map { UInt8($0 % 251) })
        await server.script("GET", "/v1/archive", ScriptedResponse(status: 200, headers: ["Content-Type": "application/x-tar"], body: payload))
        await server.script("GET", "/v1/missing", .error(404, message: "no such job"))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("download-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let target = folder.appendingPathComponent("model.tar.gz")
        let api = client(server)
        let written = try await api.download("archive", to: target)
        #expect(written == payload.count)
        #expect(try Data(contentsOf: target) == payload)
        await #expect(throws: ProviderError.self) { try await api.download("missing", to: folder.appendingPathComponent("other")) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["model.tar.gz"])
    }
}

/// Progress callbacks, recorded.
final class ProgressLog: Sendable {
    private let lock = NSLock()
    nonisolated(unsafe) private var items: [(Int, Int)] = []

    var values: [(Int, Int)] { lock.withLock { items } }

    func record(_ done: Int, _ total: Int) { lock.withLock { items.append((done, total)) } }
}
