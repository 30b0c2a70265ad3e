import Hummingbird
import OpenAIAPI

extension APIError {
    /// The OpenAI-shaped form of any error a handler threw.
    ///
    /// `APIError` passes as is; `RequestValidationError` and `DecodingError` become 400s naming the
    /// parameter; Hummingbird's `HTTPResponseError`s keep their status (a bodiless 404 is an unknown
    /// route); anything else is a 500 that shows only the request id (never the Swift error).
    /// - Parameters:
    ///   - error: What was thrown.
    ///   - request: The request, for the method and path of an unknown route.
    ///   - requestID: The id the client sees in `x-request-id`, quoted in 500 messages.
    public static func converting(_ error: any Error, request: Request, requestID: String?) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as RequestValidationError:
            return .badRequest(error.message, param: error.param, code: error.code)
        case let error as DecodingError:
            return .decoding(error)
        case let error as HTTPError:
            if let body = error.body, !body.isEmpty {
                return APIError(status: error.status, message: body, headers: error.headers)
            }
            // Hummingbird's router throws a bodiless 404 when no route matches.
            let code = error.status == .notFound ? "unknown_url" : nil
            return APIError(
                status: error.status, message: defaultMessage(error.status, request: request), code: code,
                headers: error.headers)
        case let error as any HTTPResponseError:
            return APIError(status: error.status, message: defaultMessage(error.status, request: request))
        default:
            return .internalError(requestID: requestID)
        }
    }

    /// A 400 describing where a JSON body did not fit the expected shape.
    public static func decoding(_ error: DecodingError) -> APIError {
        switch error {
        case .keyNotFound(let key, let context):
            let path = parameterPath(context.codingPath + [key])
            return .badRequest("Missing required parameter: '\(path)'.", param: path)
        case .valueNotFound(let type, let context):
            let path = parameterPath(context.codingPath)
            return .badRequest("Invalid request body: expected \(describe(type)) at '\(path)', found null.", param: path)
        case .typeMismatch(let type, let context):
            if context.codingPath.isEmpty {
                return .badRequest("Invalid request body: expected \(describe(type)).")
            }
            let path = parameterPath(context.codingPath)
            return .badRequest("Invalid request body: expected \(describe(type)) at '\(path)'.", param: path)
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                return .badRequest(notJSONMessage)
            }
            let path = parameterPath(context.codingPath)
            return .badRequest("Invalid request body: \(sentence(context.debugDescription)) at '\(path)'.", param: path)
        @unknown default:
            return .badRequest("Invalid request body.")
        }
    }

    /// The message for a body that does not parse as JSON.
    static let notJSONMessage =
        "The request body is not valid JSON. Send a JSON object with 'Content-Type: application/json'."

    /// `messages.[0].role`: keys joined with dots, array indexes in brackets (as OpenAI writes them).
    static func parameterPath(_ path: [any CodingKey]) -> String {
        path.map { key in key.intValue.map { "[\($0)]" } ?? key.stringValue }.joined(separator: ".")
    }

    private static func defaultMessage(_ status: HTTPResponse.Status, request: Request) -> String {
        switch status {
        case .notFound:
            "Unknown request URL: \(request.method) \(request.uri.path). Check the URL and the HTTP method."
        case .contentTooLarge:
            "The request body is larger than the server accepts."
        case .methodNotAllowed:
            "Method \(request.method) is not allowed on \(request.uri.path)."
        default:
            "\(status.reasonPhrase)."
        }
    }

    /// A JSON type name a user understands, never a Swift type name.
    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type, is Substring.Type: "a string"
        case is Bool.Type: "a boolean"
        case is Int.Type, is Int64.Type, is Int32.Type, is UInt.Type, is UInt64.Type: "an integer"
        case is Double.Type, is Float.Type: "a number"
        default:
            String(describing: type).hasPrefix("Array") ? "an array"
                : String(describing: type).hasPrefix("Dictionary") ? "an object" : "a value of another type"
        }
    }

    private static func sentence(_ text: String) -> String {
        var text = text
        while text.hasSuffix(".") { text.removeLast() }
        guard let first = text.first else { return "invalid value" }
        return first.lowercased() + text.dropFirst()
    }
}
