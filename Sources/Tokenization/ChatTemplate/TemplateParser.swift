// Tokens to statements, following the grammar of jinja2's parser (jinja2/parser.py). Tags that Jinja
// has but this renderer does not implement (include, extends, block, import, ...) are rejected here,
// by name. Filters and tests are looked up when they run, as jinja2 does inside `if` blocks, so a
// template whose unused branch has a filter this renderer lacks still renders the other branches;
// reaching that filter is an error naming it.

struct TemplateParser {
    var tokens: [TemplateToken]
    var index = 0
    var expressionDepth = 0
    var loopDepth = 0
    /// How many times `caller` has been read so far (a macro accepts a call block only if it reads it).
    var callerReferences = 0
    static let maximumExpressionDepth = 100

    /// Jinja tags this renderer does not implement.
    static let unsupportedTags: Set<String> = [
        "block", "extends", "include", "import", "from", "autoescape", "trans", "pluralize", "debug", "do",
    ]

    /// Parses a template source into statements.
    static func parse(_ source: String) throws(TemplateError) -> [Statement] {
        var parser = TemplateParser(tokens: try TemplateLexer.tokenize(source))
        let (body, _) = try parser.parseStatements(until: [])
        try TemplateNameCheck.check(body)
        return body
    }

    /// `tokens` end with an `.end` token (the lexer adds one).
    init(tokens: [TemplateToken]) {
        self.tokens = tokens.isEmpty ? [TemplateToken(kind: .end, line: 1, column: 1)] : tokens
    }

    // MARK: token helpers

    var current: TemplateToken { tokens[index] }
    var location: SourceLocation { SourceLocation(line: current.line, column: current.column) }

    func peek(_ offset: Int = 1) -> TemplateToken { tokens[min(index + offset, tokens.count - 1)] }

    mutating func advance() {
        if index < tokens.count - 1 { index += 1 }
    }

    func isName(_ name: String, _ token: TemplateToken? = nil) -> Bool {
        if case .name(name) = (token ?? current).kind { true } else { false }
    }

    func isSymbol(_ symbol: String, _ token: TemplateToken? = nil) -> Bool {
        if case .symbol(symbol) = (token ?? current).kind { true } else { false }
    }

    func syntaxError(_ message: String, at token: TemplateToken? = nil) -> TemplateError {
        let token = token ?? current
        return TemplateError(.syntax, message, line: token.line, column: token.column)
    }

    static func describe(_ token: TemplateToken) -> String {
        switch token.kind {
        case .text: "text"
        case .variableBegin: "'{{'"
        case .variableEnd: "'}}'"
        case .blockBegin: "'{%'"
        case .blockEnd: "'%}'"
        case .name(let name): "'\(name)'"
        case .string(let value): "string \(PythonText.repr(value))"
        case .integer(let value): "integer \(value)"
        case .float(let value): "number \(value)"
        case .symbol(let symbol): "'\(symbol)'"
        case .end: "end of template"
        }
    }

    func unexpected(expecting expected: String) -> TemplateError {
        syntaxError("expected \(expected), got \(Self.describe(current))")
    }

    mutating func skipName(_ name: String) -> Bool {
        guard isName(name) else { return false }
        advance()
        return true
    }

    mutating func skipSymbol(_ symbol: String) -> Bool {
        guard isSymbol(symbol) else { return false }
        advance()
        return true
    }

    mutating func expectSymbol(_ symbol: String) throws(TemplateError) {
        guard skipSymbol(symbol) else { throw unexpected(expecting: "'\(symbol)'") }
    }

    mutating func expectName() throws(TemplateError) -> String {
        guard case .name(let name) = current.kind else { throw unexpected(expecting: "a name") }
        advance()
        return name
    }

    /// The `%}` that opens a block body; jinja2 accepts a Python-style ':' before it (`{% if x: %}`).
    mutating func expectBlockStart() throws(TemplateError) {
        _ = skipSymbol(":")
        try expectBlockEnd()
    }

    mutating func expectBlockEnd() throws(TemplateError) {
        guard case .blockEnd = current.kind else { throw unexpected(expecting: "'%}'") }
        advance()
    }

    // MARK: statements

    /// Parses until a block tag named in `ends`; returns the body and that tag's name, after which the
    /// tag's remaining tokens are current. With no `ends`, parses to the end of the template.
    mutating func parseStatements(until ends: Set<String>) throws(TemplateError) -> ([Statement], String?) {
        var body: [Statement] = []
        while true {
            let token = current
            switch token.kind {
            case .text(let text):
                body.append(.text(text))
                advance()
            case .variableBegin:
                advance()
                let expression = try parseTuple()
                guard case .variableEnd = current.kind else { throw unexpected(expecting: "'}}'") }
                advance()
                body.append(.output(expression))
            case .blockBegin:
                if case .name(let name) = peek().kind, ends.contains(name) {
                    advance()
                    advance()
                    return (body, name)
                }
                advance()
                body.append(try parseStatement())
            case .end:
                guard ends.isEmpty else {
                    let names = ends.sorted().map { "'\($0)'" }.joined(separator: " or ")
                    throw syntaxError("unexpected end of template; expected \(names)", at: token)
                }
                return (body, nil)
            default:
                throw syntaxError("unexpected \(Self.describe(token))", at: token)
            }
        }
    }

    /// Parses the body of a block up to `end` and its closing `%}`.
    mutating func parseBlockBody(until end: String) throws(TemplateError) -> [Statement] {
        let (body, _) = try parseStatements(until: [end])
        try expectBlockEnd()
        return body
    }

    mutating func parseStatement() throws(TemplateError) -> Statement {
        let tagToken = current
        let tagLocation = location
        guard case .name(let tag) = current.kind else { throw syntaxError("expected a tag name after '{%'") }
        advance()
        try enterNesting()
        defer { expressionDepth -= 1 }
        switch tag {
        case "if":
            return try parseIf()
        case "for":
            return try parseFor(at: tagLocation)
        case "set":
            return try parseSet(at: tagLocation)
        case "macro":
            return try parseMacro()
        case "call":
            return try parseCallBlock()
        case "filter":
            let filters = try parseFilterChain(inline: true)
            try expectBlockStart()
            return .filterBlock(filters: filters, body: try parseBlockBody(until: "endfilter"))
        case "with":
            return try parseWith(at: tagLocation)
        case "break", "continue":
            guard loopDepth > 0 else { throw syntaxError("'\(tag)' outside a for loop", at: tagToken) }
            try expectBlockEnd()
            return .loopControl(isBreak: tag == "break", tagLocation)
        case "generation":
            try expectBlockStart()
            return .generation(try parseBlockBody(until: "endgeneration"))
        default:
            if Self.unsupportedTags.contains(tag) {
                throw TemplateError(.unsupported, "the '{% \(tag) %}' tag", line: tagToken.line, column: tagToken.column)
            }
            throw syntaxError("unknown tag '\(tag)'", at: tagToken)
        }
    }

    mutating func parseIf() throws(TemplateError) -> Statement {
        var branches: [(condition: Expression, body: [Statement])] = []
        var condition = try parseTuple(withConditional: false)
        while true {
            try expectBlockStart()
            let (body, end) = try parseStatements(until: ["elif", "else", "endif"])
            branches.append((condition, body))
            switch end {
            case "elif":
                condition = try parseTuple(withConditional: false)
            case "else":
                try expectBlockStart()
                return .ifChain(branches, otherwise: try parseBlockBody(until: "endif"))
            default:
                try expectBlockEnd()
                return .ifChain(branches, otherwise: [])
            }
        }
    }

    mutating func parseFor(at tagLocation: SourceLocation) throws(TemplateError) -> Statement {
        let target = try parseAssignTarget(withNamespace: false, extraEnds: ["in"])
        guard skipName("in") else { throw unexpected(expecting: "'in'") }
        let iterable = try parseTuple(withConditional: false, extraEnds: ["recursive"])
        var condition: Expression?
        if skipName("if") { condition = try parseExpression() }
        if isName("recursive") {
            throw TemplateError(.unsupported, "recursive for loops", line: current.line, column: current.column)
        }
        try expectBlockStart()
        loopDepth += 1
        let (body, end) = try parseStatements(until: ["endfor", "else"])
        loopDepth -= 1
        if end == "else" { try expectBlockStart() } else { try expectBlockEnd() }
        let otherwise = end == "else" ? try parseBlockBody(until: "endfor") : []
        let loop = ForLoop(target: target, iterable: iterable, condition: condition, body: body, otherwise: otherwise)
        return .forLoop(loop, tagLocation)
    }

    mutating func parseSet(at tagLocation: SourceLocation) throws(TemplateError) -> Statement {
        let target = try parseAssignTarget(withNamespace: true)
        if skipSymbol("=") {
            let value = try parseTuple()
            try expectBlockEnd()
            return .set(target, value, tagLocation)
        }
        let filters = isSymbol("|") ? try parseFilterChain(inline: false) : []
        try expectBlockStart()
        return .setBlock(target, filters: filters, body: try parseBlockBody(until: "endset"), tagLocation)
    }

    mutating func parseMacro() throws(TemplateError) -> Statement {
        let name = try expectName()
        let parameters = try parseSignature()
        try expectBlockStart()
        let savedLoopDepth = loopDepth
        loopDepth = 0
        defer { loopDepth = savedLoopDepth }
        let callersBefore = callerReferences
        let body = try parseBlockBody(until: "endmacro")
        return .macro(MacroDefinition(name: name, parameters: parameters, body: body, usesCaller: callerReferences > callersBefore))
    }

    mutating func parseSignature() throws(TemplateError) -> [(name: String, defaultValue: Expression?)] {
        try expectSymbol("(")
        var parameters: [(name: String, defaultValue: Expression?)] = []
        while !isSymbol(")") {
            if !parameters.isEmpty { try expectSymbol(",") }
            let name = try expectName()
            parameters.append((name, skipSymbol("=") ? try parseExpression() : nil))
        }
        advance()
        return parameters
    }

    mutating func parseCallBlock() throws(TemplateError) -> Statement {
        let parameters = isSymbol("(") ? try parseSignature() : []
        let call = try parseExpression()
        guard case .call = call.kind else { throw syntaxError("expected a macro call after 'call'") }
        try expectBlockStart()
        let savedLoopDepth = loopDepth
        loopDepth = 0
        defer { loopDepth = savedLoopDepth }
        return .callBlock(call: call, parameters: parameters, body: try parseBlockBody(until: "endcall"))
    }

    mutating func parseWith(at tagLocation: SourceLocation) throws(TemplateError) -> Statement {
        var assignments: [(AssignTarget, Expression)] = []
        while !isBlockEnd {
            if !assignments.isEmpty { try expectSymbol(",") }
            let target = try parseAssignTarget(withNamespace: false)
            try expectSymbol("=")
            assignments.append((target, try parseExpression()))
        }
        try expectBlockStart()
        return .with(assignments: assignments, body: try parseBlockBody(until: "endwith"), tagLocation)
    }

    var isBlockEnd: Bool {
        if case .blockEnd = current.kind { true } else { false }
    }

    /// A name, `a, b` (for unpacking) or, with `withNamespace`, `ns.attribute`.
    mutating func parseAssignTarget(withNamespace: Bool, extraEnds: Set<String> = []) throws(TemplateError) -> AssignTarget {
        if withNamespace, case .name(let namespace) = current.kind, isSymbol(".", peek()) {
            advance()
            advance()
            return .namespaceAttribute(namespace, try expectName())
        }
        let start = current
        let target = try parseTuple(simplified: true, extraEnds: extraEnds)
        switch target.kind {
        case .name(let name):
            return .name(name)
        case .tuple(let items):
            var names: [String] = []
            for item in items {
                guard case .name(let name) = item.kind else { throw syntaxError("can't assign to this expression", at: start) }
                names.append(name)
            }
            return .tuple(names)
        default:
            throw syntaxError("can't assign to this expression", at: start)
        }
    }
}
