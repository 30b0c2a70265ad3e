import Foundation

// Python's operators on template values: arithmetic with int/float promotion and overflow checks
// (Python ints do not overflow, so an overflow is an error rather than a wrapped number), `+` on
// strings, lists and tuples, `*` repetition, floor division and modulo with the divisor's sign,
// unary minus and plus. Error messages are CPython's. (Comparisons: ValueComparison.swift.)

enum ValueOperators {
    static let maximumRepetition = 10_000_000

    static func binary(_ operation: BinaryOperator, _ left: Value, _ right: Value) throws(TemplateError) -> Value {
        if operation == .concatenate { return .string(try left.text() + right.text()) }
        try left.requireDefined()
        try right.requireDefined()
        switch operation {
        case .add: return try add(left, right)
        case .subtract, .multiply, .divide, .floorDivide, .modulo, .power:
            if operation == .multiply, let repeated = try repeatSequence(left, right) { return repeated }
            if operation == .modulo, left.stringValue != nil {
                throw .unsupported("printf-style string formatting with '%'")
            }
            return try arithmetic(operation, left, right)
        case .concatenate:
            return .string(try left.text() + right.text())
        }
    }

    private static func add(_ left: Value, _ right: Value) throws(TemplateError) -> Value {
        switch (left, right) {
        case (.markup(let a), _):
            guard let b = right.stringValue else { break }
            if case .markup = right { return .markup(a + b) }
            return .markup(a + TemplateFilters.escapeHTML(b))
        case (.string(let a), .markup(let b)):
            return .markup(TemplateFilters.escapeHTML(a) + b)
        case (.string(let a), .string(let b)):
            return .string(a + b)
        case (.string, _):
            throw .runtime("can only concatenate str (not \"\(right.typeName)\") to str")
        case (.list(let a), .list(let b)):
            return .list(a + b)
        case (.list, _):
            throw .runtime("can only concatenate list (not \"\(right.typeName)\") to list")
        case (.tuple(let a), .tuple(let b)):
            return .tuple(a + b)
        case (.tuple, _):
            throw .runtime("can only concatenate tuple (not \"\(right.typeName)\") to tuple")
        default:
            break
        }
        return try arithmetic(.add, left, right)
    }

    /// `sequence * int` or `int * sequence`; nil when neither side is a str, list or tuple.
    private static func repeatSequence(_ left: Value, _ right: Value) throws(TemplateError) -> Value? {
        func isSequence(_ value: Value) -> Bool {
            switch value {
            case .string, .list, .tuple: true
            default: false
            }
        }
        let (sequence, countValue) = isSequence(left) ? (left, right) : isSequence(right) ? (right, left) : (Value.none, Value.none)
        guard isSequence(sequence) else { return nil }
        guard let count = countValue.integerValue else {
            throw .runtime("can't multiply sequence by non-int of type '\(countValue.typeName)'")
        }
        let times = max(count, 0)
        func checkSize(_ length: Int) throws(TemplateError) {
            let total = times.multipliedReportingOverflow(by: length)
            guard !total.overflow, total.partialValue <= maximumRepetition else { throw .runtime("repetition result is too large") }
        }
        switch sequence {
        case .string(let text):
            try checkSize(text.unicodeScalars.count)
            return .string(String(repeating: text, count: times))
        case .list(let items):
            try checkSize(items.count)
            return .list(Array(repeatElement(items, count: times).joined()))
        case .tuple(let items):
            try checkSize(items.count)
            return .tuple(Array(repeatElement(items, count: times).joined()))
        default:
            return nil
        }
    }

    private static func arithmetic(_ operation: BinaryOperator, _ left: Value, _ right: Value) throws(TemplateError) -> Value {
        if let a = left.integerValue, let b = right.integerValue {
            return try integerArithmetic(operation, a, b)
        }
        guard let a = left.numberValue, let b = right.numberValue else {
            throw .runtime("unsupported operand type(s) for \(operation.rawValue): '\(left.typeName)' and '\(right.typeName)'")
        }
        switch operation {
        case .add: return .double(a + b)
        case .subtract: return .double(a - b)
        case .multiply: return .double(a * b)
        case .divide:
            guard b != 0 else { throw .runtime("float division by zero") }
            return .double(a / b)
        case .floorDivide:
            guard b != 0 else { throw .runtime("float floor division by zero") }
            return .double(floorDivide(a, b))
        case .modulo:
            guard b != 0 else { throw .runtime("float modulo") }
            return .double(modulo(a, b))
        case .power:
            if a == 0, b < 0 { throw .runtime("0.0 cannot be raised to a negative power") }
            if a < 0, b != b.rounded() { throw .unsupported("complex numbers (a negative number to a fractional power)") }
            return .double(Foundation.pow(a, b))
        case .concatenate:
            preconditionFailure("'~' is handled in binary(_:_:_:) before arithmetic")
        }
    }

    private static func integerArithmetic(_ operation: BinaryOperator, _ a: Int, _ b: Int) throws(TemplateError) -> Value {
        func checked(_ result: (partialValue: Int, overflow: Bool)) throws(TemplateError) -> Value {
            guard !result.overflow else { throw .runtime("integer result is too large") }
            return .int(result.partialValue)
        }
        switch operation {
        case .add: return try checked(a.addingReportingOverflow(b))
        case .subtract: return try checked(a.subtractingReportingOverflow(b))
        case .multiply: return try checked(a.multipliedReportingOverflow(by: b))
        case .divide:
            guard b != 0 else { throw .runtime("division by zero") }
            return .double(Double(a) / Double(b))
        case .floorDivide:
            guard b != 0 else { throw .runtime("integer division or modulo by zero") }
            guard !(a == .min && b == -1) else { throw .runtime("integer result is too large") }
            let quotient = a / b
            return .int((a % b != 0 && (a < 0) != (b < 0)) ? quotient - 1 : quotient)
        case .modulo:
            guard b != 0 else { throw .runtime("integer modulo by zero") }
            guard b != -1 else { return .int(0) }
            let remainder = a % b
            return .int(remainder != 0 && (remainder < 0) != (b < 0) ? remainder + b : remainder)
        case .power:
            if b < 0 {
                guard a != 0 else { throw .runtime("0.0 cannot be raised to a negative power") }
                return .double(Foundation.pow(Double(a), Double(b)))
            }
            var result = 1
            for _ in 0..<b {
                let next = result.multipliedReportingOverflow(by: a)
                guard !next.overflow else { throw .runtime("integer result is too large") }
                result = next.partialValue
                if result == 0 || result == 1 && a == 1 { break }
            }
            return .int(result)
        case .concatenate:
            preconditionFailure("'~' is handled in binary(_:_:_:) before arithmetic")
        }
    }

    /// Python's float `%`: the result has the divisor's sign.
    static func modulo(_ a: Double, _ b: Double) -> Double {
        var remainder = a.truncatingRemainder(dividingBy: b)
        if remainder != 0, (remainder < 0) != (b < 0) { remainder += b }
        if remainder == 0 { remainder = b < 0 ? -0.0 : 0.0 }
        return remainder
    }

    /// Python's float `//` (CPython `float_floor_div`).
    static func floorDivide(_ a: Double, _ b: Double) -> Double {
        var remainder = a.truncatingRemainder(dividingBy: b)
        var division = (a - remainder) / b
        if remainder != 0, (b < 0) != (remainder < 0) {
            remainder += b
            division -= 1
        }
        guard division != 0 else { return (a / b).sign == .minus ? -0.0 : 0.0 }
        var floored = division.rounded(.down)
        if division - floored > 0.5 { floored += 1 }
        return floored
    }

    static func unary(_ operation: UnaryOperator, _ operand: Value) throws(TemplateError) -> Value {
        if operation == .not { return .bool(!operand.isTruthy) }
        try operand.requireDefined()
        if let number = operand.integerValue {
            if operation == .plus { return .int(number) }
            guard number != .min else { throw .runtime("integer result is too large") }
            return .int(-number)
        }
        if case .double(let value) = operand { return .double(operation == .negate ? -value : value) }
        throw .runtime("bad operand type for unary \(operation == .negate ? "-" : "+"): '\(operand.typeName)'")
    }
}
