/// A value given to a chat template: the JSON-like data a template reads (`messages`, `tools`, ...).
///
/// Objects keep their key order, as Python dicts do, so `tojson` writes keys in the order they were given.
/// Literals build values directly:
///
/// ```swift
/// let message: TemplateValue = ["role": "user", "content": "Hello"]
/// let tools = try TemplateValue(json: #"[{"type": "function", "function": {"name": "f"}}]"#)
/// ```
public enum TemplateValue: Sendable, Equatable {
    /// A value that is not there; `is defined` is false and it prints as nothing.
    case undefined
    /// Python's `None` (JSON `null`).
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([TemplateValue])
    case object(TemplateObject)
}

/// A string-keyed map that keeps insertion order, like a Python dict.
///
/// Two objects are equal when they hold the same keys with equal values, in any order (as in Python).
public struct TemplateObject: Sendable, Equatable {
    /// The keys in insertion order.
    public private(set) var keys: [String] = []
    private var storage: [String: TemplateValue] = [:]

    /// An empty object.
    public init() {}

    /// An object with `entries` in order; a repeated key keeps its first position and its last value.
    public init(_ entries: [(key: String, value: TemplateValue)]) {
        for entry in entries { self[entry.key] = entry.value }
    }

    /// The number of keys.
    public var count: Int { keys.count }

    /// The key-value pairs in order.
    public var entries: [(key: String, value: TemplateValue)] {
        keys.compactMap { key in storage[key].map { (key, $0) } }
    }

    /// The value for `key`; setting a new key appends it, setting `nil` removes it.
    public subscript(key: String) -> TemplateValue? {
        get { storage[key] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    public static func == (lhs: TemplateObject, rhs: TemplateObject) -> Bool {
        lhs.storage == rhs.storage
    }
}

extension TemplateValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .none }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: TemplateValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, TemplateValue)...) {
        self = .object(TemplateObject(elements.map { (key: $0.0, value: $0.1) }))
    }
}

extension TemplateValue {
    /// A chat message object: `{"role": role, "content": content}`.
    public static func message(role: String, content: String) -> TemplateValue {
        ["role": .string(role), "content": .string(content)]
    }

    /// The string, if this is one.
    public var stringValue: String? {
        if case .string(let value) = self { value } else { nil }
    }

    /// The elements, if this is an array.
    public var arrayValue: [TemplateValue]? {
        if case .array(let value) = self { value } else { nil }
    }

    /// The object, if this is one.
    public var objectValue: TemplateObject? {
        if case .object(let value) = self { value } else { nil }
    }

    /// The member `key` of an object, nil otherwise.
    public subscript(key: String) -> TemplateValue? {
        objectValue?[key]
    }
}
