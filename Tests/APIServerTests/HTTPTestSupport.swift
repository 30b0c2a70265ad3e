import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import OpenAIAPI
import Synchronization
@testable import APIServer

/// A tiny app with the server's middleware stack (log → OpenAI errors → auth) and routes that
/// exercise the HTTP helpers.
enum HTTPTestApp {
    /// Thrown by `/boom`; its name must never reach a response.
    struct SecretInternalFailure: Error {}

    /// Every body-less request field optional, so an empty body decodes.
    struct OptionalBody: Codable, Equatable {
        var note: String?
    }

    static let bodyLimit = 256

    static func make(keys: Set<String> = [], logs: HTTPLogCapture = HTTPLogCapture()) -> some ApplicationProtocol {
        let logger = logs.logger
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: RequestLogMiddleware(logger: logger))
        router.add(middleware: OpenAIErrorMiddleware(logger: logger))
        router.add(middleware: AuthMiddleware(keys: keys))
        router.get("health") { _, _ in try jsonResponse(["status": "ok"]) }
        router.get("ok") { _, _ in try jsonResponse(Model(id: "m/with/slash", created: 1, ownedBy: "system")) }
        router.post("created") { _, _ in try jsonResponse(DeletionStatus(id: "x", object: "file"), status: .created) }
        router.get("api-error") { _, _ -> Response in
            throw APIError.notFound("No such file: 'file-x'", param: "file_id", code: "file_not_found")
        }
        router.get("boom") { _, _ -> Response in throw SecretInternalFailure() }
        router.get("http-error") { _, _ -> Response in throw HTTPError(.badRequest, message: "Bad thing happened") }
        router.get("validation") { _, _ -> Response in
            throw RequestValidationError(message: "Nope", param: "method.type", code: "unsupported")
        }
        router.post("jobs") { request, context in
            let body = try await request.decodeJSON(CreateFineTuningJobRequest.self, context: context, limit: bodyLimit)
            try body.validate()
            return try jsonResponse(body)
        }
        router.post("optional") { request, context in
            try jsonResponse(try await request.decodeJSON(OptionalBody.self, context: context, limit: bodyLimit))
        }
        router.post("collect") { request, _ -> Response in
            _ = try await request.body.collect(upTo: 4)
            return Response(status: .ok)
        }
        router.get("page") { request, _ in
            let page = try PageQuery.parse(request, defaultLimit: 20, maxLimit: 100)
            return try jsonResponse(["limit": "\(page.limit)", "after": page.after ?? "-", "asc": "\(page.ascending)"])
        }
        router.get("v1/models") { _, _ in try jsonResponse(ModelList(data: [])) }
        router.get("v1/models/**") { request, _ in
            guard let id = modelIDFromPath(request, prefix: "/v1/models/") else {
                throw APIError.badRequest("Missing the model id", param: "model")
            }
            return try jsonResponse(Model(id: id, created: 0, ownedBy: "system"))
        }
        router.get("v1/files/{file_id}") { _, context in
            try jsonResponse(DeletionStatus(id: try pathParameter(context, "file_id"), object: "file"))
        }
        return Application(router: router)
    }
}

/// Collects log lines so tests can read them.
final class HTTPLogCapture: Sendable {
    private let lines = Mutex<[(level: Logger.Level, message: String)]>([])

    var logger: Logger {
        Logger(label: "http-test") { _ in CaptureHandler(capture: self) }
    }

    var entries: [(level: Logger.Level, message: String)] {
        lines.withLock { $0 }
    }

    fileprivate func append(_ level: Logger.Level, _ message: String) {
        lines.withLock { $0.append((level, message)) }
    }

    private struct CaptureHandler: LogHandler {
        let capture: HTTPLogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            capture.append(event.level, "\(event.message)")
        }
    }
}

extension TestResponse {
    /// The `{"error": {...}}` body, decoded.
    func httpErrorDetail() throws -> APIErrorDetail {
        try OpenAIJSON.decoder().decode(APIErrorResponse.self, from: Data(body.readableBytesView)).error
    }

    /// The body as a generic JSON object.
    func httpJSONObject() throws -> [String: JSONValue] {
        let value = try OpenAIJSON.decoder().decode(JSONValue.self, from: Data(body.readableBytesView))
        guard case .object(let object) = value else { throw APIError.badRequest("not an object") }
        return object
    }

    var httpBodyText: String { String(decoding: body.readableBytesView, as: UTF8.self) }
}

/// JSON request headers, optionally with a bearer key.
func httpJSONHeaders(key: String? = nil) -> HTTPFields {
    var headers = HTTPFields()
    headers[.contentType] = "application/json"
    if let key { headers[.authorization] = "Bearer \(key)" }
    return headers
}
