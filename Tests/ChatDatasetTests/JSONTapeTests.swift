import Foundation
import Testing
@testable import ChatDataset

@Suite("JSON tape parser")
struct JSONTapeTests {
    private func parse(_ text: String) throws(JSONSyntaxError) -> JSONValue {
        try JSONValue(parsing: text)
    }

    @Test("parses every kind of value, keeping number text and member order")
    func values() throws {
        let value = try parse(#" {"b": [1, -2.50e+3, true, false, null], "a": {"x": "y"}, "c": 0} "#)
        #expect(value == .object([
            .init("b", .array([.number("1"), .number("-2.50e+3"), .bool(true), .bool(false), .null])),
            .init("a", .object([.init("x", .string("y"))])),
            .init("c", .number("0")),
        ]))
    }

    @Test("containers know their end, so skipping a value is one step")
    func tapeLayout() throws {
        var tape = JSONTape()
        let bytes = Array(#"{"a":[1,"x"],"b":true}"#.utf8)
        try bytes.withUnsafeBufferPointer { (buffer) throws(JSONSyntaxError) in try tape.parse(buffer) }
        #expect(tape.nodes.map(\.kind) == [.object, .string, .array, .number, .string, .string, .true])
        #expect(tape.nodes[0].end == 7)
        #expect(tape.nodes[0].count == 2)
        #expect(tape.nodes[2].end == 5)
        #expect(tape.nodes[2].count == 2)
    }

    @Test("decodes escapes, surrogate pairs and lone surrogates")
    func escapes() throws {
        #expect(try parse(#""a\"b\\c\/d\n\t\r\b\f""#) == .string("a\"b\\c/d\n\t\r\u{8}\u{C}"))
        #expect(try parse(#""caf\u00e9 \ud83d\ude00""#) == .string("café 😀"))
        #expect(try parse(#""\ud83d x""#) == .string("\u{FFFD} x"))
        #expect(try parse("\"naïve 日本語\"") == .string("naïve 日本語"))
    }

    @Test("long strings with specials at every position of the 8-byte scan")
    func scanBoundaries() throws {
        for prefix in 0..<17 {
            let body = String(repeating: "x", count: prefix)
            #expect(try parse("\"\(body)\\n\(body)é\(body)\"") == .string("\(body)\n\(body)é\(body)"))
        }
    }

    static let invalid: [(String, Int, String)] = [
        (#"{"a": 1"#, 7, "unexpected end of line"),
        (#"{"a" 1}"#, 5, "expected ':' after an object key"),
        (#"{"a": 1,}"#, 8, "expected a quoted object key"),
        (#"[1 2]"#, 3, "expected ',' or ']'"),
        (#"{"a": tru}"#, 6, "invalid literal"),
        (#"{"a": 01}"#, 6, "leading zeros are not allowed"),
        (#"{"a": 1.}"#, 6, "expected a digit after '.'"),
        (#""\x""#, 1, "invalid escape '\\x' in string"),
        ("\"a\u{1}b\"", 2, "unescaped control character"),
        (#"{"a": "b"} x"#, 11, "after the end of the JSON value"),
        (#""abc"#, 0, "unterminated string"),
        ("", 0, "empty input"),
    ]

    @Test("syntax errors name the byte offset and what was expected", arguments: invalid)
    func syntaxErrors(_ input: String, _ offset: Int, _ message: String) {
        #expect {
            try parse(input)
        } throws: { error in
            guard let error = error as? JSONSyntaxError else { return false }
            return error.offset == offset && error.message.contains(message)
        }
    }

    @Test("invalid UTF-8 inside a string is an encoding error, not a syntax error")
    func invalidUTF8() {
        for bytes: [UInt8] in [[0x22, 0xC3, 0x28, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], [0x22, 0xC0, 0xAF, 0x22]] {
            #expect {
                try JSONValue(parsing: bytes)
            } throws: { error in
                (error as? JSONSyntaxError)?.isInvalidUTF8 == true && (error as? JSONSyntaxError)?.offset == 1
            }
        }
    }

    @Test("nesting deeper than the limit is refused, not a stack overflow")
    func deepNesting() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONSyntaxError.self) { try parse(deep) }
    }

    @Test("the writer produces JSON the parser reads back identically")
    func writerRoundTrip() throws {
        let value = JSONValue.object([
            .init("text", .string("quote \" backslash \\ newline \n tab \t control \u{1} é 😀 /")),
            .init("list", .array([.number("1.50"), .bool(false), .null, .object([])])),
        ])
        let text = JSONWriter.serialize(value)
        #expect(text.contains("\\u0001"))
        #expect(!text.contains("\\/"))
        #expect(try parse(text) == value)
    }

    @Test("the UTF-8 validator accepts valid text and points at the first bad byte")
    func utf8Validator() {
        func check(_ bytes: [UInt8]) -> Int? { bytes.withUnsafeBufferPointer(firstInvalidUTF8) }
        #expect(check(Array("plain ascii text, long enough for the fast path".utf8)) == nil)
        #expect(check(Array("é 日本 😀".utf8)) == nil)
        #expect(check(Array("12345678abc".utf8) + [0xFF]) == 11)
        #expect(check([0x61, 0xE2, 0x82]) == 1)  // truncated sequence
        #expect(check([0xF0, 0x82, 0x82, 0xAC]) == 0)  // overlong
    }
}
