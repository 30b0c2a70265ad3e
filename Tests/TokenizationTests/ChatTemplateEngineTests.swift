import Foundation
import Testing
@testable import Tokenization

/// One small template per Jinja construct, each checked against jinja2 itself (as transformers
/// configures it) through `Fixtures/chat_templates/jinja_engine_cases.json`.
@Suite("The Jinja engine agrees with jinja2 on each construct")
struct ChatTemplateEngineTests {
    struct EngineCase: CustomTestStringConvertible, Sendable {
        var name: String
        var template: String
        var expected: String?
        var error: String?
        var testDescription: String { name }
    }

    static let fixture: Result<(context: [String: TemplateValue], cases: [EngineCase]), any Error> = Result {
        let document = try ChatTemplateFixtures.json("jinja_engine_cases.json")
        let context = try ChatTemplateFixtures.context(document["context"])
        let cases = (document["cases"]?.arrayValue ?? []).map { value in
            EngineCase(name: value["name"]?.stringValue ?? "?", template: value["template"]?.stringValue ?? "",
                       expected: value["expected"]?.stringValue, error: value["error"]?.stringValue)
        }
        return (context, cases)
    }

    static var cases: [EngineCase] { (try? fixture.get().cases) ?? [] }

    @Test("the engine fixture loads and covers each construct")
    func fixtureLoads() throws {
        let cases = try Self.fixture.get().cases
        #expect(cases.count > 100)
        #expect(cases.contains { $0.error != nil })
    }

    @Test("renders as jinja2 does, or fails with jinja2's message", arguments: cases)
    func engineCase(_ engineCase: EngineCase) throws {
        let context = try Self.fixture.get().context
        do {
            let rendered = try ChatTemplate(engineCase.template).render(context)
            if let expected = engineCase.expected {
                #expect(rendered == expected, "\(firstDifference(rendered, expected))")
            } else {
                Issue.record("rendered \(rendered.debugDescription) instead of failing with \(engineCase.error ?? "")")
            }
        } catch {
            if let message = engineCase.error {
                #expect(error.message == message)
                #expect(error.kind == .raised || error.kind == .runtime, "\(error)")
            } else {
                Issue.record("failed: \(error)")
            }
        }
    }

    @Test("raise_exception gives a .raised error carrying the template's message and position")
    func raiseException() {
        #expect {
            _ = try ChatTemplate("line one\n{{ raise_exception('Roles must alternate') }}").render([:])
        } throws: { error in
            guard let error = error as? TemplateError else { return false }
            return error.kind == .raised && error.message == "Roles must alternate" && error.line == 2 && error.column == 4
        }
    }

    @Test("an undefined value fails only when used strictly, naming the variable")
    func undefinedSemantics() throws {
        let template = try ChatTemplate("[{{ missing }}][{{ missing is defined }}][{{ missing|default('d') }}]")
        #expect(try template.render([:]) == "[][False][d]")
        #expect(throws: TemplateError(.runtime, "'missing' is undefined", line: 1, column: 4)) {
            _ = try ChatTemplate("{{ missing.attribute }}").render([:])
        }
        #expect(try ChatTemplate("{{ x }}").render(["x": .undefined]) == "")
    }

    @Test("tojson keeps the key order of the input and matches Python's json.dumps")
    func tojsonKeyOrder() throws {
        let tool = try TemplateValue(json: #"{"z": 1, "a": {"y": [1.5, 1e-7, 100.0, "é\u0001"], "b": null}, "m": true}"#)
        let template = try ChatTemplate("{{ tool|tojson }}|{{ tool|tojson(indent=2) }}")
        #expect(try template.render(["tool": tool]) == """
            {"z": 1, "a": {"y": [1.5, 1e-07, 100.0, "é\\u0001"], "b": null}, "m": true}|{
              "z": 1,
              "a": {
                "y": [
                  1.5,
                  1e-07,
                  100.0,
                  "é\\u0001"
                ],
                "b": null
              },
              "m": true
            }
            """)
    }

    @Test("strftime_now formats the current time with C's directives")
    func strftime() throws {
        let date = Date(timeIntervalSince1970: 1_721_999_045)  // 2024-07-26 13:04:05 UTC, a Friday
        let utc = try #require(TimeZone(identifier: "UTC"))
        #expect(try TemplateGlobals.strftime("%d %b %Y|%A %B %-d %H:%M:%S %p %j %y %%", date, timeZone: utc)
            == "26 Jul 2024|Friday July 26 13:04:05 PM 208 24 %")
        #expect(throws: TemplateError.self) { try TemplateGlobals.strftime("%Q", date, timeZone: utc) }
        let template = try ChatTemplate("{{ strftime_now('%Y') }}")
        #expect(try template.render([:], now: { date }) == String(Calendar.current.component(.year, from: date)))
    }

    @Test("macros recurse only so deep, and the limit is an error rather than a crash")
    func runawayRecursion() {
        #expect(throws: TemplateError.self) {
            _ = try ChatTemplate("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}").render([:])
        }
    }

    @Test("deeply nested expressions are a syntax error, not a stack overflow")
    func deepNesting() {
        let source = "{{ " + String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000) + " }}"
        #expect(throws: TemplateError.self) { _ = try ChatTemplate(source) }
    }

    @Test("Python float formatting", arguments: [
        (0.1, "0.1"), (1e16, "1e+16"), (1.5e15, "1500000000000000.0"), (1e-5, "1e-05"), (0.0001, "0.0001"),
        (-2.5, "-2.5"), (100.0, "100.0"), (1e22, "1e+22"), (Double.leastNonzeroMagnitude, "5e-324"), (123456789.125, "123456789.125"),
        (-0.0, "-0.0"), (1.7976931348623157e308, "1.7976931348623157e+308"),
    ])
    func floatRepr(value: Double, expected: String) {
        #expect(PythonFloat.repr(value) == expected)
    }
}
