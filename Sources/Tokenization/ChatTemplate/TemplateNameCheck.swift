// jinja2's compile-time check of filter and test names (jinja2/compiler.py, `_filter_test_common`):
// a name Jinja does not know is an error when the template loads, except inside an `{% if %}` or an
// inline `x if c else y` (a "soft" frame), where it only fails if that code runs. Names Jinja knows but
// this renderer does not implement (e.g. `truncate`) always load, and fail, naming the filter, when
// they run, so a template renders here exactly when it renders in Python or says why not.

enum TemplateNameCheck {
    /// jinja2's built-in filters plus transformers' `tojson`.
    static let jinjaFilters: Set<String> = [
        "abs", "attr", "batch", "capitalize", "center", "count", "d", "default", "dictsort", "e", "escape",
        "filesizeformat", "first", "float", "forceescape", "format", "groupby", "indent", "int", "items", "join", "last",
        "length", "list", "lower", "map", "max", "min", "pprint", "random", "reject", "rejectattr", "replace", "reverse",
        "round", "safe", "select", "selectattr", "slice", "sort", "string", "striptags", "sum", "title", "tojson", "trim",
        "truncate", "unique", "upper", "urlencode", "urlize", "wordcount", "wordwrap", "xmlattr",
    ]

    /// jinja2's built-in tests (all implemented in `TemplatePredicates`).
    static let jinjaTests: Set<String> = [
        "!=", "<", "<=", "==", ">", ">=", "boolean", "callable", "defined", "divisibleby", "eq", "equalto", "escaped",
        "even", "false", "filter", "float", "ge", "greaterthan", "gt", "in", "integer", "iterable", "le", "lessthan",
        "lower", "lt", "mapping", "ne", "none", "number", "odd", "sameas", "sequence", "string", "test", "true",
        "undefined", "upper",
    ]

    static func check(_ statements: [Statement], soft: Bool = false) throws(TemplateError) {
        for statement in statements { try check(statement, soft: soft) }
    }

    private static func check(_ statement: Statement, soft: Bool) throws(TemplateError) {
        switch statement {
        case .text, .loopControl:
            break
        case .output(let expression), .set(_, let expression, _):
            try check(expression, soft: soft)
        case .ifChain(let branches, let otherwise):
            for branch in branches {
                try check(branch.condition, soft: true)
                try check(branch.body, soft: true)
            }
            try check(otherwise, soft: true)
        case .forLoop(let loop, _):
            try check(loop.iterable, soft: soft)
            if let condition = loop.condition { try check(condition, soft: false) }
            try check(loop.body)
            try check(loop.otherwise)
        case .setBlock(_, let filters, let body, _), .filterBlock(let filters, let body):
            for filter in filters {
                try checkName(filter, filter: true, soft: false)
                try check(filter.arguments, soft: false)
            }
            try check(body)
        case .macro(let macro):
            for parameter in macro.parameters { if let value = parameter.defaultValue { try check(value, soft: false) } }
            try check(macro.body)
        case .callBlock(let call, let parameters, let body):
            try check(call, soft: soft)
            for parameter in parameters { if let value = parameter.defaultValue { try check(value, soft: false) } }
            try check(body)
        case .with(let assignments, let body, _):
            for (_, value) in assignments { try check(value, soft: soft) }
            try check(body)
        case .generation(let body):
            try check(body)
        }
    }

    private static func check(_ call: CallSyntax, soft: Bool) throws(TemplateError) {
        for argument in call.positional { try check(argument, soft: soft) }
        for keyword in call.keywords { try check(keyword.value, soft: soft) }
    }

    private static func checkName(_ syntax: FilterSyntax, filter: Bool, soft: Bool) throws(TemplateError) {
        guard !soft, !(filter ? jinjaFilters : jinjaTests).contains(syntax.name) else { return }
        throw TemplateError(.syntax, "no \(filter ? "filter" : "test") named '\(syntax.name)'",
                            line: syntax.location.line, column: syntax.location.column)
    }

    private static func check(_ expression: Expression, soft: Bool) throws(TemplateError) {
        switch expression.kind {
        case .literal, .name:
            break
        case .list(let items), .tuple(let items):
            for item in items { try check(item, soft: soft) }
        case .dict(let entries):
            for entry in entries {
                try check(entry.key, soft: soft)
                try check(entry.value, soft: soft)
            }
        case .attribute(let base, _), .unary(_, let base):
            try check(base, soft: soft)
        case .index(let base, let index):
            try check(base, soft: soft)
            try check(index, soft: soft)
        case .slice(let base, let start, let stop, let step):
            try check(base, soft: soft)
            for part in [start, stop, step] { if let part { try check(part, soft: soft) } }
        case .call(let callee, let call):
            try check(callee, soft: soft)
            try check(call, soft: soft)
        case .filter(let base, let filter):
            try check(base, soft: soft)
            try checkName(filter, filter: true, soft: soft)
            try check(filter.arguments, soft: soft)
        case .test(let base, let test, _):
            try check(base, soft: soft)
            try checkName(test, filter: false, soft: soft)
            try check(test.arguments, soft: soft)
        case .binary(_, let left, let right), .and(let left, let right), .or(let left, let right):
            try check(left, soft: soft)
            try check(right, soft: soft)
        case .compare(let first, let operations):
            try check(first, soft: soft)
            for (_, operand) in operations { try check(operand, soft: soft) }
        case .conditional(let condition, let then, let otherwise):
            try check(condition, soft: true)
            try check(then, soft: true)
            if let otherwise { try check(otherwise, soft: true) }
        }
    }
}
