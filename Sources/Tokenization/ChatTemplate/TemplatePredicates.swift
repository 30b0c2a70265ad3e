// Jinja's tests (`x is defined`, `x is string`, `x is divisibleby 3`, ...) with Python's type rules:
// a bool is a number, an undefined value is iterable (it iterates as empty), a dict is a mapping and a
// sequence.

enum TemplatePredicates {
    private typealias Test = @Sendable (Value, [Value]) throws(TemplateError) -> Bool

    /// Whether `name` is a test this renderer implements.
    static func isKnown(_ name: String) -> Bool { tests[name] != nil }

    /// Applies the test `name`.
    static func apply(_ name: String, to value: Value, _ arguments: Arguments) throws(TemplateError) -> Bool {
        guard let test = tests[name] else { throw .unsupported("the test '\(name)'") }
        if let keyword = arguments.keywords.first {
            throw .runtime("test '\(name)' got an unexpected keyword argument \(PythonText.repr(keyword.name))")
        }
        if !arguments.positional.isEmpty, !takesArgument.contains(name) {
            throw .runtime("test '\(name)' takes no arguments (\(arguments.positional.count) given)")
        }
        return try test(value, arguments.positional)
    }

    /// The tests that take one argument (`is divisibleby 3`, `is eq x`, ...); the others take none.
    private static let takesArgument: Set<String> = [
        "divisibleby", "in", "sameas", "filter", "test", "==", "eq", "equalto", "!=", "ne", "<", "lt", "lessthan",
        "<=", "le", ">", "gt", "greaterthan", ">=", "ge",
    ]

    private static func argument(_ arguments: [Value], _ test: String) throws(TemplateError) -> Value {
        guard arguments.count == 1 else {
            throw .runtime("test '\(test)' takes 1 argument (\(arguments.count) given)")
        }
        return arguments[0]
    }

    private static func comparison(_ name: String, _ operation: ComparisonOperator) -> Test {
        { (value: Value, arguments: [Value]) throws(TemplateError) -> Bool in
            let other = try argument(arguments, name)
            switch operation {
            case .equal: return value.isEqual(to: other)
            case .notEqual: return !value.isEqual(to: other)
            default: return try value.compare(operation, other)
            }
        }
    }

    private static func remainderIsZero(_ value: Value, _ divisor: Value) throws(TemplateError) -> Bool {
        try ValueOperators.binary(.modulo, value, divisor).isEqual(to: .int(0))
    }

    private static let tests: [String: Test] = {
        var tests: [String: Test] = [
            "defined": { value, _ in !value.isUndefined },
            "undefined": { value, _ in value.isUndefined },
            "none": { value, _ in if case .none = value { true } else { false } },
            "string": { value, _ in value.stringValue != nil },
            "mapping": { value, _ in if case .dict = value { true } else { false } },
            "number": { value, _ in value.numberValue != nil },
            "integer": { value, _ in if case .int = value { true } else { false } },
            "float": { value, _ in if case .double = value { true } else { false } },
            "boolean": { value, _ in if case .bool = value { true } else { false } },
            "true": { value, _ in if case .bool(true) = value { true } else { false } },
            "false": { value, _ in if case .bool(false) = value { true } else { false } },
            "callable": { value, _ in if case .function = value { true } else { false } },
            "escaped": { value, _ in if case .markup = value { true } else { false } },
            "iterable": { value, _ in
                switch value {
                case .undefined, .string, .markup, .list, .tuple, .dict, .loop, .view, .iterator: true
                default: false
                }
            },
            "sequence": { value, _ in
                switch value {
                case .undefined, .string, .markup, .list, .tuple, .dict: true
                case .view(let view): if case .range = view.kind { true } else { false }
                default: false
                }
            },
            "lower": { (value: Value, _: [Value]) throws(TemplateError) -> Bool in PythonText.isLower(try value.text()) },
            "upper": { (value: Value, _: [Value]) throws(TemplateError) -> Bool in PythonText.isUpper(try value.text()) },
            "odd": { (value: Value, _: [Value]) throws(TemplateError) -> Bool in
                try ValueOperators.binary(.modulo, value, .int(2)).isEqual(to: .int(1))
            },
            "even": { (value: Value, _: [Value]) throws(TemplateError) -> Bool in try remainderIsZero(value, .int(2)) },
            "divisibleby": { (value: Value, arguments: [Value]) throws(TemplateError) -> Bool in
                try remainderIsZero(value, try argument(arguments, "divisibleby"))
            },
            "in": { (value: Value, arguments: [Value]) throws(TemplateError) -> Bool in
                try argument(arguments, "in").contains(value)
            },
            "sameas": { (value: Value, arguments: [Value]) throws(TemplateError) -> Bool in
                let other = try argument(arguments, "sameas")
                guard value.typeName == other.typeName, !value.isUndefined else { return false }
                switch (value, other) {
                case (.none, .none): return true
                case (.bool(let a), .bool(let b)): return a == b
                case (.namespace(let a), .namespace(let b)): return a === b
                default: throw .unsupported("'sameas' on \(value.typeName) values (Python object identity)")
                }
            },
            "filter": { (_: Value, arguments: [Value]) throws(TemplateError) -> Bool in
                TemplateNameCheck.jinjaFilters.contains(try argument(arguments, "filter").stringValue ?? "")
            },
            "test": { (_: Value, arguments: [Value]) throws(TemplateError) -> Bool in
                isKnown(try argument(arguments, "test").stringValue ?? "")
            },
        ]
        for (names, operation) in [
            (["==", "eq", "equalto"], ComparisonOperator.equal), (["!=", "ne"], .notEqual),
            (["<", "lt", "lessthan"], .less), (["<=", "le"], .lessOrEqual),
            ([">", "gt", "greaterthan"], .greater), ([">=", "ge"], .greaterOrEqual),
        ] {
            for name in names { tests[name] = comparison(name, operation) }
        }
        return tests
    }()
}
