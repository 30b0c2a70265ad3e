import Hummingbird
import OpenAIAPI

/// An error the API reports to the client in OpenAI's shape:
/// `{"error": {"message", "type", "param", "code"}}` with `Content-Type: application/json`.
///
/// Throw it from any handler; ``OpenAIErrorMiddleware`` also turns every other error into one.
///
/// ```swift
/// throw APIError.notFound("No such File object: \(id)", param: "file_id")
/// ```
public struct APIError: Error, HTTPResponseError, Sendable, Equatable {
    public var status: HTTPResponse.Status
    /// A sentence for the user: what happened and what to do.
    public var message: String
    /// `invalid_request_error` for 4xx, `server_error` for 5xx.
    public var type: String
    /// The request field at fault, as a dotted path.
    public var param: String?
    /// A machine-readable code (`model_not_found`, `invalid_api_key`, ...).
    public var code: String?
    /// Extra response headers (e.g. `Allow`).
    public var headers: HTTPFields

    /// An error with `type` derived from the status unless given.
    public init(
        status: HTTPResponse.Status, message: String, type: String? = nil, param: String? = nil, code: String? = nil,
        headers: HTTPFields = [:]
    ) {
        self.status = status
        self.message = message
        self.type = type ?? (status.code >= 500 ? "server_error" : "invalid_request_error")
        self.param = param
        self.code = code
        self.headers = headers
    }

    /// 400: invalid parameters, body, cursor or state transition.
    public static func badRequest(_ message: String, param: String? = nil, code: String? = nil) -> APIError {
        APIError(status: .badRequest, message: message, param: param, code: code)
    }

    /// 404: an unknown file, job or model id.
    public static func notFound(_ message: String, param: String? = nil, code: String? = nil) -> APIError {
        APIError(status: .notFound, message: message, param: param, code: code)
    }

    /// 401: a missing or wrong API key.
    public static func unauthorized(_ message: String, code: String? = nil) -> APIError {
        APIError(status: .unauthorized, message: message, code: code)
    }

    /// 403: an operation the caller may not do (e.g. deleting a base model).
    public static func forbidden(_ message: String, code: String? = nil) -> APIError {
        APIError(status: .forbidden, message: message, code: code)
    }

    /// 413: a body or upload over the server's limit.
    public static func payloadTooLarge(_ message: String) -> APIError {
        APIError(status: .contentTooLarge, message: message)
    }

    /// 500 for a fault inside the server; the real error goes only to the log under `requestID`.
    public static func internalError(requestID: String?) -> APIError {
        let reference = requestID.map { " (request id \($0))" } ?? ""
        return APIError(
            status: .internalServerError,
            message: "The server had an error processing your request\(reference). You can retry your request; if the error persists, check the server log.")
    }

    /// The wire form of this error.
    public var body: APIErrorResponse {
        APIErrorResponse(error: APIErrorDetail(message: message, type: type, param: param, code: code))
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try jsonResponse(body, status: status)
        response.headers.append(contentsOf: headers)
        return response
    }
}

extension APIError: CustomStringConvertible {
    public var description: String {
        "\(status.code) \(type)\(param.map { " [\($0)]" } ?? ""): \(message)"
    }
}
