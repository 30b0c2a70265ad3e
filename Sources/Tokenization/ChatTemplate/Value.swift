// The values a template computes with: Python's types as Jinja sees them. Besides the JSON-like
// `TemplateValue`s this has tuples, markup strings (the result of `safe`/`escape`, which escape what is
// added to them), namespaces (mutable, shared), loop state, functions and undefined values that remember
// why they are undefined, for the message when one is used where a value is needed.

/// A value inside a running template. Lives only for one render; not shared across threads.
enum Value {
    case undefined(Undefined)
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case markup(String)
    case list([Value])
    case tuple([Value])
    case dict(Dict)
    case namespace(Namespace)
    case loop(LoopContext)
    case function(Function)
    /// A dict view (`d.items()`, `d.keys()`, `d.values()`) or a `range(...)`: sized and re-iterable,
    /// but not a list (it prints as `dict_items([...])`, `range(0, 3)`, and tojson refuses it).
    case view(SequenceView)
    /// A one-shot iterator, like the generators `map`, `select` and `selectattr` return: always truthy,
    /// has no length, is used up by iterating it.
    case iterator(ValueIterator)
}

/// Jinja's default `Undefined`: falsy, prints as "", iterates as empty, and raises its message when
/// used as a value (attribute, subscript, arithmetic, call, ordering).
struct Undefined {
    var message: String

    static func missing(_ name: String) -> Undefined { Undefined(message: "\(PythonText.repr(name)) is undefined") }

    /// jinja2's message for a failed attribute or string-key lookup on `owner`.
    static func noAttribute(_ name: String, of owner: Value) -> Undefined {
        Undefined(message: "\(PythonText.repr(owner.objectTypeDescription)) has no attribute \(PythonText.repr(name))")
    }

    /// jinja2's message for a failed integer lookup on `owner`.
    static func noElement(_ index: Int, of owner: Value) -> Undefined {
        Undefined(message: "\(owner.objectTypeDescription) has no element \(index)")
    }

    var error: TemplateError { .runtime(message) }
}

/// An insertion-ordered string-keyed dict.
struct Dict {
    private(set) var keys: [String] = []
    private var storage: [String: Value] = [:]

    init() {}

    init(_ entries: [(String, Value)]) {
        for (key, value) in entries { self[key] = value }
    }

    var count: Int { keys.count }
    var entries: [(key: String, value: Value)] { keys.compactMap { key in storage[key].map { (key, $0) } } }
    var values: [Value] { keys.compactMap { storage[$0] } }

    subscript(key: String) -> Value? {
        get { storage[key] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }
}

/// `namespace(...)`: the one mutable object templates have; `{% set ns.x = ... %}` writes into it from
/// inside loops.
final class Namespace {
    var attributes: Dict
    init(_ attributes: Dict) { self.attributes = attributes }
}

/// The `loop` variable of a for loop.
final class LoopContext {
    let items: [Value]
    var index0 = 0
    var lastChanged: [Value]?
    let depth0: Int

    init(items: [Value], depth0: Int) {
        self.items = items
        self.depth0 = depth0
    }
}

/// `dict_items`, `dict_keys`, `dict_values` or `range` (see `Value.view`).
struct SequenceView {
    enum Kind: Equatable {
        case dictItems, dictKeys, dictValues
        case range(start: Int, stop: Int, step: Int)
    }

    var kind: Kind
    var items: [Value]

    var typeName: String {
        switch kind {
        case .dictItems: "dict_items"
        case .dictKeys: "dict_keys"
        case .dictValues: "dict_values"
        case .range: "range"
        }
    }
}

/// A Python iterator over precomputed items; iterating it consumes them, as in Python.
final class ValueIterator {
    let typeName: String
    private let items: [Value]
    private var position = 0

    init(_ items: [Value], typeName: String = "generator") {
        self.items = items
        self.typeName = typeName
    }

    func next() -> Value? {
        guard position < items.count else { return nil }
        defer { position += 1 }
        return items[position]
    }

    /// The items not yet consumed; consumes them.
    func drain() -> [Value] {
        defer { position = items.count }
        return Array(items[position...])
    }
}

/// A callable: a built-in global or method, or a macro.
struct Function {
    var name: String
    /// Macros (and `caller`) print as `<Macro 'name'>`; built-in functions have no stable text.
    var isMacro = false
    var call: (Arguments) throws(TemplateError) -> Value
}

/// Arguments of a call, as given.
struct Arguments {
    var positional: [Value] = []
    var keywords: [(name: String, value: Value)] = []

    init(_ positional: [Value] = [], keywords: [(name: String, value: Value)] = []) {
        self.positional = positional
        self.keywords = keywords
    }

    /// Binds to Python-style parameters `names`: one slot per name, nil where not given.
    /// - Throws: too many positional arguments, an unknown keyword or one given twice.
    func bind(_ names: [String], function: String) throws(TemplateError) -> [Value?] {
        guard positional.count <= names.count else {
            throw .runtime("\(function)() takes at most \(names.count) argument\(names.count == 1 ? "" : "s") (\(positional.count) given)")
        }
        var slots: [Value?] = positional.map { $0 } + Array(repeating: nil, count: names.count - positional.count)
        for (name, value) in keywords {
            guard let index = names.firstIndex(of: name) else {
                throw .runtime("\(function)() got an unexpected keyword argument \(PythonText.repr(name))")
            }
            guard slots[index] == nil else { throw .runtime("\(function)() got multiple values for argument \(PythonText.repr(name))") }
            slots[index] = value
        }
        return slots
    }
}

extension Value {
    /// How deep printing, comparing and tojson go into nested lists and dicts before giving up.
    static let maximumNesting = 500

    init(_ value: TemplateValue) {
        switch value {
        case .undefined: self = .undefined(Undefined(message: "the value is undefined"))
        case .none: self = .none
        case .bool(let value): self = .bool(value)
        case .int(let value): self = .int(value)
        case .double(let value): self = .double(value)
        case .string(let value): self = .string(value)
        case .array(let values): self = .list(values.map(Value.init))
        case .object(let object): self = .dict(Dict(object.entries.map { ($0.key, Value($0.value)) }))
        }
    }

    /// Python's type name, as in its error messages.
    var typeName: String {
        switch self {
        case .undefined: "Undefined"
        case .none: "NoneType"
        case .bool: "bool"
        case .int: "int"
        case .double: "float"
        case .string: "str"
        case .markup: "Markup"
        case .list: "list"
        case .tuple: "tuple"
        case .dict: "dict"
        case .namespace: "Namespace"
        case .loop: "LoopContext"
        case .function: "builtin_function_or_method"
        case .view(let view): view.typeName
        case .iterator(let iterator): iterator.typeName
        }
    }

    /// jinja2's `object_type_repr`: "None" or "<type> object".
    var objectTypeDescription: String {
        if case .none = self { return "None" }
        return "\(typeName) object"
    }

    /// Python truthiness.
    var isTruthy: Bool {
        switch self {
        case .undefined, .none: false
        case .bool(let value): value
        case .int(let value): value != 0
        case .double(let value): value != 0
        case .string(let value), .markup(let value): !value.isEmpty
        case .list(let values), .tuple(let values): !values.isEmpty
        case .dict(let dict): dict.count > 0
        case .namespace, .loop, .function, .iterator: true
        case .view(let view): !view.items.isEmpty
        }
    }

    var isUndefined: Bool {
        if case .undefined = self { true } else { false }
    }

    /// The text of a `str` or `Markup`.
    var stringValue: String? {
        switch self {
        case .string(let value), .markup(let value): value
        default: nil
        }
    }

    /// An `int` (or `bool`, which is an int in Python).
    var integerValue: Int? {
        switch self {
        case .int(let value): value
        case .bool(let value): value ? 1 : 0
        default: nil
        }
    }

    /// Any number as a Double (bools count as 0 and 1).
    var numberValue: Double? {
        switch self {
        case .int(let value): Double(value)
        case .bool(let value): value ? 1 : 0
        case .double(let value): value
        default: nil
        }
    }

    /// The elements of a list or tuple.
    var sequenceValue: [Value]? {
        switch self {
        case .list(let values), .tuple(let values): values
        default: nil
        }
    }

    /// Throws the undefined value's message if this is undefined.
    func requireDefined() throws(TemplateError) {
        if case .undefined(let undefined) = self { throw undefined.error }
    }
}
