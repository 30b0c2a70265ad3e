// Evaluating expressions. An error raised anywhere below gets the position of the innermost
// expression that was being evaluated.

extension TemplateRenderer {
    func evaluate(_ expression: Expression, in frame: Frame) throws(TemplateError) -> Value {
        do {
            return try evaluateKind(expression, in: frame)
        } catch {
            throw error.located(line: expression.location.line, column: expression.location.column)
        }
    }

    private func evaluateKind(_ expression: Expression, in frame: Frame) throws(TemplateError) -> Value {
        switch expression.kind {
        case .literal(let literal):
            switch literal {
            case .none: return .none
            case .bool(let value): return .bool(value)
            case .int(let value): return .int(value)
            case .double(let value): return .double(value)
            case .string(let value): return .string(value)
            }
        case .name(let name):
            return resolve(name, in: frame)
        case .list(let items):
            return .list(try evaluateAll(items, in: frame))
        case .tuple(let items):
            return .tuple(try evaluateAll(items, in: frame))
        case .dict(let entries):
            var dict = Dict()
            for entry in entries {
                let key = try evaluate(entry.key, in: frame)
                guard let name = key.stringValue else {
                    throw TemplateError.unsupported("dict literals with non-string keys (\(key.typeName))")
                        .located(line: entry.key.location.line, column: entry.key.location.column)
                }
                dict[name] = try evaluate(entry.value, in: frame)
            }
            return .dict(dict)
        case .attribute(let base, let name):
            return try TemplateLookup.attribute(name, of: try evaluate(base, in: frame))
        case .index(let base, let index):
            let container = try evaluate(base, in: frame)
            return try TemplateLookup.item(try evaluate(index, in: frame), of: container)
        case .slice(let base, let start, let stop, let step):
            let container = try evaluate(base, in: frame)
            return try TemplateLookup.slice(
                container, start: try start.map { (e: Expression) throws(TemplateError) in try evaluate(e, in: frame) },
                stop: try stop.map { (e: Expression) throws(TemplateError) in try evaluate(e, in: frame) },
                step: try step.map { (e: Expression) throws(TemplateError) in try evaluate(e, in: frame) })
        case .call(let callee, let syntax):
            let function = try evaluate(callee, in: frame)
            return try callValue(function, try evaluateArguments(syntax, in: frame), at: expression.location)
        case .filter(let base, let filter):
            let value = try evaluate(base, in: frame)
            let arguments = try evaluateArguments(filter.arguments, in: frame)
            do { return try TemplateFilters.apply(filter.name, to: value, arguments) } catch {
                throw error.located(line: filter.location.line, column: filter.location.column)
            }
        case .test(let base, let test, let negated):
            let value = try evaluate(base, in: frame)
            let arguments = try evaluateArguments(test.arguments, in: frame)
            let result: Bool
            do { result = try TemplatePredicates.apply(test.name, to: value, arguments) } catch {
                throw error.located(line: test.location.line, column: test.location.column)
            }
            return .bool(result != negated)
        case .unary(let operation, let operand):
            return try ValueOperators.unary(operation, try evaluate(operand, in: frame))
        case .binary(let operation, let left, let right):
            let leftValue = try evaluate(left, in: frame)
            return try ValueOperators.binary(operation, leftValue, try evaluate(right, in: frame))
        case .and(let left, let right):
            let leftValue = try evaluate(left, in: frame)
            return leftValue.isTruthy ? try evaluate(right, in: frame) : leftValue
        case .or(let left, let right):
            let leftValue = try evaluate(left, in: frame)
            return leftValue.isTruthy ? leftValue : try evaluate(right, in: frame)
        case .compare(let first, let operations):
            var left = try evaluate(first, in: frame)
            for (operation, operand) in operations {
                let right = try evaluate(operand, in: frame)
                if !(try compare(operation, left, right)) { return .bool(false) }
                left = right
            }
            return .bool(true)
        case .conditional(let condition, let then, let otherwise):
            if try evaluate(condition, in: frame).isTruthy { return try evaluate(then, in: frame) }
            if let otherwise { return try evaluate(otherwise, in: frame) }
            return .undefined(Undefined(message: "the inline if-expression on line \(expression.location.line) "
                + "evaluated to false and no else section was defined."))
        }
    }

    private func evaluateAll(_ expressions: [Expression], in frame: Frame) throws(TemplateError) -> [Value] {
        var values: [Value] = []
        values.reserveCapacity(expressions.count)
        for expression in expressions { values.append(try evaluate(expression, in: frame)) }
        return values
    }

    func evaluateArguments(_ syntax: CallSyntax, in frame: Frame) throws(TemplateError) -> Arguments {
        var arguments = Arguments(try evaluateAll(syntax.positional, in: frame))
        for keyword in syntax.keywords {
            arguments.keywords.append((keyword.name, try evaluate(keyword.value, in: frame)))
        }
        return arguments
    }

    private func compare(_ operation: ComparisonOperator, _ left: Value, _ right: Value) throws(TemplateError) -> Bool {
        switch operation {
        case .equal: left.isEqual(to: right)
        case .notEqual: !left.isEqual(to: right)
        case .contains: try right.contains(left)
        case .notContains: !(try right.contains(left))
        case .less, .lessOrEqual, .greater, .greaterOrEqual: try left.compare(operation, right)
        }
    }

    func callValue(_ callee: Value, _ arguments: Arguments, at location: SourceLocation) throws(TemplateError) -> Value {
        switch callee {
        case .function(let function):
            do { return try function.call(arguments) } catch { throw error.located(line: location.line, column: location.column) }
        case .undefined(let undefined):
            throw undefined.error.located(line: location.line, column: location.column)
        default:
            throw TemplateError.runtime("'\(callee.typeName)' object is not callable").located(line: location.line, column: location.column)
        }
    }
}
