/// The body of every non-2xx JSON response: `{"error": {"message", "type", "param", "code"}}`.
public struct APIErrorResponse: Codable, Sendable, Equatable {
    public var error: APIErrorDetail

    public init(error: APIErrorDetail) {
        self.error = error
    }
}

/// The inner error object. All four keys are always present; `param` and `code` as `null` when unset.
public struct APIErrorDetail: Codable, Sendable, Equatable {
    /// A sentence for the user: what happened and what to do.
    public var message: String
    /// `invalid_request_error` for 4xx, `server_error` for 5xx.
    public var type: String
    /// The request field at fault (dotted path, e.g. `hyperparameters.n_epochs`).
    public var param: String?
    /// A machine-readable code (e.g. `model_not_found`).
    public var code: String?

    public init(message: String, type: String, param: String? = nil, code: String? = nil) {
        self.message = message
        self.type = type
        self.param = param
        self.code = code
    }

    enum CodingKeys: String, CodingKey {
        case message, type, param, code
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(message, forKey: .message)
        try container.encode(type, forKey: .type)
        try container.encode(param, forKey: .param)
        try container.encode(code, forKey: .code)
    }
}
