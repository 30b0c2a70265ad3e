// `a.b`, `a[b]` and `a[i:j:k]` as jinja2's sandboxed environment resolves them:
// - `a.b` tries Python's attribute first (so `message.items` is the dict method), then the key;
// - `a[b]` tries the key or index first, then (for a string key) the attribute;
// - a miss gives an undefined value carrying jinja2's message, which only fails when used;
// - the undefined value itself fails on any lookup.

enum TemplateLookup {
    static func attribute(_ name: String, of value: Value) throws(TemplateError) -> Value {
        switch value {
        case .undefined(let undefined):
            throw undefined.error
        case .dict(let dict):
            if let method = try TemplateMethods.method(name, of: value) { return method }
            return dict[name] ?? .undefined(.noAttribute(name, of: value))
        case .namespace(let namespace):
            return namespace.attributes[name] ?? .undefined(.noAttribute(name, of: value))
        case .loop(let loop):
            return try loopAttribute(name, of: loop) ?? .undefined(.noAttribute(name, of: value))
        default:
            if let method = try TemplateMethods.method(name, of: value) { return method }
            return .undefined(.noAttribute(name, of: value))
        }
    }

    static func item(_ key: Value, of value: Value) throws(TemplateError) -> Value {
        try value.requireDefined()
        switch value {
        case .dict(let dict):
            if let name = key.stringValue {
                if let found = dict[name] { return found }
                return try attribute(name, of: value)
            }
        case .list(let items), .tuple(let items):
            if let index = key.integerValue {
                return element(items, index) ?? .undefined(.noElement(index, of: value))
            }
        case .view(let view):
            if case .range = view.kind, let index = key.integerValue {
                return element(view.items, index) ?? .undefined(.noElement(index, of: value))
            }
        case .string(let text), .markup(let text):
            if let index = key.integerValue {
                let scalars = Array(text.unicodeScalars)
                let position = index < 0 ? index + scalars.count : index
                guard scalars.indices.contains(position) else { return .undefined(.noElement(index, of: value)) }
                return .string(String(scalars[position]))
            }
        default:
            break
        }
        if let name = key.stringValue { return try attribute(name, of: value) }
        return .undefined(Undefined(message: "\(value.objectTypeDescription) has no element \(try key.repr())"))
    }

    private static func element(_ items: [Value], _ index: Int) -> Value? {
        let position = index < 0 ? index + items.count : index
        return items.indices.contains(position) ? items[position] : nil
    }

    /// Python slicing of a list, tuple or string. jinja2 compiles a slice to a plain Python subscript,
    /// so slicing anything else is an error (not an undefined value as other lookups give).
    static func slice(_ value: Value, start: Value?, stop: Value?, step: Value?) throws(TemplateError) -> Value {
        try value.requireDefined()
        switch value {
        case .list, .tuple, .string, .markup, .view: break
        case .dict: throw .runtime("unhashable type: 'slice'")
        default: throw .runtime("'\(value.typeName)' object is not subscriptable")
        }
        func bound(_ value: Value?) throws(TemplateError) -> Int? {
            guard let value else { return nil }
            if case .none = value { return nil }
            guard let integer = value.integerValue else {
                throw .runtime("slice indices must be integers or None or have an __index__ method")
            }
            return integer
        }
        let startIndex = try bound(start)
        let stopIndex = try bound(stop)
        let stepValue = try bound(step) ?? 1
        guard stepValue != 0 else { throw .runtime("slice step cannot be zero") }
        func positions(_ count: Int) -> [Int] {
            func clamp(_ index: Int?, _ fallback: Int, _ low: Int, _ high: Int) -> Int {
                guard var index else { return fallback }
                if index < 0 { index += count }
                return min(max(index, low), high)
            }
            if stepValue > 0 {
                let from = clamp(startIndex, 0, 0, count)
                let to = clamp(stopIndex, count, 0, count)
                return Array(stride(from: from, to: to, by: stepValue))
            }
            let from = clamp(startIndex, count - 1, -1, count - 1)
            let to = clamp(stopIndex, -1, -1, count - 1)
            return Array(stride(from: from, to: to, by: stepValue))
        }
        switch value {
        case .list(let items): return .list(positions(items.count).map { items[$0] })
        case .tuple(let items): return .tuple(positions(items.count).map { items[$0] })
        case .string(let text), .markup(let text):
            let scalars = Array(text.unicodeScalars)
            let result = PythonText.string(positions(scalars.count).map { scalars[$0] })
            if case .markup = value { return .markup(result) }
            return .string(result)
        case .view(let view):
            if case .range = view.kind { throw .unsupported("slicing a range (convert it with '| list' first)") }
            throw .runtime("'\(view.typeName)' object is not subscriptable")
        default:
            throw .runtime("'\(value.typeName)' object is not subscriptable")
        }
    }

    /// `loop.index`, `loop.first`, `loop.cycle(...)`, ...
    static func loopAttribute(_ name: String, of loop: LoopContext) throws(TemplateError) -> Value? {
        let length = loop.items.count
        let index0 = loop.index0
        switch name {
        case "index": return .int(index0 + 1)
        case "index0": return .int(index0)
        case "revindex": return .int(length - index0)
        case "revindex0": return .int(length - index0 - 1)
        case "first": return .bool(index0 == 0)
        case "last": return .bool(index0 == length - 1)
        case "length": return .int(length)
        case "depth": return .int(loop.depth0 + 1)
        case "depth0": return .int(loop.depth0)
        case "previtem":
            return index0 > 0 ? loop.items[index0 - 1] : .undefined(Undefined(message: "there is no previous item"))
        case "nextitem":
            return index0 + 1 < length ? loop.items[index0 + 1] : .undefined(Undefined(message: "there is no next item"))
        case "cycle":
            return .function(Function(name: "cycle") { (arguments: Arguments) throws(TemplateError) -> Value in
                guard !arguments.positional.isEmpty else { throw .runtime("no items for cycling given") }
                return arguments.positional[loop.index0 % arguments.positional.count]
            })
        case "changed":
            return .function(Function(name: "changed") { (arguments: Arguments) throws(TemplateError) -> Value in
                let values = arguments.positional
                if let last = loop.lastChanged, last.count == values.count, zip(last, values).allSatisfy({ $0.isEqual(to: $1) }) {
                    return .bool(false)
                }
                loop.lastChanged = values
                return .bool(true)
            })
        default:
            return nil
        }
    }
}
