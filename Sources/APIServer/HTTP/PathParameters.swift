import Foundation
import Hummingbird

/// The route parameter `name`, percent-decoded (`%2F` → `/`, `%3A` → `:`).
/// - Parameters:
///   - context: The request context holding the route's parameters.
///   - name: The parameter name as written in the route (`{file_id}` → `file_id`).
/// - Throws: ``APIError`` 400 (param `name`) when the route has no such parameter or it is empty.
public func pathParameter(_ context: some RequestContext, _ name: String) throws -> String {
    guard let raw = context.parameters.get(name), !raw.isEmpty else {
        throw APIError.badRequest("Missing path parameter '\(name)'.", param: name)
    }
    return raw.removingPercentEncoding ?? raw
}

/// The model id after `prefix` in the raw request path, percent-decoded, or nil when the path does
/// not start with `prefix` or nothing follows it.
///
/// Model ids may hold `/` (sent as `%2F`) and `:`; route `router.get("/v1/models/**")` and read
/// the id here so every form reaches the handler whole.
/// - Parameters:
///   - request: The request.
///   - prefix: The path before the id.
public func modelIDFromPath(_ request: Request, prefix: String = "/v1/models/") -> String? {
    let path = request.uri.path
    guard path.hasPrefix(prefix) else { return nil }
    let raw = String(path.dropFirst(prefix.count))
    guard !raw.isEmpty else { return nil }
    let decoded = raw.removingPercentEncoding ?? raw
    return decoded.isEmpty ? nil : decoded
}
