// Expressions, by jinja2's precedence (lowest first):
//   x if c else y  <  or  <  and  <  not  <  comparisons (==, !=, <, <=, >, >=, in, not in; chained)
//   <  + -  <  ~  <  * / // %  <  ** (left-associative, as in Jinja)  <  unary - +
//   <  postfix: .name, [index], [a:b:c], (call)  <  filters `|f(...)`, tests `is [not] t ...`
// so `'a' + b | trim` trims only `b`, and `not x is defined` negates the test.

extension TemplateParser {
    /// A comma-separated list is a tuple (`{{ a, b }}`, `set a, b = 1, 2`); a single item is itself.
    mutating func parseTuple(
        simplified: Bool = false, withConditional: Bool = true, extraEnds: Set<String> = [],
        explicitParentheses: Bool = false
    ) throws(TemplateError) -> Expression {
        let start = location
        var items: [Expression] = []
        var isTuple = false
        while true {
            if !items.isEmpty { try expectSymbol(",") }
            if isTupleEnd(extraEnds) { break }
            if simplified {
                items.append(try parsePrimary())
            } else {
                items.append(withConditional ? try parseExpression() : try parseOr())
            }
            if isSymbol(",") { isTuple = true } else { break }
        }
        if !isTuple {
            if let only = items.first { return only }
            guard explicitParentheses else { throw unexpected(expecting: "an expression") }
        }
        return Expression(kind: .tuple(items), location: start)
    }

    /// jinja2 passes its extra end rules (`in` after a for target) in a way that never matches, so a
    /// trailing comma before `in` is an error there; the same happens here by not consulting them.
    private func isTupleEnd(_ extraEnds: Set<String>) -> Bool {
        switch current.kind {
        case .variableEnd, .blockEnd, .end: return true
        case .symbol(")"): return true
        default: return false
        }
    }

    mutating func parseExpression() throws(TemplateError) -> Expression {
        var expression = try parseOr()
        while isName("if") {
            let start = location
            advance()
            let condition = try parseOr()
            let otherwise = skipName("else") ? try parseExpression() : nil
            expression = Expression(kind: .conditional(condition: condition, then: expression, otherwise: otherwise),
                                    location: start)
        }
        return expression
    }

    mutating func parseOr() throws(TemplateError) -> Expression {
        var left = try parseAnd()
        while isName("or") {
            let start = location
            advance()
            left = Expression(kind: .or(left, try parseAnd()), location: start)
        }
        return left
    }

    mutating func parseAnd() throws(TemplateError) -> Expression {
        var left = try parseNot()
        while isName("and") {
            let start = location
            advance()
            left = Expression(kind: .and(left, try parseNot()), location: start)
        }
        return left
    }

    mutating func parseNot() throws(TemplateError) -> Expression {
        guard isName("not") else { return try parseCompare() }
        let start = location
        advance()
        try enterNesting()
        defer { expressionDepth -= 1 }
        return Expression(kind: .unary(.not, try parseNot()), location: start)
    }

    /// Counts one more level of nesting; templates nest a handful of levels, and a bound keeps a
    /// hostile template from exhausting the stack.
    mutating func enterNesting() throws(TemplateError) {
        expressionDepth += 1
        guard expressionDepth <= Self.maximumExpressionDepth else {
            throw syntaxError("expression or block nested more than \(Self.maximumExpressionDepth) levels deep")
        }
    }

    mutating func parseCompare() throws(TemplateError) -> Expression {
        let start = location
        let first = try parseAdditive()
        var operations: [(ComparisonOperator, Expression)] = []
        while true {
            let comparison: ComparisonOperator
            if case .symbol(let symbol) = current.kind, let found = ComparisonOperator(rawValue: symbol),
               found != .contains, found != .notContains {
                comparison = found
                advance()
            } else if isName("in") {
                comparison = .contains
                advance()
            } else if isName("not"), isName("in", peek()) {
                comparison = .notContains
                advance()
                advance()
            } else {
                break
            }
            operations.append((comparison, try parseAdditive()))
        }
        return operations.isEmpty ? first : Expression(kind: .compare(first, operations), location: start)
    }

    private mutating func parseBinary(
        _ symbols: [String: BinaryOperator], operand: (inout TemplateParser) throws(TemplateError) -> Expression
    ) throws(TemplateError) -> Expression {
        var left = try operand(&self)
        while case .symbol(let symbol) = current.kind, let binary = symbols[symbol] {
            let start = location
            advance()
            left = Expression(kind: .binary(binary, left, try operand(&self)), location: start)
        }
        return left
    }

    mutating func parseAdditive() throws(TemplateError) -> Expression {
        try parseBinary(["+": .add, "-": .subtract]) { (parser: inout TemplateParser) throws(TemplateError) in
            try parser.parseConcatenation()
        }
    }

    mutating func parseConcatenation() throws(TemplateError) -> Expression {
        try parseBinary(["~": .concatenate]) { (parser: inout TemplateParser) throws(TemplateError) in
            try parser.parseMultiplicative()
        }
    }

    mutating func parseMultiplicative() throws(TemplateError) -> Expression {
        try parseBinary(["*": .multiply, "/": .divide, "//": .floorDivide, "%": .modulo]) {
            (parser: inout TemplateParser) throws(TemplateError) in try parser.parsePower()
        }
    }

    mutating func parsePower() throws(TemplateError) -> Expression {
        try parseBinary(["**": .power]) { (parser: inout TemplateParser) throws(TemplateError) in
            try parser.parseUnary(withFilters: true)
        }
    }

    mutating func parseUnary(withFilters: Bool) throws(TemplateError) -> Expression {
        try enterNesting()
        defer { expressionDepth -= 1 }
        let start = location
        var expression: Expression
        if skipSymbol("-") {
            expression = Expression(kind: .unary(.negate, try parseUnary(withFilters: false)), location: start)
        } else if skipSymbol("+") {
            expression = Expression(kind: .unary(.plus, try parseUnary(withFilters: false)), location: start)
        } else {
            expression = try parsePrimary()
        }
        expression = try parsePostfix(expression)
        if withFilters { expression = try parseFiltersAndTests(expression) }
        return expression
    }

    mutating func parsePrimary() throws(TemplateError) -> Expression {
        let start = location
        let token = current
        switch token.kind {
        case .name(let name):
            advance()
            switch name {
            case "true", "True": return Expression(kind: .literal(.bool(true)), location: start)
            case "false", "False": return Expression(kind: .literal(.bool(false)), location: start)
            case "none", "None": return Expression(kind: .literal(.none), location: start)
            default:
                if name == "caller" { callerReferences += 1 }
                return Expression(kind: .name(name), location: start)
            }
        case .string(var value):
            advance()
            while case .string(let next) = current.kind {
                value += next
                advance()
            }
            return Expression(kind: .literal(.string(value)), location: start)
        case .integer(let value):
            advance()
            return Expression(kind: .literal(.int(value)), location: start)
        case .float(let value):
            advance()
            return Expression(kind: .literal(.double(value)), location: start)
        case .symbol("("):
            advance()
            let inner = try parseTuple(explicitParentheses: true)
            try expectSymbol(")")
            return inner
        case .symbol("["):
            advance()
            var items: [Expression] = []
            while !isSymbol("]") {
                if !items.isEmpty {
                    try expectSymbol(",")
                    if isSymbol("]") { break }
                }
                items.append(try parseExpression())
            }
            advance()
            return Expression(kind: .list(items), location: start)
        case .symbol("{"):
            advance()
            var entries: [(key: Expression, value: Expression)] = []
            while !isSymbol("}") {
                if !entries.isEmpty {
                    try expectSymbol(",")
                    if isSymbol("}") { break }
                }
                let key = try parseExpression()
                try expectSymbol(":")
                entries.append((key, try parseExpression()))
            }
            advance()
            return Expression(kind: .dict(entries), location: start)
        default:
            throw syntaxError("unexpected \(Self.describe(token))")
        }
    }

    mutating func parsePostfix(_ base: Expression) throws(TemplateError) -> Expression {
        var expression = base
        while true {
            // A postfix node starts where its base starts: errors point at `missing.attribute`, not at `.`.
            let start = expression.location
            if skipSymbol(".") {
                switch current.kind {
                case .name(let name):
                    advance()
                    expression = Expression(kind: .attribute(expression, name), location: start)
                case .integer(let value):
                    advance()
                    let index = Expression(kind: .literal(.int(value)), location: start)
                    expression = Expression(kind: .index(expression, index), location: start)
                default:
                    throw unexpected(expecting: "an attribute name after '.'")
                }
            } else if skipSymbol("[") {
                expression = try parseSubscript(expression, at: start)
            } else if isSymbol("(") {
                expression = Expression(kind: .call(expression, try parseCallArguments()), location: start)
            } else {
                return expression
            }
        }
    }

    private mutating func parseSubscript(_ base: Expression, at start: SourceLocation) throws(TemplateError) -> Expression {
        // `x[]` and `x[a, b]` index with a tuple, as in jinja2 (which finds nothing for such keys here).
        if isSymbol("]") || isSymbol(",") {
            var items: [Expression] = []
            while !isSymbol("]") {
                if !items.isEmpty || isSymbol(",") { try expectSymbol(",") }
                if isSymbol("]") { break }
                items.append(try parseExpression())
            }
            advance()
            return Expression(kind: .index(base, Expression(kind: .tuple(items), location: start)), location: start)
        }
        var parts: [Expression?] = []
        var isSlice = false
        if !isSymbol(":") { parts.append(try parseExpression()) } else { parts.append(nil) }
        while skipSymbol(":") {
            isSlice = true
            parts.append(isSymbol(":") || isSymbol("]") ? nil : try parseExpression())
        }
        if !isSlice, isSymbol(","), let first = parts[0] {
            var items = [first]
            while skipSymbol(",") {
                if isSymbol("]") { break }
                items.append(try parseExpression())
            }
            try expectSymbol("]")
            return Expression(kind: .index(base, Expression(kind: .tuple(items), location: start)), location: start)
        }
        try expectSymbol("]")
        guard isSlice else {
            guard let index = parts[0] else { throw syntaxError("empty subscript") }
            return Expression(kind: .index(base, index), location: start)
        }
        guard parts.count <= 3 else { throw syntaxError("too many ':' in a slice") }
        let step: Expression? = parts.count > 2 ? parts[2] : nil
        return Expression(kind: .slice(base, start: parts[0], stop: parts[1], step: step), location: start)
    }

    mutating func parseCallArguments() throws(TemplateError) -> CallSyntax {
        try expectSymbol("(")
        var call = CallSyntax()
        while !isSymbol(")") {
            if !call.positional.isEmpty || !call.keywords.isEmpty {
                try expectSymbol(",")
                if isSymbol(")") { break }
            }
            if isSymbol("*") || isSymbol("**") {
                throw TemplateError(.unsupported, "'*args' / '**kwargs' in a call", line: current.line, column: current.column)
            }
            if case .name(let name) = current.kind, isSymbol("=", peek()) {
                advance()
                advance()
                call.keywords.append((name, try parseExpression()))
            } else {
                guard call.keywords.isEmpty else { throw syntaxError("a positional argument follows a keyword argument") }
                call.positional.append(try parseExpression())
            }
        }
        advance()
        return call
    }

    mutating func parseFiltersAndTests(_ base: Expression) throws(TemplateError) -> Expression {
        var expression = base
        while true {
            if isSymbol("|") {
                let filters = try parseFilterChain(inline: false)
                for filter in filters {
                    expression = Expression(kind: .filter(expression, filter), location: filter.location)
                }
            } else if isName("is") {
                expression = try parseTest(expression)
            } else if isSymbol("(") {
                expression = Expression(kind: .call(expression, try parseCallArguments()), location: expression.location)
            } else {
                return expression
            }
        }
    }

    /// `| name(args) | name ...`; with `inline` the first filter has no leading `|` (`{% filter %}`).
    mutating func parseFilterChain(inline: Bool) throws(TemplateError) -> [FilterSyntax] {
        var filters: [FilterSyntax] = []
        var first = inline
        while first || isSymbol("|") {
            if !first { advance() }
            first = false
            let start = location
            var name = try expectName()
            while skipSymbol(".") { name += "." + (try expectName()) }
            let arguments = isSymbol("(") ? try parseCallArguments() : CallSyntax()
            filters.append(FilterSyntax(name: name, arguments: arguments, location: start))
        }
        return filters
    }

    private mutating func parseTest(_ base: Expression) throws(TemplateError) -> Expression {
        let start = location
        advance()
        let negated = skipName("not")
        let nameLocation = location
        var name = try expectName()
        while skipSymbol(".") { name += "." + (try expectName()) }
        var arguments = CallSyntax()
        if isSymbol("(") {
            arguments = try parseCallArguments()
        } else if startsTestArgument {
            if isName("is") { throw syntaxError("you cannot chain multiple tests with 'is'") }
            arguments.positional = [try parsePostfix(try parsePrimary())]
        }
        let test = FilterSyntax(name: name, arguments: arguments, location: nameLocation)
        return Expression(kind: .test(base, test, negated: negated), location: start)
    }

    /// Whether the token after a test name is its single argument (`x is divisibleby 3`).
    private var startsTestArgument: Bool {
        switch current.kind {
        case .name(let name): return !["else", "or", "and"].contains(name)
        case .string, .integer, .float, .symbol("("), .symbol("["), .symbol("{"): return true
        default: return false
        }
    }
}
