import ChatDataset
import Testing
@testable import Tokenization

/// Templates come from model files: damaged or hostile ones must give an error, never a crash or a hang.
@Suite("Damaged templates fail with located errors instead of crashing")
struct ChatTemplateRobustnessTests {
    static let fragments = [
        "{{", "}}", "{%", "%}", "{#", "#}", "-", "+", "(", ")", "[", "]", "{", "}", "'", "\"", "|", ".", ",", ":",
        " if ", " else ", " for ", " in ", " not ", " is ", "loop", "\n", "\\", "~", "*", "**", "%", "0", "1e",
        "endif", "endfor", "raw", "set", "=", "macro", "caller()", "range(", "namespace(", "|tojson", "|map(",
        ".items()", "[::-1]", "[-1]", "é", "\u{0}", "\r",
    ]

    @Test("randomly damaged real templates either render or fail with a positioned error")
    func mutations() throws {
        var sources = try ChatTemplateFixtures.templateNames.map { try ChatTemplateFixtures.text("\($0).jinja") }
        let engine = try ChatTemplateFixtures.json("jinja_engine_cases.json")
        sources += (engine["cases"]?.arrayValue ?? []).compactMap { $0["template"]?.stringValue }
        let context = try ChatTemplateFixtures.context(engine["context"])
        var generator = SeededGenerator(seed: 2024)
        var rendered = 0
        var failed = 0
        for _ in 0..<1500 {
            var scalars = Array(try #require(sources.randomElement(using: &generator)).unicodeScalars)
            for _ in 0..<Int.random(in: 1...4, using: &generator) where !scalars.isEmpty {
                let at = Int.random(in: 0..<scalars.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: scalars.remove(at: at)
                case 1: scalars.insert(contentsOf: try #require(Self.fragments.randomElement(using: &generator)).unicodeScalars, at: at)
                default: scalars.removeSubrange(at..<min(scalars.count, at + Int.random(in: 1...20, using: &generator)))
                }
            }
            do {
                _ = try ChatTemplate(String(String.UnicodeScalarView(scalars))).render(context)
                rendered += 1
            } catch {
                failed += 1
                #expect(!error.message.isEmpty)
                if error.kind == .syntax || error.kind == .unsupported { #expect(error.line > 0, "\(error)") }
            }
        }
        #expect(rendered > 100 && failed > 100, "rendered \(rendered), failed \(failed)")
    }

    @Test("deep nesting, runaway recursion and huge ranges are errors")
    func limits() throws {
        let deep = "{{ " + String(repeating: "not ", count: 5000) + "1 }}"
        #expect(throws: TemplateError.self) { _ = try ChatTemplate(deep) }
        let blocks = String(repeating: "{% if true %}", count: 1000) + String(repeating: "{% endif %}", count: 1000)
        #expect(throws: TemplateError.self) { _ = try ChatTemplate(blocks) }
        let growing = try ChatTemplate("""
            {% set ns = namespace(x=[]) %}{% for i in range(2000) %}{% set ns.x = [ns.x] %}{% endfor %}{{ ns.x }}
            """)
        #expect(throws: TemplateError.self) { _ = try growing.render([:]) }
        #expect(throws: TemplateError(.runtime, "Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).",
                                      line: 1, column: 4)) {
            _ = try ChatTemplate("{{ range(1000000)|length }}").render([:])
        }
        #expect(throws: TemplateError.self) { _ = try ChatTemplate("{{ 'x' * 100000000 }}").render([:]) }
        let nested = try ChatTemplate(String(repeating: "{% for a in [1] %}", count: 90) + "x"
            + String(repeating: "{% endfor %}", count: 90))
        #expect(try nested.render([:]) == "x")
    }
}
