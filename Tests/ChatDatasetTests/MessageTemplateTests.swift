import Foundation
import Testing
@testable import ChatDataset

@Suite("MessageTemplate parses {{field}} placeholders once and renders records")
struct MessageTemplateTests {
    let record: JSONValue

    init() throws {
        record = try JSONValue(parsing: #"{"title":"Desk lamp","price":12.5,"text":"4.999","item":{"title":"Kettle","tags":["a","b"]},"blank":"  ","none":null,"flag":true}"#)
    }

    @Test("text and placeholders become segments; spaces inside the braces are allowed")
    func segments() throws {
        let template = try MessageTemplate("Item: {{ title }} costs {{price:.2f}}{{ item.title }}", name: "--user")
        #expect(template.segments == [
            .text("Item: "), .field(path: "title", decimals: nil), .text(" costs "),
            .field(path: "price", decimals: 2), .field(path: "item.title", decimals: nil),
        ])
        #expect(template.fieldPaths == ["title", "price", "item.title"])
    }

    @Test("values render as strings, source numbers, booleans and compact JSON")
    func rendering() throws {
        let template = try MessageTemplate("{{title}}|{{price}}|{{flag}}|{{item.title}}|{{item.tags}}", name: "--user")
        #expect(try template.render(record) == #"Desk lamp|12.5|true|Kettle|["a","b"]"#)
    }

    @Test("a number format renders like Python's format(value, '.Nf')", arguments: [
        ("{{price:.2f}}", "12.50"),
        ("{{text:.2f}}", "5.00"),
        ("{{price:.0f}}", "12"),
        ("{{price:f}}", "12.500000"),
        ("{{ price : .1f }}", "12.5"),
    ])
    func numberFormat(template: String, expected: String) throws {
        #expect(try MessageTemplate(template, name: "--assistant").render(record) == expected)
    }

    @Test("rounding follows the binary value, as Python does: 2.675 gives 2.67")
    func binaryRounding() throws {
        let value = try JSONValue(parsing: #"{"p":2.675,"q":0.125}"#)
        #expect(try MessageTemplate("{{p:.2f}} {{q:.2f}}", name: "t").render(value) == "2.67 0.12")
    }

    @Test("a missing field, an empty value and a non-number are reported by name")
    func failures() throws {
        #expect(throws: TemplateRenderFailure.missingField("titel")) {
            try MessageTemplate("{{titel}}", name: "t").render(record)
        }
        #expect(throws: TemplateRenderFailure.missingField("item.price")) {
            try MessageTemplate("{{item.price}}", name: "t").render(record)
        }
        #expect(throws: TemplateRenderFailure.emptyValue("blank")) {
            try MessageTemplate("{{blank}}", name: "t").render(record)
        }
        #expect(throws: TemplateRenderFailure.emptyValue("none")) {
            try MessageTemplate("{{none}}", name: "t").render(record)
        }
        #expect(throws: TemplateRenderFailure.notANumber("title")) {
            try MessageTemplate("{{title:.2f}}", name: "t").render(record)
        }
    }

    @Test("with allowEmpty, empty and null values render as they are")
    func allowEmpty() throws {
        let template = try MessageTemplate("[{{blank}}][{{none}}]", name: "t")
        #expect(try template.render(record, allowEmpty: true) == "[  ][]")
    }

    @Test("an unclosed '{{' names the template and the column")
    func unclosed() throws {
        let error = #expect(throws: DatasetError.self) { try MessageTemplate("Cost: {{price", name: "--user") }
        #expect(error == .invalidArgument("the --user template, column 7: '{{' is never closed; write the field name and '}}', as in {{title}}"))
        let multiline = #expect(throws: DatasetError.self) { try MessageTemplate("a\nbb {{x", name: "'user'") }
        #expect(multiline == .invalidArgument("the 'user' template, line 2, column 4: '{{' is never closed; write the field name and '}}', as in {{title}}"))
    }

    @Test("empty placeholders and unsupported formats are refused", arguments: [
        ("{{ }}", "the t template, column 1: '{{}}' does not name a field; write a field name or a dotted path, as in {{title}} or {{item.title}}"),
        ("x {{a..b}}", "the t template, column 3: '{{a..b}}' does not name a field; write a field name or a dotted path, as in {{title}} or {{item.title}}"),
        ("{{price:.2d}}", "the t template, column 1: the format ':.2d' is not supported; use :.Nf for N decimals, as in {{price:.2f}}"),
    ])
    func malformed(text: String, message: String) throws {
        let error = #expect(throws: DatasetError.self) { try MessageTemplate(text, name: "t") }
        #expect(error == .invalidArgument(message))
    }

    @Test("a single brace is plain text")
    func singleBraces() throws {
        #expect(try MessageTemplate("{a} }} {", name: "t").segments == [.text("{a} }} {")])
    }

    @Test("flag values interpret \\n, \\t and \\\\ and keep other backslashes")
    func escapes() {
        #expect(MessageTemplate.interpretingEscapes(#"a\nb\tc\\d\xe\"#) == "a\nb\tc\\d\\xe\\")
    }

    @Test("flags build a chat template with escapes interpreted")
    func flagTemplate() throws {
        let template = try ChatTemplate(systemFlag: "Be brief.", userFlag: #"Q:\n{{title}}"#, assistantFlag: "{{price}}")
        let example = try template.render(record)
        #expect(example.messages == [
            ChatMessage(role: .system, content: "Be brief."),
            ChatMessage(role: .user, content: "Q:\nDesk lamp"),
            ChatMessage(role: .assistant, content: "12.5"),
        ])
    }

    @Test("a YAML template file gives system, user, assistant and where; YAML text is used as it is")
    func yamlFile() throws {
        let yaml = """
        system: 'Reply with a price. A literal \\n stays.'
        user: |-
          How much does this cost?
          {{title}}
        assistant: Price is ${{price:.2f}}
        where:
          - price > 10
          - 'title ~ "lamp"'
        """
        let template = try ChatTemplate(yaml: yaml, path: "price.yaml")
        #expect(template.system?.segments == [.text("Reply with a price. A literal \\n stays.")])
        #expect(try template.user.render(record) == "How much does this cost?\nDesk lamp")
        #expect(try template.assistant.render(record) == "Price is $12.50")
        #expect(template.filters.map(\.expression) == ["price > 10", #"title ~ "lamp""#])
        #expect(template.fieldPaths == ["title", "price"])
    }

    @Test("the fixture template file loads")
    func yamlFixture() throws {
        let template = try ChatTemplate(yamlFile: PrepareFixtures.path("price.yaml"))
        #expect(template.system != nil)
        #expect(template.fieldPaths == ["title", "description", "price"])
    }

    @Test("an unknown key names the key, its line and the allowed keys")
    func unknownKey() throws {
        let error = #expect(throws: DatasetError.self) {
            try ChatTemplate(yaml: "user: '{{q}}'\nasistant: '{{a}}'\n", path: "t.yaml")
        }
        #expect(error == .invalidInput(path: "t.yaml", line: 2, message: "unknown key 'asistant'; a template file may hold only system, user, assistant, where"))
    }

    @Test("a template file without assistant is refused")
    func missingAssistant() throws {
        let error = #expect(throws: DatasetError.self) { try ChatTemplate(yaml: "user: '{{q}}'\n", path: "t.yaml") }
        #expect(error == .invalidInput(path: "t.yaml", line: nil, message: "the 'user' and 'assistant' keys are required; expected a mapping with the keys user and assistant (and optionally system and where)"))
    }

    @Test("a malformed template or filter inside the file names the file")
    func malformedInsideFile() throws {
        let error = #expect(throws: DatasetError.self) {
            try ChatTemplate(yaml: "user: '{{q'\nassistant: a\n", path: "t.yaml")
        }
        #expect(error?.description == "t.yaml: the 'user' template, column 1: '{{' is never closed; write the field name and '}}', as in {{title}}")
        let filterError = #expect(throws: DatasetError.self) {
            try ChatTemplate(yaml: "user: q\nassistant: a\nwhere: [price = 3]\n", path: "t.yaml")
        }
        guard case .invalidInput("t.yaml", 3, let message)? = filterError else {
            Issue.record("expected invalidInput at line 3, got \(String(describing: filterError))")
            return
        }
        #expect(message.hasPrefix("--where 'price = 3': '=' is not an operator"))
    }

    @Test("invalid YAML reports its line")
    func invalidYAML() throws {
        let error = #expect(throws: DatasetError.self) {
            try ChatTemplate(yaml: "user: q\nassistant: [a\n", path: "t.yaml")
        }
        guard case .invalidInput("t.yaml", let line?, let message)? = error else {
            Issue.record("expected invalidInput with a line, got \(String(describing: error))")
            return
        }
        #expect(line >= 2)
        #expect(message.hasPrefix("not valid YAML: "))
    }
}
