// The functions a chat template can call without defining them: transformers' raise_exception,
// strftime_now, namespace and dict (transformers/utils/chat_template_utils.py) and Jinja's range
// (with the sandbox's limit of 100000 items).

import Foundation

enum TemplateGlobals {
    static let maximumRange = 100_000

    static func make(now: @escaping () -> Date) -> [String: Value] {
        [
            "raise_exception": .function(Function(name: "raise_exception") { (arguments: Arguments) throws(TemplateError) -> Value in
                let message = try arguments.bind(["message"], function: "raise_exception")[0]
                throw TemplateError(.raised, try message?.text() ?? "")
            }),
            "strftime_now": .function(Function(name: "strftime_now") { (arguments: Arguments) throws(TemplateError) -> Value in
                guard let format = try arguments.bind(["format"], function: "strftime_now")[0]?.stringValue else {
                    throw .runtime("strftime_now() argument must be str")
                }
                return .string(try strftime(format, now()))
            }),
            "namespace": .function(Function(name: "namespace", call: namespace)),
            "dict": .function(Function(name: "dict", call: dict)),
            "range": .function(Function(name: "range", call: range)),
        ]
    }

    /// transformers' namespace refuses attribute names starting with "_".
    static func checkNamespaceName(_ name: String) throws(TemplateError) {
        guard !name.hasPrefix("_") else {
            throw .runtime("Chat templates cannot store underscore-prefixed attributes on a namespace, but got "
                + "\(PythonText.repr(name)). Please rename the attribute.")
        }
    }

    private static func mapping(_ arguments: Arguments, function: String) throws(TemplateError) -> Dict {
        guard arguments.positional.count <= 1 else {
            throw .runtime("\(function) expected at most 1 argument, got \(arguments.positional.count)")
        }
        var result = Dict()
        if let initial = arguments.positional.first {
            try initial.requireDefined()
            switch initial {
            case .dict(let dict): result = dict
            case .namespace(let namespace): result = namespace.attributes
            default:
                for pair in try initial.iterated() {
                    guard let items = pair.sequenceValue, items.count == 2, let key = items[0].stringValue else {
                        throw .unsupported("\(function)() from something other than a dict or (string, value) pairs")
                    }
                    result[key] = items[1]
                }
            }
        }
        for (name, value) in arguments.keywords { result[name] = value }
        return result
    }

    private static func namespace(_ arguments: Arguments) throws(TemplateError) -> Value {
        let attributes = try mapping(arguments, function: "namespace")
        for name in attributes.keys { try checkNamespaceName(name) }
        return .namespace(Namespace(attributes))
    }

    private static func dict(_ arguments: Arguments) throws(TemplateError) -> Value {
        .dict(try mapping(arguments, function: "dict"))
    }

    private static func range(_ arguments: Arguments) throws(TemplateError) -> Value {
        if let keyword = arguments.keywords.first { throw .runtime("range() takes no keyword arguments (got \(keyword.name))") }
        var integers: [Int] = []
        for value in arguments.positional {
            guard let integer = value.integerValue else {
                try value.requireDefined()
                throw .runtime("'\(value.typeName)' object cannot be interpreted as an integer")
            }
            integers.append(integer)
        }
        let (start, stop, step): (Int, Int, Int)
        switch integers.count {
        case 1: (start, stop, step) = (0, integers[0], 1)
        case 2: (start, stop, step) = (integers[0], integers[1], 1)
        case 3: (start, stop, step) = (integers[0], integers[1], integers[2])
        default: throw .runtime("range expected 1 to 3 arguments, got \(integers.count)")
        }
        guard step != 0 else { throw .runtime("range() arg 3 must not be zero") }
        let count = step > 0 ? (stop > start ? (stop - start - 1) / step + 1 : 0) : (start > stop ? (start - stop - 1) / -step + 1 : 0)
        guard count <= maximumRange else {
            throw .runtime("Range too big. The sandbox blocks ranges larger than MAX_RANGE (\(maximumRange)).")
        }
        let items: [Value] = (0..<count).map { .int(start + $0 * step) }
        return .view(SequenceView(kind: .range(start: start, stop: stop, step: step), items: items))
    }

    // MARK: strftime

    private static let monthNames = ["January", "February", "March", "April", "May", "June", "July", "August",
                                     "September", "October", "November", "December"]
    private static let weekdayNames = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]

    /// C's strftime in the C locale for the local time `date`, for the directives chat templates use:
    /// %a %A %b %B %d %e %f %H %I %j %m %M %p %S %w %y %Y %z %Z %%, and glibc's "%-d" (no padding).
    static func strftime(_ format: String, _ date: Date, timeZone: TimeZone = .current) throws(TemplateError) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .nanosecond, .weekday], from: date)
        let year = parts.year ?? 1970, month = parts.month ?? 1, day = parts.day ?? 1
        let hour = parts.hour ?? 0, minute = parts.minute ?? 0, second = parts.second ?? 0
        let weekday = (parts.weekday ?? 1) - 1
        let dayOfYear = calendar.ordinality(of: .day, in: .year, for: date) ?? 1
        var result = ""
        var scalars = format.unicodeScalars.makeIterator()
        while let scalar = scalars.next() {
            guard scalar == "%" else { result.unicodeScalars.append(scalar); continue }
            guard var directive = scalars.next() else { result += "%"; break }
            var pad = true
            if directive == "-", let next = scalars.next() {
                pad = false
                directive = next
            }
            func number(_ value: Int, _ width: Int) -> String {
                let digits = String(value)
                return pad ? String(repeating: "0", count: max(0, width - digits.count)) + digits : digits
            }
            switch directive {
            case "a": result += String(weekdayNames[weekday].prefix(3))
            case "A": result += weekdayNames[weekday]
            case "b", "h": result += String(monthNames[month - 1].prefix(3))
            case "B": result += monthNames[month - 1]
            case "d": result += number(day, 2)
            case "e": result += pad ? (day < 10 ? " " : "") + String(day) : String(day)
            case "f": result += number((parts.nanosecond ?? 0) / 1000, 6)
            case "H": result += number(hour, 2)
            case "I": result += number(hour % 12 == 0 ? 12 : hour % 12, 2)
            case "j": result += number(dayOfYear, 3)
            case "m": result += number(month, 2)
            case "M": result += number(minute, 2)
            case "p": result += hour < 12 ? "AM" : "PM"
            case "S": result += number(second, 2)
            case "w": result += String(weekday)
            case "y": result += number(year % 100, 2)
            case "Y": result += String(year)
            case "z", "Z": break  // datetime.now() is naive: empty, as in Python
            case "%": result += "%"
            default: throw .unsupported("the strftime directive '%\(directive)'")
            }
        }
        return result
    }
}
