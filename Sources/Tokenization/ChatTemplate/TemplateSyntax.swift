// The parsed form of a template: statements (text, output, if, for, set, macro, ...) holding
// expressions. Every node keeps the line and column it starts at, for error messages.

/// A place in the template source (1-based).
struct SourceLocation: Sendable, Equatable {
    var line: Int
    var column: Int
}

/// A literal constant.
enum Literal: Sendable, Equatable {
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
}

/// Positional and keyword arguments as written in a call.
struct CallSyntax: Sendable {
    var positional: [Expression] = []
    var keywords: [(name: String, value: Expression)] = []
}

/// `name(arguments)` after `|` (a filter) or `is` (a test).
struct FilterSyntax: Sendable {
    var name: String
    var arguments: CallSyntax
    var location: SourceLocation
}

enum UnaryOperator: Sendable { case negate, plus, not }

enum BinaryOperator: String, Sendable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", floorDivide = "//", modulo = "%", power = "**"
    case concatenate = "~"
}

enum ComparisonOperator: String, Sendable {
    case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
    case contains = "in", notContains = "not in"
}

struct Expression: Sendable {
    indirect enum Kind: Sendable {
        case literal(Literal)
        case name(String)
        case list([Expression])
        case tuple([Expression])
        case dict([(key: Expression, value: Expression)])
        /// `value.name`
        case attribute(Expression, String)
        /// `value[index]`
        case index(Expression, Expression)
        /// `value[start:stop:step]`
        case slice(Expression, start: Expression?, stop: Expression?, step: Expression?)
        case call(Expression, CallSyntax)
        case filter(Expression, FilterSyntax)
        case test(Expression, FilterSyntax, negated: Bool)
        case unary(UnaryOperator, Expression)
        case binary(BinaryOperator, Expression, Expression)
        case and(Expression, Expression)
        case or(Expression, Expression)
        /// `a < b <= c`: Python's chained comparison.
        case compare(Expression, [(ComparisonOperator, Expression)])
        /// `then if condition else otherwise`; without `else` the result is undefined.
        case conditional(condition: Expression, then: Expression, otherwise: Expression?)
    }

    var kind: Kind
    var location: SourceLocation
}

/// The left side of `set`, of a `for` or of `with`.
enum AssignTarget: Sendable {
    case name(String)
    case tuple([String])
    /// `namespace_variable.attribute`
    case namespaceAttribute(String, String)
}

struct ForLoop: Sendable {
    var target: AssignTarget
    var iterable: Expression
    var condition: Expression?
    var body: [Statement]
    var otherwise: [Statement]
}

struct MacroDefinition: Sendable {
    var name: String
    var parameters: [(name: String, defaultValue: Expression?)]
    var body: [Statement]
    /// Whether the body reads `caller` (only then can it be called from a `{% call %}` block).
    var usesCaller = true
}

indirect enum Statement: Sendable {
    case text(String)
    case output(Expression)
    case ifChain([(condition: Expression, body: [Statement])], otherwise: [Statement])
    case forLoop(ForLoop, SourceLocation)
    case set(AssignTarget, Expression, SourceLocation)
    case setBlock(AssignTarget, filters: [FilterSyntax], body: [Statement], SourceLocation)
    case macro(MacroDefinition)
    /// `{% call(parameters) macro(...) %}body{% endcall %}`: the body becomes `caller()`.
    case callBlock(call: Expression, parameters: [(name: String, defaultValue: Expression?)], body: [Statement])
    case filterBlock(filters: [FilterSyntax], body: [Statement])
    case with(assignments: [(AssignTarget, Expression)], body: [Statement], SourceLocation)
    case loopControl(isBreak: Bool, SourceLocation)
    /// transformers' `{% generation %}` block: marks assistant text, renders its body unchanged.
    case generation([Statement])
}
