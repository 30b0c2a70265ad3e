// Python methods templates call on values: str (strip, split, startswith, replace, ...), dict (items,
// keys, values, get) and list (count, index). A Python method this renderer does not implement is an
// error naming it, so `x.zfill(3)` never quietly prints nothing; methods that would modify a value are
// refused as transformers' immutable sandbox refuses them.

enum TemplateMethods {
    static let pythonStringMethods: Set<String> = [
        "capitalize", "casefold", "center", "count", "encode", "endswith", "expandtabs", "find", "format",
        "format_map", "index", "isalnum", "isalpha", "isascii", "isdecimal", "isdigit", "isidentifier", "islower",
        "isnumeric", "isprintable", "isspace", "istitle", "isupper", "join", "ljust", "lower", "lstrip", "maketrans",
        "partition", "removeprefix", "removesuffix", "replace", "rfind", "rindex", "rjust", "rpartition", "rsplit",
        "rstrip", "split", "splitlines", "startswith", "strip", "swapcase", "title", "translate", "upper", "zfill",
    ]
    static let pythonDictMethods: Set<String> = [
        "clear", "copy", "fromkeys", "get", "items", "keys", "pop", "popitem", "setdefault", "update", "values",
    ]
    static let pythonListMethods: Set<String> = [
        "append", "clear", "copy", "count", "extend", "index", "insert", "pop", "remove", "reverse", "sort",
    ]
    static let pythonNumberAttributes: Set<String> = [
        "real", "imag", "conjugate", "numerator", "denominator", "bit_length", "bit_count", "to_bytes",
        "from_bytes", "as_integer_ratio", "is_integer", "hex", "fromhex",
    ]

    /// The bound method `name` of `receiver`, nil when Python has no such method (the lookup then falls
    /// back to keys or gives undefined).
    /// - Throws: `.unsupported` for a Python method this renderer does not implement.
    static func method(_ name: String, of receiver: Value) throws(TemplateError) -> Value? {
        let implementation: ((Arguments) throws(TemplateError) -> Value)?
        switch receiver {
        case .string(let text), .markup(let text):
            guard pythonStringMethods.contains(name) else { return nil }
            implementation = stringMethod(name, text, isMarkup: { if case .markup = receiver { true } else { false } }())
            if implementation == nil { throw .unsupported("the string method '\(name)'") }
        case .dict(let dict):
            guard pythonDictMethods.contains(name) else { return nil }
            implementation = dictMethod(name, dict)
            if implementation == nil { throw .unsupported("the dict method '\(name)' (templates cannot modify or copy dicts)") }
        case .list(let items), .tuple(let items):
            guard pythonListMethods.contains(name) else { return nil }
            implementation = listMethod(name, items)
            if implementation == nil { throw .unsupported("the list method '\(name)' (templates cannot modify lists)") }
        case .int, .double, .bool:
            guard pythonNumberAttributes.contains(name) else { return nil }
            throw .unsupported("the number attribute '\(name)'")
        default:
            return nil
        }
        guard let implementation else { return nil }
        return .function(Function(name: name, call: implementation))
    }

    /// Methods that take no arguments, checked as Python checks them.
    private static func noArguments(
        _ name: String, _ body: @escaping () -> Value
    ) -> (Arguments) throws(TemplateError) -> Value {
        { (arguments: Arguments) throws(TemplateError) -> Value in
            let count = arguments.positional.count + arguments.keywords.count
            guard count == 0 else { throw .runtime("\(name)() takes no arguments (\(count) given)") }
            return body()
        }
    }

    private static func stringArgument(_ value: Value?, _ method: String) throws(TemplateError) -> String? {
        guard let value else { return nil }
        if case .none = value { return nil }
        guard let text = value.stringValue else {
            throw .runtime("\(method) arg must be None or str, not \(value.typeName)")
        }
        return text
    }

    private static func integerArgument(_ value: Value?, _ fallback: Int) throws(TemplateError) -> Int {
        guard let value else { return fallback }
        guard let integer = value.integerValue else {
            throw .runtime("'\(value.typeName)' object cannot be interpreted as an integer")
        }
        return integer
    }

    private static func stringMethod(_ name: String, _ text: String, isMarkup: Bool) -> ((Arguments) throws(TemplateError) -> Value)? {
        func keep(_ result: String) -> Value { isMarkup ? .markup(result) : .string(result) }
        switch name {
        case "strip", "lstrip", "rstrip":
            return { (arguments: Arguments) throws(TemplateError) -> Value in
                let chars = try stringArgument(try arguments.bind(["chars"], function: name)[0], name)
                return keep(PythonText.strip(text, chars, leading: name != "rstrip", trailing: name != "lstrip"))
            }
        case "split", "rsplit":
            return { (arguments: Arguments) throws(TemplateError) -> Value in
                let slots = try arguments.bind(["sep", "maxsplit"], function: name)
                let separator = try stringArgument(slots[0], name)
                let maxSplit = try integerArgument(slots[1], -1)
                let parts = name == "split"
                    ? try PythonText.split(text, separator, maxSplit: maxSplit)
                    : try PythonText.rsplit(text, separator, maxSplit: maxSplit)
                return .list(parts.map(keep))
            }
        case "splitlines":
            return { (arguments: Arguments) throws(TemplateError) -> Value in
                let keepEnds = try arguments.bind(["keepends"], function: name)[0]?.isTruthy ?? false
                return .list(PythonText.splitLines(text, keepEnds: keepEnds).map(keep))
            }
        case "startswith", "endswith":
            return { (arguments: Arguments) throws(TemplateError) -> Value in
                let slots = try arguments.bind(["prefix", "start", "end"], function: name)
                let sliced = try TemplateLookup.slice(.string(text), start: slots[1], stop: slots[2], step: nil)
                let subject = Array((sliced.stringValue ?? "").unicodeScalars)
                var candidates: [Value] = []
                switch slots[0] {
                case .some(.tuple(let items)): candidates = items
                case .some(let value): candidates = [value]
                case nil: throw .runtime("\(name)() takes at least 1 argument (0 given)")
                }
                for candidate in candidates {
                    guard let affix = candidate.stringValue else {
                        throw .runtime("\(name) first arg must be str or a tuple of str, not \(candidate.typeName)")
                    }
                    let affixScalars = Array(affix.unicodeScalars)
                    let matches = name == "startswith" ? subject.starts(with: affixScalars)
                        : subject.count >= affixScalars.count && subject.suffix(affixScalars.count).elementsEqual(affixScalars)
                    if matches { return .bool(true) }
                }
                return .bool(false)
            }
        case "upper": return noArguments(name) { keep(PythonText.upper(text)) }
        case "lower": return noArguments(name) { keep(PythonText.lower(text)) }
        case "title": return noArguments(name) { keep(PythonText.title(text)) }
        case "capitalize": return noArguments(name) { keep(PythonText.capitalize(text)) }
        case "swapcase": return noArguments(name) { keep(PythonText.swapcase(text)) }
        case "isupper": return noArguments(name) { .bool(PythonText.isUpper(text)) }
        case "islower": return noArguments(name) { .bool(PythonText.isLower(text)) }
        case "isspace":
            return noArguments(name) { .bool(!text.isEmpty && text.unicodeScalars.allSatisfy(PythonText.isWhitespace)) }
        case "isdigit":
            return noArguments(name) {
                .bool(!text.isEmpty && text.unicodeScalars.allSatisfy {
                    $0.properties.numericType == .decimal || $0.properties.numericType == .digit
                })
            }
        case "isalpha":
            return noArguments(name) { .bool(!text.isEmpty && text.unicodeScalars.allSatisfy(TemplateMethods.isAlpha)) }
        case "isalnum":
            return noArguments(name) {
                .bool(!text.isEmpty && text.unicodeScalars.allSatisfy { TemplateMethods.isAlpha($0) || $0.properties.numericType != nil })
            }
        case "replace":
            return { (arguments: Arguments) throws(TemplateError) -> Value in
                let slots = try arguments.bind(["old", "new", "count"], function: name)
                guard let old = slots[0]?.stringValue, let new = slots[1]?.stringValue else {
                    throw .runtime("replace() arguments must be str")
                }
                return keep(PythonText.replace(text, old, new, count: try integerArgument(slots[2], -1)))
            }
        case "find", "rfind", "index", "rindex", "count":
            return { (arguments: Arguments) throws(TemplateError) -> Value in
                guard let needle = try arguments.bind(["sub"], function: name)[0]?.stringValue else {
                    throw .runtime("must be str, not \(arguments.positional.first?.typeName ?? "nothing")")
                }
                let haystack = Array(text.unicodeScalars)
                let needleScalars = Array(needle.unicodeScalars)
                if name == "count" { return .int(PythonText.count(needleScalars, in: haystack)) }
                let found = name.hasPrefix("r") ? PythonText.rfind(needleScalars, in: haystack) : PythonText.find(needleScalars, in: haystack)
                if let found { return .int(found) }
                if name.hasSuffix("index") { throw .runtime("substring not found") }
                return .int(-1)
            }
        case "join":
            return { (arguments: Arguments) throws(TemplateError) -> Value in
                guard let iterable = try arguments.bind(["iterable"], function: name)[0] else {
                    throw .runtime("join() takes exactly one argument (0 given)")
                }
                var parts: [String] = []
                for (index, item) in try iterable.iterated().enumerated() {
                    guard let part = item.stringValue else {
                        throw .runtime("sequence item \(index): expected str instance, \(item.typeName) found")
                    }
                    parts.append(part)
                }
                return keep(parts.joined(separator: text))
            }
        case "removeprefix", "removesuffix":
            return { (arguments: Arguments) throws(TemplateError) -> Value in
                guard let affix = try arguments.bind(["affix"], function: name)[0]?.stringValue else {
                    throw .runtime("\(name)() argument must be str")
                }
                let scalars = Array(text.unicodeScalars)
                let affixScalars = Array(affix.unicodeScalars)
                if name == "removeprefix", scalars.starts(with: affixScalars) {
                    return keep(PythonText.string(scalars.dropFirst(affixScalars.count)))
                }
                if name == "removesuffix", !affixScalars.isEmpty, scalars.count >= affixScalars.count,
                   scalars.suffix(affixScalars.count).elementsEqual(affixScalars) {
                    return keep(PythonText.string(scalars.dropLast(affixScalars.count)))
                }
                return keep(text)
            }
        case "center":
            return { (arguments: Arguments) throws(TemplateError) -> Value in
                let slots = try arguments.bind(["width", "fillchar"], function: name)
                let fill = slots[1]?.stringValue?.unicodeScalars.first ?? " "
                return keep(PythonText.center(text, width: try integerArgument(slots[0], 0), fill: fill))
            }
        default:
            return nil
        }
    }

    static func isAlpha(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: true
        default: false
        }
    }

    private static func dictMethod(_ name: String, _ dict: Dict) -> ((Arguments) throws(TemplateError) -> Value)? {
        switch name {
        case "items":
            return noArguments("dict.items") {
                .view(SequenceView(kind: .dictItems, items: dict.entries.map { .tuple([.string($0.key), $0.value]) }))
            }
        case "keys": return noArguments("dict.keys") { .view(SequenceView(kind: .dictKeys, items: dict.keys.map(Value.string))) }
        case "values": return noArguments("dict.values") { .view(SequenceView(kind: .dictValues, items: dict.values)) }
        case "get":
            return { (arguments: Arguments) throws(TemplateError) -> Value in
                let slots = try arguments.bind(["key", "default"], function: "get")
                guard let key = slots[0] else { throw .runtime("get expected at least 1 argument, got 0") }
                if let name = key.stringValue, let found = dict[name] { return found }
                return slots[1] ?? .none
            }
        default:
            return nil
        }
    }

    private static func listMethod(_ name: String, _ items: [Value]) -> ((Arguments) throws(TemplateError) -> Value)? {
        switch name {
        case "count":
            return { (arguments: Arguments) throws(TemplateError) -> Value in
                guard let item = try arguments.bind(["value"], function: name)[0] else { throw .runtime("count() takes exactly one argument") }
                return .int(items.count { $0.isEqual(to: item) })
            }
        case "index":
            return { (arguments: Arguments) throws(TemplateError) -> Value in
                guard let item = try arguments.bind(["value"], function: name)[0] else { throw .runtime("index expected at least 1 argument") }
                guard let found = items.firstIndex(where: { $0.isEqual(to: item) }) else {
                    throw .runtime("\(try item.repr()) is not in list")
                }
                return .int(found)
            }
        default:
            return nil
        }
    }
}
