import Hummingbird

/// Checks `Authorization: Bearer <key>` against the configured API keys.
///
/// With no keys configured every request passes. Otherwise a missing header or an unknown key is
/// a 401 in OpenAI's shape (thrown as ``APIError``, so put this after ``OpenAIErrorMiddleware``).
/// `/health` and any `exemptPathPrefixes` (e.g. a one-time upload URL) need no key.
public struct AuthMiddleware<Context: RequestContext>: RouterMiddleware {
    private let keys: [[UInt8]]
    private let exemptPaths: Set<String>
    private let exemptPathPrefixes: [String]

    /// - Parameters:
    ///   - keys: Accepted API keys; empty turns authentication off.
    ///   - exemptPaths: Paths served without a key.
    ///   - exemptPathPrefixes: Path prefixes served without a key.
    public init(keys: Set<String>, exemptPaths: Set<String> = ["/health"], exemptPathPrefixes: [String] = []) {
        self.keys = keys.map { Array($0.utf8) }
        self.exemptPaths = exemptPaths
        self.exemptPathPrefixes = exemptPathPrefixes
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard !keys.isEmpty, !isExempt(request.uri.path) else {
            return try await next(request, context)
        }
        guard let header = request.headers[.authorization], let presented = Self.bearerToken(header) else {
            throw APIError.unauthorized(
                "Missing bearer authentication in header. Send 'Authorization: Bearer <API key>'.")
        }
        guard matchesAnyKey(Array(presented.utf8)) else {
            throw APIError.unauthorized("Incorrect API key provided.", code: "invalid_api_key")
        }
        return try await next(request, context)
    }

    private func isExempt(_ path: String) -> Bool {
        exemptPaths.contains(path) || exemptPathPrefixes.contains { path.hasPrefix($0) }
    }

    /// The token of a `Bearer <token>` header (scheme case-insensitive), or nil.
    static func bearerToken(_ header: String) -> Substring? {
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].drop { $0 == " " }
        return token.isEmpty ? nil : token
    }

    /// Compares against every key without stopping early, so timing does not reveal how much of a
    /// key matched.
    private func matchesAnyKey(_ presented: [UInt8]) -> Bool {
        var matched = false
        for key in keys {
            matched = Self.constantTimeEquals(key, presented) || matched
        }
        return matched
    }

    static func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: lhs.count ^ rhs.count)
        if lhs.count != rhs.count { difference |= 1 }
        let count = max(lhs.count, rhs.count)
        for index in 0..<count {
            let left = index < lhs.count ? lhs[index] : 0
            let right = index < rhs.count ? rhs[index] : 0
            difference |= left ^ right
        }
        return difference == 0
    }
}
