import Testing
@testable import Tokenization

/// A construct the renderer does not implement must stop it with an error that names the construct
/// and where it is, never render a prompt that could differ from Python's.
@Suite("Unsupported and invalid constructs are errors that name them, with line and column")
struct ChatTemplateUnsupportedTests {
    static let unsupported: [(source: String, named: String, line: Int, column: Int)] = [
        ("{% include 'other.jinja' %}", "'{% include %}'", 1, 4),
        ("ok\n  {% extends 'base' %}", "'{% extends %}'", 2, 6),
        ("{{ name|truncate(5) }}", "'truncate'", 1, 9),
        ("{{ name|urlencode }}", "'urlencode'", 1, 9),
        ("{% if x is mapping %}{{ x|wordwrap }}{% endif %}{{ {}|groupby('a') }}", "'groupby'", 1, 55),
        ("{{ '5'.zfill(3) }}", "'zfill'", 1, 4),
        ("\n\n   {{ 'a %s b' % name }}", "'%'", 3, 16),
        ("{% for x in items recursive %}{% endfor %}", "recursive", 1, 19),
        ("{{ f(*args) }}", "'*args'", 1, 6),
        ("{{ [1, 2].append(3) }}", "'append'", 1, 4),
        ("{{ {1: 'a'} }}", "non-string keys", 1, 5),
        ("{{ 'x'.format(1) }}", "'format'", 1, 4),
        ("{{ 'x\\N{BULLET}' }}", "\\N{...}", 1, 6),
    ]

    @Test("each unsupported construct is named", arguments: 0..<unsupported.count)
    func named(index: Int) {
        let (source, named, line, column) = Self.unsupported[index]
        do {
            let rendered = try ChatTemplate(source).render(["name": "World", "items": [1, 2]])
            Issue.record("\(source) rendered \(rendered.debugDescription) instead of failing")
        } catch {
            #expect(error.kind == .unsupported, "\(source): \(error)")
            #expect(error.message.contains(named), "\(source): \(error.message)")
            #expect(error.line == line && error.column == column, "\(source): at \(error.line):\(error.column)")
            #expect(error.description.contains("line \(line), column \(column)"))
        }
    }

    @Test("a filter or test this renderer lacks fails only when reached, as in jinja2's if blocks")
    func deferredLookup() throws {
        let template = try ChatTemplate("{% if long %}{{ text|truncate(5) }}{% elif odd is defined and odd is prime %}p{% else %}short{% endif %}")
        #expect(try template.render(["text": "a long text"]) == "short")
        #expect(throws: TemplateError(.unsupported, "the filter 'truncate'", line: 1, column: 22)) {
            _ = try template.render(["text": "a long text", "long": true])
        }
        #expect(throws: TemplateError(.unsupported, "the test 'prime'", line: 1, column: 70)) {
            _ = try template.render(["odd": 3])
        }
    }

    static let invalid: [(source: String, fragment: String, line: Int, column: Int)] = [
        ("{% if x %}never closed", "'endif'", 1, 23),
        ("{{ name ", "'}}'", 1, 1),
        ("a {# comment", "comment", 1, 3),
        ("{% frobnicate %}", "unknown tag 'frobnicate'", 1, 4),
        ("{% endfor %}", "unknown tag 'endfor'", 1, 4),
        ("{{ (1 + 2 }}", "unexpected '}'", 1, 11),
        ("{{ 1 + }}", "unexpected '}}'", 1, 8),
        ("{% for x in y %}{% endif %}", "unknown tag 'endif'", 1, 20),
        ("{% break %}", "outside a for loop", 1, 4),
        ("{{ 'unterminated }}", "unterminated string", 1, 4),
        ("{{ 99999999999999999999999 }}", "too large", 1, 4),
        ("{% set 1 = 2 %}", "can't assign", 1, 8),
        ("{% if x is mapping %}{% endif %}{{ 1 is prime }}", "no test named 'prime'", 1, 41),
        ("{% for m in messages %}{{ m|frobnicate }}{% endfor %}", "no filter named 'frobnicate'", 1, 29),
    ]

    @Test("syntax errors say what is wrong and where", arguments: 0..<invalid.count)
    func syntaxErrors(index: Int) {
        let (source, fragment, line, column) = Self.invalid[index]
        do {
            _ = try ChatTemplate(source)
            Issue.record("\(source) parsed")
        } catch {
            #expect(error.kind == .syntax, "\(source): \(error)")
            #expect(error.message.contains(fragment), "\(source): \(error.message)")
            #expect(error.line == line && error.column == column, "\(source): at \(error.line):\(error.column)")
        }
    }

    @Test("malformed JSON input is reported with its position")
    func invalidJSON() {
        #expect(throws: TemplateError(.invalidJSON, "expected ',' or '}' in an object", line: 2, column: 9)) {
            _ = try TemplateValue(json: "{\"a\": 1,\n \"b\": 2 \"c\": 3}")
        }
        #expect(throws: TemplateError.self) { _ = try TemplateValue(json: "[1, 2") }
        #expect(throws: TemplateError.self) { _ = try TemplateValue(json: #""\ud800""#) }
    }
}
