/// A cursor page: `{"object":"list", "data", "has_more", "first_id", "last_id"}`.
///
/// `has_more` must be exact: the SDK keeps asking for pages while it is true.
public struct ListPage<Item: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    public var object: String
    public var data: [Item]
    public var hasMore: Bool
    public var firstID: String?
    public var lastID: String?

    public init(object: String = "list", data: [Item], hasMore: Bool, firstID: String? = nil, lastID: String? = nil) {
        self.object = object
        self.data = data
        self.hasMore = hasMore
        self.firstID = firstID
        self.lastID = lastID
    }

    enum CodingKeys: String, CodingKey {
        case object, data
        case hasMore = "has_more"
        case firstID = "first_id"
        case lastID = "last_id"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(object, forKey: .object)
        try container.encode(data, forKey: .data)
        try container.encode(hasMore, forKey: .hasMore)
        try container.encode(firstID, forKey: .firstID)
        try container.encode(lastID, forKey: .lastID)
    }
}

extension ListPage where Item: Identifiable, Item.ID == String {
    /// A page whose `first_id` and `last_id` are the ids of its first and last items.
    public init(data: [Item], hasMore: Bool) {
        self.init(data: data, hasMore: hasMore, firstID: data.first?.id, lastID: data.last?.id)
    }
}

/// `GET /v1/models`: `{"object":"list","data":[Model]}`, not paginated.
public struct ModelList: Codable, Sendable, Equatable {
    public var object: String
    public var data: [Model]

    public init(object: String = "list", data: [Model]) {
        self.object = object
        self.data = data
    }
}

/// The answer to a DELETE: `{"id", "object", "deleted"}`.
public struct DeletionStatus: Codable, Sendable, Equatable {
    public var id: String
    /// The deleted object's type: `file` or `model`.
    public var object: String
    public var deleted: Bool

    public init(id: String, object: String, deleted: Bool = true) {
        self.id = id
        self.object = object
        self.deleted = deleted
    }
}

/// A model as `/v1/models` lists it.
public struct Model: Codable, Sendable, Equatable, Identifiable {
    public var id: String
    public var object: String
    /// Unix seconds (the key is `created`, not `created_at`).
    public var created: Int
    /// `system` for base models, the organization id for fine-tuned ones.
    public var ownedBy: String

    public init(id: String, object: String = "model", created: Int, ownedBy: String) {
        self.id = id
        self.object = object
        self.created = created
        self.ownedBy = ownedBy
    }

    enum CodingKeys: String, CodingKey {
        case id, object, created
        case ownedBy = "owned_by"
    }
}
