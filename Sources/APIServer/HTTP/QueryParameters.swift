import Foundation
import Hummingbird

/// The query string as `(name, value)` pairs, names and values percent-decoded and `+` read as a
/// space (Hummingbird's `queryParameters` leaves names encoded, and the SDK encodes the brackets of
/// `metadata[k]` as `%5B`/`%5D`).
public struct QueryParameters: Sendable, Equatable {
    /// Every pair in the order sent.
    public var items: [(name: String, value: String)]

    public init(_ request: Request) {
        self.init(query: request.uri.query)
    }

    /// Parses a raw query string (without the `?`).
    public init(query: String?) {
        guard let query, !query.isEmpty else {
            items = []
            return
        }
        items = query.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.decode(parts[0])
            let value = parts.count > 1 ? Self.decode(parts[1]) : ""
            return (name, value)
        }
    }

    /// The first value of `name`, or nil when absent.
    public subscript(name: String) -> String? {
        items.first { $0.name == name }?.value
    }

    public static func == (lhs: QueryParameters, rhs: QueryParameters) -> Bool {
        lhs.items.elementsEqual(rhs.items) { $0.name == $1.name && $0.value == $1.value }
    }

    private static func decode(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}

/// Cursor pagination from `?limit=&after=&order=`.
public struct PageQuery: Sendable, Equatable {
    /// How many items to return.
    public var limit: Int
    /// Id of the last item of the previous page; nil for the first page.
    public var after: String?
    /// Oldest first (`order=asc`); newest first by default. Only files honour it.
    public var ascending: Bool

    public init(limit: Int, after: String? = nil, ascending: Bool = false) {
        self.limit = limit
        self.after = after
        self.ascending = ascending
    }

    /// Reads `limit`, `after` and `order` from the request's query.
    /// - Parameters:
    ///   - request: The request.
    ///   - defaultLimit: The limit when none is given.
    ///   - maxLimit: The largest limit accepted.
    /// - Throws: ``APIError`` 400 when `limit` is not an integer in `1...maxLimit` (param `limit`)
    ///   or `order` is neither `asc` nor `desc` (param `order`).
    public static func parse(_ request: Request, defaultLimit: Int, maxLimit: Int = 10_000) throws -> PageQuery {
        try parse(QueryParameters(request), defaultLimit: defaultLimit, maxLimit: maxLimit)
    }

    /// ``parse(_:defaultLimit:maxLimit:)`` on already parsed query parameters.
    public static func parse(_ query: QueryParameters, defaultLimit: Int, maxLimit: Int = 10_000) throws -> PageQuery {
        var page = PageQuery(limit: defaultLimit)
        if let text = query["limit"] {
            guard let limit = Int(text.trimmingCharacters(in: .whitespaces)), (1...maxLimit).contains(limit) else {
                throw APIError.badRequest(
                    "Invalid 'limit': '\(text)'. Expected an integer between 1 and \(maxLimit).", param: "limit")
            }
            page.limit = limit
        }
        if let after = query["after"], !after.isEmpty {
            page.after = after
        }
        switch query["order"] {
        case nil, "", "desc": page.ascending = false
        case "asc": page.ascending = true
        case let other?:
            throw APIError.badRequest("Invalid 'order': '\(other)'. Expected 'asc' or 'desc'.", param: "order")
        }
        return page
    }
}

/// The `metadata` filter of `jobs.list`: `metadata[k]=v` pairs (all must match exactly; an empty
/// value matches an empty value), or the literal `metadata=null` for jobs without metadata.
public enum MetadataFilter: Sendable, Equatable {
    /// No filter.
    case none
    /// Only jobs whose metadata is null.
    case isNull
    /// Only jobs whose metadata holds every one of these pairs.
    case pairs([String: String])
}

/// The ``MetadataFilter`` in the request's query (`metadata[k]=v` pairs win over `metadata=null`;
/// a repeated key keeps its last value).
public func metadataFilter(_ request: Request) -> MetadataFilter {
    metadataFilter(QueryParameters(request))
}

/// The metadata filter in already parsed query parameters.
public func metadataFilter(_ query: QueryParameters) -> MetadataFilter {
    var pairs: [String: String] = [:]
    var isNull = false
    for (name, value) in query.items {
        if name == "metadata" {
            isNull = isNull || value == "null"
        } else if name.hasPrefix("metadata["), name.hasSuffix("]") {
            let key = String(name.dropFirst("metadata[".count).dropLast())
            pairs[key] = value
        }
    }
    if !pairs.isEmpty { return .pairs(pairs) }
    return isNull ? .isNull : .none
}
