import Foundation
import Yams

/// The text of one message with `{{field}}` placeholders, parsed once into segments.
///
/// - `{{title}}` is replaced with the record's `title`; spaces inside the braces are allowed
///   (`{{ title }}`).
/// - `{{item.title}}` follows a dotted path into nested JSON objects (a top-level key spelled with
///   the dot wins, as CSV columns are flat).
/// - `{{price:.2f}}` formats the value as a decimal number with two decimals, as Python's
///   `f"{price:.2f}"` would (`:f` means six decimals).
///
/// ```swift
/// let template = try MessageTemplate("Price is ${{price:.2f}}", name: "--assistant")
/// let text = try template.render(record)   // "Price is $12.50"
/// ```
public struct MessageTemplate: Sendable, Equatable {
    /// A piece of a template.
    public enum Segment: Sendable, Equatable {
        /// Text copied as it is.
        case text(String)
        /// A placeholder: the field path and, for `:.Nf`, the number of decimals.
        case field(path: String, decimals: Int?)
    }

    /// Where the template came from, for messages (`--user`, `'user' in prompt.yaml`).
    public let name: String
    /// The text and placeholders in order.
    public let segments: [Segment]

    /// Parses `text`.
    /// - Parameters:
    ///   - text: the template text, used as it is (see `interpretingEscapes(_:)` for flag values).
    ///   - name: where the template came from, used in messages.
    /// - Throws: `DatasetError.invalidArgument` naming the template and the column of an unclosed
    ///   `{{`, an empty or malformed placeholder, or an unsupported format.
    public init(_ text: String, name: String) throws(DatasetError) {
        self.name = name
        let characters = Array(text)
        var segments: [Segment] = []
        var literal = ""
        var i = 0
        func fail(_ position: Int, _ problem: String) -> DatasetError {
            let before = characters[..<position]
            let line = before.count(where: { $0 == "\n" }) + 1
            let column = position - (before.lastIndex(of: "\n").map { $0 + 1 } ?? 0) + 1
            let place = line > 1 ? "line \(line), column \(column)" : "column \(column)"
            return .invalidArgument("the \(name) template, \(place): \(problem)")
        }
        while i < characters.count {
            guard characters[i] == "{", i + 1 < characters.count, characters[i + 1] == "{" else {
                literal.append(characters[i])
                i += 1
                continue
            }
            var close = i + 2
            while close + 1 < characters.count, !(characters[close] == "}" && characters[close + 1] == "}") {
                close += 1
            }
            guard close + 1 < characters.count else {
                throw fail(i, "'{{' is never closed; write the field name and '}}', as in {{title}}")
            }
            let inner = String(characters[(i + 2)..<close]).trimmingCharacters(in: .whitespaces)
            let parts = inner.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            let path = parts[0].trimmingCharacters(in: .whitespaces)
            let validPath = !path.isEmpty && !path.contains(where: { $0.isWhitespace || $0 == "{" || $0 == "}" })
                && !path.split(separator: ".", omittingEmptySubsequences: false).contains(where: \.isEmpty)
            guard validPath else {
                throw fail(i, "'{{\(inner)}}' does not name a field; write a field name or a dotted path, as in {{title}} or {{item.title}}")
            }
            var decimals: Int?
            if parts.count == 2 {
                let format = parts[1].trimmingCharacters(in: .whitespaces)
                if format == "f" {
                    decimals = 6
                } else if format.hasPrefix("."), format.hasSuffix("f"), format.count > 2,
                          let count = Int(format.dropFirst().dropLast()), (0...30).contains(count) {
                    decimals = count
                } else {
                    throw fail(i, "the format ':\(format)' is not supported; use :.Nf for N decimals, as in {{\(path):.2f}}")
                }
            }
            if !literal.isEmpty { segments.append(.text(literal)) }
            literal = ""
            segments.append(.field(path: path, decimals: decimals))
            i = close + 2
        }
        if !literal.isEmpty { segments.append(.text(literal)) }
        self.segments = segments
    }

    /// The field paths the template reads, in order of first use.
    public var fieldPaths: [String] {
        var seen: Set<String> = []
        return segments.compactMap { segment in
            guard case .field(let path, _) = segment, seen.insert(path).inserted else { return nil }
            return path
        }
    }

    /// Fills the placeholders from `record` (a JSON object). Strings are inserted as they are,
    /// numbers as written in the source, booleans as `true`/`false`, objects and arrays as compact JSON.
    /// - Parameter allowEmpty: when false, a null value or one that is empty or only whitespace
    ///   fails with `.emptyValue`; when true it renders as it is (null as nothing).
    /// - Throws: `TemplateRenderFailure` naming the first field that cannot be filled.
    public func render(_ record: JSONValue, allowEmpty: Bool = false) throws(TemplateRenderFailure) -> String {
        var output = ""
        for segment in segments {
            switch segment {
            case .text(let text):
                output += text
            case .field(let path, let decimals):
                guard let value = lookUpField(path, in: record) else { throw .missingField(path) }
                let text = value.textValue ?? ""
                if text.unicodeScalars.allSatisfy(\.properties.isWhitespace) {
                    guard allowEmpty else { throw .emptyValue(path) }
                    output += text
                } else if let decimals {
                    guard value.kind == .number || value.kind == .string,
                          let number = decimalNumber(text) else { throw .notANumber(path) }
                    output += String(format: "%.\(decimals)f", number)
                } else {
                    output += text
                }
            }
        }
        return output
    }

    /// `flag` with the escapes a shell makes awkward to type turned into characters: `\n` (line
    /// feed), `\t` (tab) and `\\` (backslash). Any other backslash is kept as it is.
    public static func interpretingEscapes(_ flag: String) -> String {
        var output = ""
        var iterator = flag.makeIterator()
        while let character = iterator.next() {
            guard character == "\\" else {
                output.append(character)
                continue
            }
            switch iterator.next() {
            case "n": output.append("\n")
            case "t": output.append("\t")
            case "\\": output.append("\\")
            case let other?: output.append("\\"); output.append(other)
            case nil: output.append("\\")
            }
        }
        return output
    }
}

/// Why a record could not fill a template; `prepare` skips the record and counts the reason.
public enum TemplateRenderFailure: Error, Sendable, Hashable {
    /// The record has no such field.
    case missingField(String)
    /// The field is null, empty or only whitespace (and empty values are not allowed).
    case emptyValue(String)
    /// The placeholder asks for a number format (`:.2f`) but the value is not a decimal number.
    case notANumber(String)
}

/// The messages of one chat example as templates: an optional system message, the user message and
/// the assistant's reply, plus the filters of a template file.
///
/// A template file is YAML with the keys `system` (optional), `user`, `assistant` and `where` (a
/// list of filter expressions, or one):
/// ```yaml
/// system: You estimate prices of items, reply only with the price, no explanation.
/// user: |-
///   How much does this cost?
///   {{title}}
///   {{description}}
/// assistant: Price is ${{price:.2f}}
/// where: ["price > 0"]
/// ```
public struct ChatTemplate: Sendable, Equatable {
    public var system: MessageTemplate?
    public var user: MessageTemplate
    public var assistant: MessageTemplate
    /// Conditions from the file's `where:` list.
    public var filters: [RecordFilter]

    /// The keys a template file may hold.
    public static let allowedKeys = ["system", "user", "assistant", "where"]

    /// Templates already parsed; `filters` apply on top of any given to `DatasetPreparer`.
    public init(system: MessageTemplate?, user: MessageTemplate, assistant: MessageTemplate,
                filters: [RecordFilter] = []) {
        self.system = system
        self.user = user
        self.assistant = assistant
        self.filters = filters
    }

    /// Builds templates from command-line flags, interpreting `\n`, `\t` and `\\` in them.
    /// - Throws: `DatasetError.invalidArgument` for a malformed template.
    public init(systemFlag: String?, userFlag: String, assistantFlag: String) throws(DatasetError) {
        system = try systemFlag.map { (text) throws(DatasetError) in
            try MessageTemplate(MessageTemplate.interpretingEscapes(text), name: "--system")
        }
        user = try MessageTemplate(MessageTemplate.interpretingEscapes(userFlag), name: "--user")
        assistant = try MessageTemplate(MessageTemplate.interpretingEscapes(assistantFlag), name: "--assistant")
        filters = []
    }

    /// Reads a YAML template file.
    /// - Throws: `DatasetError.cannotRead` when the file cannot be read, `.invalidInput` for YAML
    ///   errors, unknown keys, missing `user`/`assistant`, and malformed templates or filters.
    public init(yamlFile path: String) throws(DatasetError) {
        try self.init(yaml: String(decoding: readWholeTextFile(path), as: UTF8.self), path: path)
    }

    /// Parses YAML template text; `path` is used in messages.
    public init(yaml text: String, path: String) throws(DatasetError) {
        func fail(_ line: Int?, _ message: String) -> DatasetError {
            .invalidInput(path: path, line: line, message: message)
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            switch error {
            case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
                 .composer(_, let problem, let mark, _):
                throw fail(mark.line, "not valid YAML: \(problem) (column \(mark.column))")
            default:
                throw fail(nil, "not valid YAML: \(error)")
            }
        } catch {
            throw fail(nil, "not valid YAML: \(error)")
        }
        let expected = "expected a mapping with the keys user and assistant (and optionally system and where)"
        guard let mapping = root?.mapping else { throw fail(root?.mark?.line, expected) }
        var texts: [String: String] = [:]
        var filters: [RecordFilter] = []
        for (keyNode, valueNode) in mapping {
            let key = keyNode.string ?? ""
            let line = keyNode.mark?.line
            guard Self.allowedKeys.contains(key) else {
                throw fail(line, "unknown key '\(key)'; a template file may hold only \(Self.allowedKeys.joined(separator: ", "))")
            }
            if key == "where" {
                let items = valueNode.sequence.map(Array.init) ?? [valueNode]
                for item in items {
                    guard let expression = item.scalar?.string else {
                        throw fail(item.mark?.line ?? line, "'where' must be a list of expressions such as \"price > 10\"")
                    }
                    do {
                        filters.append(try RecordFilter(parsing: expression))
                    } catch {
                        throw fail(item.mark?.line ?? line, error.description)
                    }
                }
            } else {
                guard let value = valueNode.scalar?.string else {
                    throw fail(line, "'\(key)' must be text (use a block scalar '|-' for several lines)")
                }
                texts[key] = value
            }
        }
        guard let user = texts["user"], let assistant = texts["assistant"] else {
            throw fail(nil, "the 'user' and 'assistant' keys are required; \(expected)")
        }
        do {
            self.system = try texts["system"].map { (text) throws(DatasetError) in
                try MessageTemplate(text, name: "'system'")
            }
            self.user = try MessageTemplate(user, name: "'user'")
            self.assistant = try MessageTemplate(assistant, name: "'assistant'")
        } catch {
            throw fail(nil, error.description)
        }
        self.filters = filters
    }

    /// The field paths the templates read, in order of first use.
    public var fieldPaths: [String] {
        var seen: Set<String> = []
        return ([system].compactMap { $0 } + [user, assistant]).flatMap(\.fieldPaths)
            .filter { seen.insert($0).inserted }
    }

    /// Renders the chat example for `record`.
    /// - Throws: `TemplateRenderFailure` naming the first field that cannot be filled.
    public func render(_ record: JSONValue, allowEmpty: Bool = false) throws(TemplateRenderFailure) -> ChatExample {
        var messages: [ChatMessage] = []
        if let system { messages.append(ChatMessage(role: .system, content: try system.render(record, allowEmpty: allowEmpty))) }
        messages.append(ChatMessage(role: .user, content: try user.render(record, allowEmpty: allowEmpty)))
        messages.append(ChatMessage(role: .assistant, content: try assistant.render(record, allowEmpty: allowEmpty)))
        return ChatExample(messages: messages)
    }
}
