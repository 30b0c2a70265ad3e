// Filters on lists and dicts: first, last, join, list, map, select/reject, selectattr/rejectattr,
// items, dictsort, reverse, sort, unique, sum, min, max. Where jinja2 returns a generator or an
// iterator (map, select*, reject*, items, unique, reverse) these return a one-shot `.iterator`, so
// truthiness, `length` and printing behave as in Python.

extension TemplateFilters {
    /// jinja2's `make_attrgetter`: "a.b.0" looks up each part (integers as indexes) on the item.
    static func attributeGetter(_ attribute: Value?, default fallback: Value? = nil, lowercase: Bool = false)
        -> (Value) throws(TemplateError) -> Value
    {
        let parts: [Value] = {
            guard let attribute else { return [] }
            if let integer = attribute.integerValue { return [.int(integer)] }
            return (attribute.stringValue ?? "").split(separator: ".", omittingEmptySubsequences: false).map { part in
                Int(part).map(Value.int) ?? .string(String(part))
            }
        }()
        return { (item: Value) throws(TemplateError) -> Value in
            var value = item
            for part in parts {
                value = try TemplateLookup.item(part, of: value)
                if let fallback, value.isUndefined { value = fallback }
            }
            if lowercase, let text = value.stringValue { return .string(PythonText.lower(text)) }
            return value
        }
    }

    /// A filter or test named by a value, as jinja2 looks it up in a dict.
    private static func lookupName(_ value: Value, kind: String) throws(TemplateError) -> String {
        if let name = value.stringValue { return name }
        switch value {
        case .list, .dict, .namespace: throw .runtime("unhashable type: '\(value.typeName)'")
        default: throw .runtime("No \(kind) named \(try value.repr()).")
        }
    }

    static func first(_ value: Value, _ arguments: Arguments) throws(TemplateError) -> Value {
        let item = if case .iterator(let iterator) = value { iterator.next() } else { try value.iterated().first }
        return item ?? .undefined(Undefined(message: "No first item, sequence was empty."))
    }

    static func last(_ value: Value, _ arguments: Arguments) throws(TemplateError) -> Value {
        if case .iterator(let iterator) = value { throw .runtime("'\(iterator.typeName)' object is not reversible") }
        return try value.iterated().last ?? .undefined(Undefined(message: "No last item, sequence was empty."))
    }

    static func join(_ value: Value, _ arguments: Arguments) throws(TemplateError) -> Value {
        let slots = try arguments.bind(["d", "attribute"], function: "join")
        let separator = try slots[0]?.text() ?? ""
        let getter = attributeGetter(slots[1])
        var parts: [String] = []
        for item in try value.iterated() {
            parts.append(try (slots[1] == nil ? item : try getter(item)).text())
        }
        return .string(parts.joined(separator: separator))
    }

    static func list(_ value: Value, _ arguments: Arguments) throws(TemplateError) -> Value {
        .list(try value.iterated())
    }

    static func map(_ value: Value, _ arguments: Arguments) throws(TemplateError) -> Value {
        // jinja2 looks at the arguments only when the value is truthy: `none|map(...)` is empty.
        guard value.isTruthy else { return .iterator(ValueIterator([])) }
        let items = try value.iterated()
        var results: [Value] = []
        if arguments.positional.isEmpty, let attribute = arguments.keywords.first(where: { $0.name == "attribute" })?.value {
            var fallback: Value?
            for keyword in arguments.keywords where keyword.name != "attribute" {
                guard keyword.name == "default" else {
                    throw .runtime("Unexpected keyword argument \(PythonText.repr(keyword.name))")
                }
                fallback = keyword.value
            }
            let getter = attributeGetter(attribute, default: fallback.flatMap { if case .none = $0 { nil } else { $0 } })
            for item in items { results.append(try getter(item)) }
            return .iterator(ValueIterator(results))
        }
        guard let first = arguments.positional.first else { throw .runtime("map requires a filter argument") }
        let name = try lookupName(first, kind: "filter")
        let rest = Arguments(Array(arguments.positional.dropFirst()), keywords: arguments.keywords)
        for item in items { results.append(try apply(name, to: item, rest)) }
        return .iterator(ValueIterator(results))
    }

    /// select / reject / selectattr / rejectattr: keep the items whose (attribute) passes the test, or
    /// is truthy when no test is named.
    private static func filterItems(_ value: Value, _ arguments: Arguments, byAttribute: Bool, keep: Bool) throws(TemplateError) -> Value {
        guard value.isTruthy else { return .iterator(ValueIterator([])) }
        var positional = arguments.positional
        var getter: ((Value) throws(TemplateError) -> Value)?
        if byAttribute {
            guard !positional.isEmpty else { throw .runtime("Missing parameter for attribute name") }
            getter = attributeGetter(positional.removeFirst())
        }
        let testName = positional.isEmpty ? nil : try lookupName(positional.removeFirst(), kind: "test")
        let testArguments = Arguments(positional, keywords: arguments.keywords)
        var kept: [Value] = []
        for item in try value.iterated() {
            let subject = try getter.map { (get: (Value) throws(TemplateError) -> Value) throws(TemplateError) in try get(item) } ?? item
            let passes = try testName.map { (name: String) throws(TemplateError) in
                try TemplatePredicates.apply(name, to: subject, testArguments)
            } ?? subject.isTruthy
            if passes == keep { kept.append(item) }
        }
        return .iterator(ValueIterator(kept))
    }

    static func select(_ value: Value, _ arguments: Arguments) throws(TemplateError) -> Value {
        try filterItems(value, arguments, byAttribute: false, keep: true)
    }

    static func reject(_ value: Value, _ arguments: Arguments) throws(TemplateError) -> Value {
        try filterItems(value, arguments, byAttribute: false, keep: false)
    }

    static func selectattr(_ value: Value, _ arguments: Arguments) throws(TemplateError) -> Value {
        try filterItems(value, arguments, byAttribute: true, keep: true)
    }

    static func rejectattr(_ value: Value, _ arguments: Arguments) throws(TemplateError) -> Value {
        try filterItems(value, arguments, byAttribute: true, keep: false)
    }

    static func items(_ value: Value, _ arguments: Arguments) throws(TemplateError) -> Value {
        switch value {
        case .undefined: return .iterator(ValueIterator([]))
        case .dict(let dict): return .iterator(ValueIterator(dict.entries.map { .tuple([.string($0.key), $0.value]) }))
        default: throw .runtime("Can only get item pairs from a mapping.")
        }
    }

    static func dictsort(_ value: Value, _ arguments: Arguments) throws(TemplateError) -> Value {
        let slots = try arguments.bind(["case_sensitive", "by", "reverse"], function: "dictsort")
        guard case .dict(let dict) = value else { throw .runtime("'\(value.typeName)' object has no attribute 'items'") }
        let position: Int
        switch slots[1]?.stringValue ?? "key" {
        case "key": position = 0
        case "value": position = 1
        default: throw .runtime("You can only sort by either \"key\" or \"value\"")
        }
        let caseSensitive = slots[0]?.isTruthy ?? false
        let pairs: [Value] = dict.entries.map { .tuple([.string($0.key), $0.value]) }
        let sorted = try stableSorted(pairs, reverse: try reverseFlag(slots[2])) { (pair: Value) throws(TemplateError) -> Value in
            let item = pair.sequenceValue?[position] ?? .none
            if !caseSensitive, let text = item.stringValue { return .string(PythonText.lower(text)) }
            return item
        }
        return .list(sorted)
    }

    static func reverse(_ value: Value, _ arguments: Arguments) throws(TemplateError) -> Value {
        switch value {
        case .string(let text): return .string(PythonText.string(text.unicodeScalars.reversed()))
        case .markup(let text): return .markup(PythonText.string(text.unicodeScalars.reversed()))
        case .list(let items): return .iterator(ValueIterator(items.reversed(), typeName: "list_reverseiterator"))
        case .tuple(let items): return .iterator(ValueIterator(items.reversed(), typeName: "reversed"))
        case .undefined: return .iterator(ValueIterator([], typeName: "reversed"))
        case .dict(let dict): return .iterator(ValueIterator(dict.keys.reversed().map(Value.string), typeName: "dict_reversekeyiterator"))
        case .view(let view):
            let typeName = switch view.kind {
            case .dictItems: "dict_reverseitemiterator"
            case .dictKeys: "dict_reversekeyiterator"
            case .dictValues: "dict_reversevalueiterator"
            case .range: "range_iterator"
            }
            return .iterator(ValueIterator(view.items.reversed(), typeName: typeName))
        case .iterator(let iterator): return .list(iterator.drain().reversed())
        default: throw .runtime("argument must be iterable")
        }
    }

    static func sort(_ value: Value, _ arguments: Arguments) throws(TemplateError) -> Value {
        let slots = try arguments.bind(["reverse", "case_sensitive", "attribute"], function: "sort")
        let caseSensitive = slots[1]?.isTruthy ?? false
        let attributes: [Value?] = {
            guard let attribute = slots[2], let text = attribute.stringValue else { return [slots[2]] }
            return text.split(separator: ",").map { .string(String($0)) }
        }()
        let getters = attributes.map { attributeGetter($0, lowercase: !caseSensitive) }
        // jinja2 sorts by a list of the attributes even when there is one: list comparison skips
        // equal items, so items whose attribute is undefined compare equal instead of failing.
        let key = { (item: Value) throws(TemplateError) -> Value in
            var parts: [Value] = []
            for getter in getters { parts.append(try getter(item)) }
            return .list(parts)
        }
        return .list(try stableSorted(try value.iterated(), reverse: try reverseFlag(slots[0]), key: key))
    }

    /// `sorted(reverse=...)` takes an integer: an undefined value is a TypeError there.
    private static func reverseFlag(_ value: Value?) throws(TemplateError) -> Bool {
        if let value, value.isUndefined { throw .runtime("'Undefined' object cannot be interpreted as an integer") }
        return value?.isTruthy ?? false
    }

    static func unique(_ value: Value, _ arguments: Arguments) throws(TemplateError) -> Value {
        let slots = try arguments.bind(["case_sensitive", "attribute"], function: "unique")
        let getter = attributeGetter(slots[1], lowercase: !(slots[0]?.isTruthy ?? false))
        var seen: [Value] = []
        var kept: [Value] = []
        for item in try value.iterated() {
            let key = try getter(item)
            if seen.contains(where: { $0.isEqual(to: key) }) { continue }
            seen.append(key)
            kept.append(item)
        }
        return .iterator(ValueIterator(kept))
    }

    static func sum(_ value: Value, _ arguments: Arguments) throws(TemplateError) -> Value {
        let slots = try arguments.bind(["attribute", "start"], function: "sum")
        let getter = attributeGetter(slots[0])
        var total = slots[1] ?? .int(0)
        for item in try value.iterated() {
            total = try ValueOperators.binary(.add, total, slots[0] == nil ? item : try getter(item))
        }
        return total
    }

    static func min(_ value: Value, _ arguments: Arguments) throws(TemplateError) -> Value {
        try extreme(value, arguments, name: "min", wantsGreater: false)
    }

    static func max(_ value: Value, _ arguments: Arguments) throws(TemplateError) -> Value {
        try extreme(value, arguments, name: "max", wantsGreater: true)
    }

    private static func extreme(_ value: Value, _ arguments: Arguments, name: String, wantsGreater: Bool) throws(TemplateError) -> Value {
        let slots = try arguments.bind(["case_sensitive", "attribute"], function: name)
        let getter = attributeGetter(slots[1], lowercase: !(slots[0]?.isTruthy ?? false))
        let items = try value.iterated()
        guard var best = items.first else { return .undefined(Undefined(message: "No aggregated item, sequence was empty.")) }
        var bestKey = try getter(best)
        for item in items.dropFirst() {
            let key = try getter(item)
            if try key.compare(wantsGreater ? .greater : .less, bestKey) {
                best = item
                bestKey = key
            }
        }
        return best
    }

    /// A stable sort by `key` that reports Python's TypeError for values that cannot be ordered; with
    /// `reverse`, equal items keep their order (as Python's `sorted(reverse=True)` does).
    static func stableSorted(
        _ items: [Value], reverse: Bool, key: (Value) throws(TemplateError) -> Value
    ) throws(TemplateError) -> [Value] {
        var keyed: [(key: Value, item: Value)] = []
        for item in items { keyed.append((try key(item), item)) }
        func precedes(_ a: (key: Value, item: Value), _ b: (key: Value, item: Value)) throws(TemplateError) -> Bool {
            try reverse ? b.key.compare(.less, a.key) : a.key.compare(.less, b.key)
        }
        // Merge sort: stable, and a comparison error propagates.
        var width = 1
        while width < keyed.count {
            var merged: [(key: Value, item: Value)] = []
            merged.reserveCapacity(keyed.count)
            var start = 0
            while start < keyed.count {
                let middle = Swift.min(start + width, keyed.count)
                let end = Swift.min(start + 2 * width, keyed.count)
                var left = start
                var right = middle
                while left < middle, right < end {
                    if try precedes(keyed[right], keyed[left]) {
                        merged.append(keyed[right]); right += 1
                    } else {
                        merged.append(keyed[left]); left += 1
                    }
                }
                merged += keyed[left..<middle]
                merged += keyed[right..<end]
                start = end
            }
            keyed = merged
            width *= 2
        }
        return keyed.map(\.item)
    }
}
