import HTTPTypes
import Hummingbird
import Logging

/// Gives every request an id (`req_` + 24 letters and digits), returns it in `x-request-id` on
/// every response (errors included), and logs one line per request at info level:
/// `POST /v1/files 200 12.3ms req_…`.
///
/// Add it first so it wraps ``OpenAIErrorMiddleware``. Later code reads the id from
/// `context.apiRequestID`.
public struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    /// - Parameter logger: Where the per-request lines go.
    public init(logger: Logger) {
        self.logger = logger
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let requestID = RequestIdentifier.make()
        var context = context
        context.logger[metadataKey: RequestIdentifier.metadataKey] = "\(requestID)"
        let start = ContinuousClock.now
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            // Only reached when no OpenAIErrorMiddleware sits below; still answer with the id.
            response = try error.response(from: request, context: context)
        } catch {
            log(request, status: "error", since: start, requestID: requestID)
            throw error
        }
        response.headers[.requestID] = requestID
        log(request, status: "\(response.status.code)", since: start, requestID: requestID)
        return response
    }

    private func log(_ request: Request, status: String, since start: ContinuousClock.Instant, requestID: String) {
        let elapsed = ContinuousClock.now - start
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        let rounded = (milliseconds * 10).rounded() / 10
        logger.info("\(request.method) \(request.uri.path) \(status) \(rounded)ms \(requestID)")
    }
}

/// Request ids: `req_` followed by 24 random letters and digits.
enum RequestIdentifier {
    /// The logger metadata key holding the current request's id.
    static let metadataKey = "request_id"

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")

    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return "req_" + String((0..<24).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }
}

extension HTTPField.Name {
    /// `x-request-id`, set on every response.
    public static var requestID: Self {
        // A valid header token written out here; the initializer only fails on invalid tokens.
        guard let name = Self("x-request-id") else { preconditionFailure("x-request-id is a valid field name") }
        return name
    }
}

extension RequestContext {
    /// The id ``RequestLogMiddleware`` gave this request (as sent in `x-request-id`), if it ran.
    public var apiRequestID: String? {
        logger[metadataKey: RequestIdentifier.metadataKey].map { "\($0)" }
    }
}
