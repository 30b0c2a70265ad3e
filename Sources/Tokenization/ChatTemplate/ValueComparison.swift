// Python's comparisons: `==` never fails (1 == 1.0 == True, lists element-wise, dicts in any order,
// strings code point by code point), ordering is defined for numbers, strings and same-typed sequences
// and is a TypeError otherwise, `in` searches strings, sequences and dict keys.

extension Value {
    /// Python `==` (values nested deeper than `maximumNesting` compare unequal rather than overflow
    /// the stack).
    func isEqual(to other: Value, depth: Int = 0) -> Bool {
        guard depth < Value.maximumNesting else { return false }
        switch (self, other) {
        case (.undefined, .undefined), (.none, .none):
            return true
        case (.string(let a), .string(let b)), (.string(let a), .markup(let b)), (.markup(let a), .string(let b)),
             (.markup(let a), .markup(let b)):
            return a.unicodeScalars.elementsEqual(b.unicodeScalars)
        case (.list(let a), .list(let b)), (.tuple(let a), .tuple(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.isEqual(to: $1, depth: depth + 1) }
        case (.dict(let a), .dict(let b)):
            guard a.count == b.count else { return false }
            return a.entries.allSatisfy { entry in b[entry.key].map { entry.value.isEqual(to: $0, depth: depth + 1) } ?? false }
        case (.namespace(let a), .namespace(let b)):
            return a === b
        case (.loop(let a), .loop(let b)):
            return a === b
        case (.iterator(let a), .iterator(let b)):
            return a === b
        case (.view(let a), .view(let b)):
            switch (a.kind, b.kind) {
            case (.range, .range):
                return a.items.count == b.items.count && zip(a.items, b.items).allSatisfy { $0.isEqual(to: $1) }
            case (.dictKeys, .dictKeys), (.dictItems, .dictItems):
                return a.items.count == b.items.count && a.items.allSatisfy { item in b.items.contains { $0.isEqual(to: item) } }
            default:
                return false
            }
        default:
            if let a = integerValue, let b = other.integerValue { return a == b }
            if case .double(let a) = self, let b = other.integerValue { return Value.doubleEqualsInt(a, b) }
            if case .double(let b) = other, let a = integerValue { return Value.doubleEqualsInt(b, a) }
            if case .double(let a) = self, case .double(let b) = other { return a == b }
            return false
        }
    }

    private static func doubleEqualsInt(_ double: Double, _ int: Int) -> Bool {
        guard let exact = Int(exactly: double) else { return false }
        return exact == int
    }

    /// Python's `<`, `<=`, `>`, `>=`.
    func compare(_ operation: ComparisonOperator, _ other: Value) throws(TemplateError) -> Bool {
        try requireDefined()
        try other.requireDefined()
        guard let order = try Value.order(self, other) else {
            throw .runtime("'\(operation.rawValue)' not supported between instances of '\(typeName)' and '\(other.typeName)'")
        }
        switch operation {
        case .less: return order < 0
        case .lessOrEqual: return order <= 0
        case .greater: return order > 0
        case .greaterOrEqual: return order >= 0
        default: return false
        }
    }

    /// -1, 0 or 1, or nil where Python has no ordering between the two (a NaN compares as unordered: 0
    /// would be wrong, so such comparisons are false as in Python except `<=`/`>=` on equal non-NaN).
    static func order(_ a: Value, _ b: Value, depth: Int = 0) throws(TemplateError) -> Int? {
        guard depth < Value.maximumNesting else { throw .runtime("values nested more than \(Value.maximumNesting) levels deep") }
        if let x = a.integerValue, let y = b.integerValue { return x < y ? -1 : x > y ? 1 : 0 }
        if let x = a.numberValue, let y = b.numberValue {
            if x.isNaN || y.isNaN { throw .unsupported("ordering comparisons with NaN") }
            if case .double = a, case .double = b {} else if let ints = mixedIntegers(a, b) {
                return ints.0 < ints.1 ? -1 : ints.0 > ints.1 ? 1 : 0
            }
            return x < y ? -1 : x > y ? 1 : 0
        }
        if let x = a.stringValue, let y = b.stringValue {
            return compareScalars(Array(x.unicodeScalars), Array(y.unicodeScalars))
        }
        switch (a, b) {
        case (.list(let x), .list(let y)), (.tuple(let x), .tuple(let y)):
            for (left, right) in zip(x, y) where !left.isEqual(to: right) {
                guard let order = try order(left, right, depth: depth + 1) else {
                    throw .runtime("'<' not supported between instances of '\(left.typeName)' and '\(right.typeName)'")
                }
                return order
            }
            return x.count < y.count ? -1 : x.count > y.count ? 1 : 0
        default:
            return nil
        }
    }

    /// An int and an integral float compared exactly, as Python does for large values.
    private static func mixedIntegers(_ a: Value, _ b: Value) -> (Int, Int)? {
        func exact(_ value: Value) -> Int? {
            if let int = value.integerValue { return int }
            if case .double(let double) = value { return Int(exactly: double) }
            return nil
        }
        guard let x = exact(a), let y = exact(b) else { return nil }
        return (x, y)
    }

    private static func compareScalars(_ x: [Unicode.Scalar], _ y: [Unicode.Scalar]) -> Int {
        for (left, right) in zip(x, y) where left != right { return left.value < right.value ? -1 : 1 }
        return x.count < y.count ? -1 : x.count > y.count ? 1 : 0
    }

    /// Python's `item in self`.
    func contains(_ item: Value) throws(TemplateError) -> Bool {
        switch self {
        case .undefined:
            return false
        case .string(let text), .markup(let text):
            guard let needle = item.stringValue else {
                try item.requireDefined()
                throw .runtime("'in <string>' requires string as left operand, not \(item.typeName)")
            }
            return PythonText.find(Array(needle.unicodeScalars), in: Array(text.unicodeScalars)) != nil
        case .list(let values), .tuple(let values):
            return values.contains { $0.isEqual(to: item) }
        case .view(let view):
            return view.items.contains { $0.isEqual(to: item) }
        case .iterator(let iterator):
            while let next = iterator.next() {
                if next.isEqual(to: item) { return true }
            }
            return false
        case .dict(let dict):
            guard let key = item.stringValue else {
                if case .list = item { throw .runtime("unhashable type: 'list'") }
                if case .dict = item { throw .runtime("unhashable type: 'dict'") }
                return false
            }
            return dict[key] != nil
        default:
            throw .runtime("argument of type '\(typeName)' is not iterable")
        }
    }

    /// Python's `iter(self)` as a list: elements, dict keys, or code points of a string.
    func iterated() throws(TemplateError) -> [Value] {
        switch self {
        case .undefined: return []
        case .list(let values), .tuple(let values): return values
        case .dict(let dict): return dict.keys.map(Value.string)
        case .string(let text), .markup(let text): return text.unicodeScalars.map { .string(String($0)) }
        case .view(let view): return view.items
        case .iterator(let iterator): return iterator.drain()
        default: throw .runtime("'\(typeName)' object is not iterable")
        }
    }

    /// Python's `len(self)`.
    func length() throws(TemplateError) -> Int {
        switch self {
        case .undefined: return 0
        case .string(let text), .markup(let text): return text.unicodeScalars.count
        case .list(let values), .tuple(let values): return values.count
        case .dict(let dict): return dict.count
        case .view(let view): return view.items.count
        default: throw .runtime("object of type '\(typeName)' has no len()")
        }
    }
}
