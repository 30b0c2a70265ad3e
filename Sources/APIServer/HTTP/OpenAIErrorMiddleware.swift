import Hummingbird
import Logging

/// Turns everything a later middleware or handler throws into an OpenAI-shaped JSON error
/// (see ``APIError/converting(_:request:requestID:)``), including Hummingbird's own 404 for a URL
/// no route matches.
///
/// A 5xx is logged at error level with the real error; the client sees only the request id.
/// Add it after ``RequestLogMiddleware`` so error responses carry `x-request-id` too:
///
/// ```swift
/// router.add(middleware: RequestLogMiddleware(logger: logger))
/// router.add(middleware: OpenAIErrorMiddleware(logger: logger))
/// router.add(middleware: AuthMiddleware(keys: keys))
/// ```
public struct OpenAIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    /// - Parameter logger: Where server faults (5xx) are logged with their real cause.
    public init(logger: Logger) {
        self.logger = logger
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let requestID = context.apiRequestID
            let apiError = APIError.converting(error, request: request, requestID: requestID)
            if apiError.status.code >= 500 {
                logger.error(
                    "\(request.method) \(request.uri.path) failed: \(String(reflecting: error))",
                    metadata: requestID.map { ["request_id": "\($0)"] })
            } else if !(error is APIError) {
                logger.debug(
                    "\(request.method) \(request.uri.path) → \(apiError.status.code): \(String(reflecting: error))",
                    metadata: requestID.map { ["request_id": "\($0)"] })
            }
            return try apiError.response(from: request, context: context)
        }
    }
}
