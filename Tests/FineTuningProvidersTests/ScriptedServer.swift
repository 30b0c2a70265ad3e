import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// One scripted answer of `ScriptedServer`.
struct ScriptedResponse: Sendable {
    var status: Int
    var headers: [String: String] = [:]
    var body: Data = Data()
    /// Waited before answering (to outlast a client's timeout).
    var delay: Duration = .zero

    /// A JSON answer.
    static func json(_ body: String, status: Int = 200, headers: [String: String] = [:], delay: Duration = .zero) -> ScriptedResponse {
        var headers = headers
        headers["Content-Type"] = headers["Content-Type"] ?? "application/json"
        return ScriptedResponse(status: status, headers: headers, body: Data(body.utf8), delay: delay)
    }

    /// OpenAI's error shape.
    static func error(_ status: Int, message: String, code: String? = nil, param: String? = nil,
                      headers: [String: String] = [:]) -> ScriptedResponse {
        func quoted(_ text: String?) -> String { text.map { "\"\($0)\"" } ?? "null" }
        let type = status >= 500 ? "server_error" : "invalid_request_error"
        return json(#"{"error":{"message":"\#(message)","type":"\#(type)","param":\#(quoted(param)),"code":\#(quoted(code))}}"#,
                    status: status, headers: headers)
    }
}

/// A request as `ScriptedServer` saw it.
struct RecordedRequest: Sendable {
    var method: String
    var path: String
    /// The raw query string (without `?`), nil when none.
    var rawQuery: String?
    /// Lowercased names.
    var headers: [String: String]
    var body: Data

    /// Query pairs, percent-decoded.
    var query: [String: String] {
        var pairs: [String: String] = [:]
        for pair in (rawQuery ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0]).removingPercentEncoding ?? String(parts[0])
            pairs[name] = parts.count > 1 ? (String(parts[1]).removingPercentEncoding ?? String(parts[1])) : ""
        }
        return pairs
    }

    var text: String { String(decoding: body, as: UTF8.self) }

    /// The body as a JSON object.
    var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] }
}

/// A real HTTP server on 127.0.0.1 (a free port) that answers each "METHOD path" with its scripted responses
/// in order (the last one repeats) and records every request. Unscripted requests get a 404 in OpenAI's shape.
///
/// ```swift
/// let server = try await ScriptedServer.start()
/// defer { server.stop() }
/// await server.script("GET", "/v1/models", .json(#"{"object":"list","data":[]}"#))
/// ```
final class ScriptedServer: Sendable {
    private actor State {
        var scripts: [String: [ScriptedResponse]] = [:]
        var requests: [RecordedRequest] = []

        func add(_ key: String, _ responses: [ScriptedResponse]) { scripts[key, default: []] += responses }

        func next(for request: RecordedRequest) -> ScriptedResponse? {
            requests.append(request)
            let key = "\(request.method) \(request.path)"
            guard var queue = scripts[key], let first = queue.first else { return nil }
            if queue.count > 1 { queue.removeFirst() }
            scripts[key] = queue
            return first
        }
    }

    private let state: State
    private let task: Task<Void, any Error>
    let port: Int

    private init(task: Task<Void, any Error>, port: Int, state: State) {
        self.task = task
        self.port = port
        self.state = state
    }

    /// `http://127.0.0.1:<port>`.
    var baseURL: URL { URL(string: "http://127.0.0.1:\(port)")! }

    /// Starts listening; returns once the port is known.
    static func start() async throws -> ScriptedServer {
        let state = State()
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            try await Self.respond(to: request, state: state)
        }
        var logger = Logger(label: "scripted-server")
        logger.logLevel = .critical
        let app = Application(
            responder: responder, configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "scripted"),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            },
            logger: logger)
        let task = Task { try await app.runService(gracefulShutdownSignals: []) }
        var port = 0
        for await value in ports { port = value }
        guard port > 0 else {
            task.cancel()
            throw CancellationError()
        }
        return ScriptedServer(task: task, port: port, state: state)
    }

    /// Stops the server.
    func stop() { task.cancel() }

    /// Queues answers for `METHOD path` (the path without the query).
    func script(_ method: String, _ path: String, _ responses: ScriptedResponse...) async {
        await state.add("\(method) \(path)", responses)
    }

    /// Every request so far, in order.
    var requests: [RecordedRequest] {
        get async { await state.requests }
    }

    /// The requests to `METHOD path`.
    func requests(_ method: String, _ path: String) async -> [RecordedRequest] {
        await state.requests.filter { $0.method == method && $0.path == path }
    }

    private static func respond(to request: Request, state: State) async throws -> Response {
        var request = request
        let buffer = try await request.collectBody(upTo: 64 << 20)
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName.lowercased()] = field.value }
        let recorded = RecordedRequest(method: request.method.rawValue, path: request.uri.path, rawQuery: request.uri.query,
                                       headers: headers, body: Data(buffer.readableBytesView))
        guard let scripted = await state.next(for: recorded) else {
            let missing = ScriptedResponse.error(404, message: "no script for \(recorded.method) \(recorded.path)", code: "unscripted")
            return response(missing)
        }
        if scripted.delay > .zero { try await Task.sleep(for: scripted.delay) }
        return response(scripted)
    }

    private static func response(_ scripted: ScriptedResponse) -> Response {
        var fields = HTTPFields()
        for (name, value) in scripted.headers {
            if let field = HTTPField.Name(name) { fields[field] = value }
        }
        return Response(status: HTTPResponse.Status(code: scripted.status), headers: fields,
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: scripted.body)))
    }
}
