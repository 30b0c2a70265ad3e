import Foundation

// Runs parsed statements, with Jinja's scoping: a for loop gives each iteration a fresh child scope
// (so `set` inside a loop never leaks out, which is why templates use namespace()), `if` opens no
// scope, macros run in a child of the scope they were defined in. Lookups go from the innermost
// scope out to the render context, then to the globals transformers defines
// (raise_exception, strftime_now, namespace, dict) and Jinja's range.

/// A variable scope.
final class Frame {
    var variables: [String: Value] = [:]
    let parent: Frame?

    init(parent: Frame?) { self.parent = parent }

    func lookup(_ name: String) -> Value? {
        var frame: Frame? = self
        while let current = frame {
            if let value = current.variables[name] { return value }
            frame = current.parent
        }
        return nil
    }
}

/// Renders one template once: holds the output and the scopes. Not reused, not shared.
final class TemplateRenderer {
    enum Flow { case normal, breakLoop, continueLoop }

    static let maximumCallDepth = 64

    private(set) var output = ""
    let root = Frame(parent: nil)
    var globals: [String: Value] = [:]
    var callDepth = 0

    init(context: [String: TemplateValue], now: @escaping () -> Date) {
        for (name, value) in context {
            root.variables[name] = value == .undefined ? .undefined(.missing(name)) : Value(value)
        }
        globals = TemplateGlobals.make(now: now)
    }

    func render(_ statements: [Statement]) throws(TemplateError) -> String {
        _ = try execute(statements, in: root)
        return output
    }

    func resolve(_ name: String, in frame: Frame) -> Value {
        frame.lookup(name) ?? globals[name] ?? .undefined(.missing(name))
    }

    // MARK: statements

    func execute(_ statements: [Statement], in frame: Frame) throws(TemplateError) -> Flow {
        for statement in statements {
            let flow = try execute(statement, in: frame)
            if flow != .normal { return flow }
        }
        return .normal
    }

    private func execute(_ statement: Statement, in frame: Frame) throws(TemplateError) -> Flow {
        switch statement {
        case .text(let text):
            output += text
        case .output(let expression):
            let value = try evaluate(expression, in: frame)
            do { output += try value.text() } catch { throw error.located(line: expression.location.line, column: expression.location.column) }
        case .ifChain(let branches, let otherwise):
            for branch in branches {
                if try evaluate(branch.condition, in: frame).isTruthy { return try execute(branch.body, in: frame) }
            }
            return try execute(otherwise, in: frame)
        case .forLoop(let loop, let location):
            try runLoop(loop, at: location, in: frame)
        case .set(let target, let expression, let location):
            try assign(target, try evaluate(expression, in: frame), in: frame, at: location)
        case .setBlock(let target, let filters, let body, let location):
            var value = Value.string(try capture(body, in: frame))
            value = try applyFilters(filters, to: value, in: frame)
            try assign(target, value, in: frame, at: location)
        case .macro(let macro):
            frame.variables[macro.name] = .function(makeMacro(macro, definedIn: frame))
        case .callBlock(let call, let parameters, let body):
            try runCallBlock(call, parameters: parameters, body: body, in: frame)
        case .filterBlock(let filters, let body):
            let value = try applyFilters(filters, to: .string(try capture(body, in: frame)), in: frame)
            output += try value.text()
        case .with(let assignments, let body, let location):
            let scope = Frame(parent: frame)
            var values: [(AssignTarget, Value)] = []
            for (target, expression) in assignments { values.append((target, try evaluate(expression, in: frame))) }
            for (target, value) in values { try assign(target, value, in: scope, at: location) }
            return try execute(body, in: scope)
        case .loopControl(let isBreak, _):
            return isBreak ? .breakLoop : .continueLoop
        case .generation(let body):
            return try execute(body, in: frame)
        }
        return .normal
    }

    private func runLoop(_ loop: ForLoop, at location: SourceLocation, in frame: Frame) throws(TemplateError) {
        let iterable = try evaluate(loop.iterable, in: frame)
        var items: [Value]
        do { items = try iterable.iterated() } catch {
            throw error.located(line: loop.iterable.location.line, column: loop.iterable.location.column)
        }
        if let condition = loop.condition {
            var kept: [Value] = []
            for item in items {
                let scope = Frame(parent: frame)
                try assign(loop.target, item, in: scope, at: location)
                if try evaluate(condition, in: scope).isTruthy { kept.append(item) }
            }
            items = kept
        }
        guard !items.isEmpty else {
            _ = try execute(loop.otherwise, in: frame)
            return
        }
        let context = LoopContext(items: items, depth0: 0)
        for (index, item) in items.enumerated() {
            context.index0 = index
            let scope = Frame(parent: frame)
            try assign(loop.target, item, in: scope, at: location)
            scope.variables["loop"] = .loop(context)
            if try execute(loop.body, in: scope) == .breakLoop { break }
        }
    }

    func assign(_ target: AssignTarget, _ value: Value, in frame: Frame, at location: SourceLocation) throws(TemplateError) {
        switch target {
        case .name(let name):
            frame.variables[name] = value
        case .tuple(let names):
            let items: [Value]
            do { items = try value.iterated() } catch {
                throw TemplateError.runtime("cannot unpack non-iterable \(value.typeName) object")
                    .located(line: location.line, column: location.column)
            }
            guard items.count == names.count else {
                let message = items.count > names.count
                    ? "too many values to unpack (expected \(names.count))"
                    : "not enough values to unpack (expected \(names.count), got \(items.count))"
                throw TemplateError.runtime(message).located(line: location.line, column: location.column)
            }
            for (name, item) in zip(names, items) { frame.variables[name] = item }
        case .namespaceAttribute(let name, let attribute):
            guard case .namespace(let namespace) = resolve(name, in: frame) else {
                throw TemplateError.runtime("cannot assign attribute on non-namespace object")
                    .located(line: location.line, column: location.column)
            }
            do { try TemplateGlobals.checkNamespaceName(attribute) } catch {
                throw error.located(line: location.line, column: location.column)
            }
            namespace.attributes[attribute] = value
        }
    }

    /// Renders `statements` into a string instead of the output.
    func capture(_ statements: [Statement], in frame: Frame) throws(TemplateError) -> String {
        let saved = output
        output = ""
        defer { output = saved }
        _ = try execute(statements, in: frame)
        return output
    }

    private func applyFilters(_ filters: [FilterSyntax], to value: Value, in frame: Frame) throws(TemplateError) -> Value {
        var result = value
        for filter in filters {
            let arguments = try evaluateArguments(filter.arguments, in: frame)
            do { result = try TemplateFilters.apply(filter.name, to: result, arguments) } catch {
                throw error.located(line: filter.location.line, column: filter.location.column)
            }
        }
        return result
    }

    // MARK: macros

    private func makeMacro(_ macro: MacroDefinition, definedIn frame: Frame) -> Function {
        Function(name: macro.name, isMacro: true) { [unowned self] (arguments: Arguments) throws(TemplateError) -> Value in
            try self.callMacro(name: macro.name, parameters: macro.parameters, body: macro.body,
                               definedIn: frame, arguments: arguments, acceptsCaller: macro.usesCaller)
        }
    }

    private func callMacro(
        name: String, parameters: [(name: String, defaultValue: Expression?)], body: [Statement],
        definedIn frame: Frame, arguments: Arguments, acceptsCaller: Bool = false
    ) throws(TemplateError) -> Value {
        callDepth += 1
        defer { callDepth -= 1 }
        guard callDepth <= Self.maximumCallDepth else {
            throw .runtime("macro calls nested more than \(Self.maximumCallDepth) deep (runaway recursion in '\(name)'?)")
        }
        let scope = Frame(parent: frame)
        var keywords = arguments.keywords
        if let index = keywords.firstIndex(where: { $0.name == "caller" }) {
            guard acceptsCaller else {
                throw .runtime("macro \(PythonText.repr(name)) was invoked with two values for the special caller argument. "
                    + "This is most likely a bug.")
            }
            scope.variables["caller"] = keywords.remove(at: index).value
        } else if acceptsCaller {
            scope.variables["caller"] = .undefined(Undefined(message: "No caller defined"))
        }
        guard arguments.positional.count <= parameters.count else {
            throw .runtime("macro \(PythonText.repr(name)) takes not more than \(parameters.count) argument(s)")
        }
        for (index, parameter) in parameters.enumerated() {
            if index < arguments.positional.count {
                scope.variables[parameter.name] = arguments.positional[index]
            } else if let keyword = keywords.firstIndex(where: { $0.name == parameter.name }) {
                scope.variables[parameter.name] = keywords.remove(at: keyword).value
            } else if let defaultValue = parameter.defaultValue {
                scope.variables[parameter.name] = try evaluate(defaultValue, in: scope)
            } else {
                scope.variables[parameter.name] = .undefined(Undefined(message: "parameter \(PythonText.repr(parameter.name)) was not provided"))
            }
        }
        if let unknown = keywords.first {
            throw .runtime("macro \(PythonText.repr(name)) takes no keyword argument \(PythonText.repr(unknown.name))")
        }
        return .string(try capture(body, in: scope))
    }

    private func runCallBlock(
        _ call: Expression, parameters: [(name: String, defaultValue: Expression?)], body: [Statement], in frame: Frame
    ) throws(TemplateError) {
        guard case .call(let callee, let syntax) = call.kind else { return }
        let caller = Function(name: "caller", isMacro: true) { [unowned self] (arguments: Arguments) throws(TemplateError) -> Value in
            try self.callMacro(name: "caller", parameters: parameters, body: body, definedIn: frame, arguments: arguments)
        }
        var arguments = try evaluateArguments(syntax, in: frame)
        arguments.keywords.append(("caller", .function(caller)))
        let result = try callValue(try evaluate(callee, in: frame), arguments, at: call.location)
        do { output += try result.text() } catch { throw error.located(line: call.location.line, column: call.location.column) }
    }
}
