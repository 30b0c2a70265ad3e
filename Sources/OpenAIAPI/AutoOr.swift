/// A hyperparameter that is either `"auto"` or a number: `"n_epochs": "auto"` or `"n_epochs": 3`.
///
/// Decoding accepts the string `"auto"` or a `Value`; any other string is
/// `DecodingError.dataCorrupted` at that coding path. With `Value == Int`, `3.0` may decode as 3
/// but `2.5` fails.
public enum AutoOr<Value: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    case auto
    case value(Value)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            guard text == "auto" else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "Expected \"auto\" or a number, found the string \"\(text)\"")
            }
            self = .auto
            return
        }
        self = .value(try container.decode(Value.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .auto: try container.encode("auto")
        case .value(let value): try container.encode(value)
        }
    }

    /// The number, or nil for `.auto`.
    public var value: Value? {
        if case .value(let value) = self { return value }
        return nil
    }
}
