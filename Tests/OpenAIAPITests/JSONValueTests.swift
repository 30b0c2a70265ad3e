import Foundation
import Testing
@testable import OpenAIAPI

@Suite("JSONValue")
struct JSONValueTests {
    @Test("Decodes every kind of JSON value")
    func decodesAllKinds() throws {
        let value = try decode(JSONValue.self, #"{"a":null,"b":true,"c":3,"d":0.5,"e":"x","f":[1,"y"],"g":{"h":false}}"#)
        #expect(value == .object([
            "a": .null, "b": .bool(true), "c": .number(3), "d": .number(0.5), "e": .string("x"),
            "f": .array([.number(1), .string("y")]), "g": .object(["h": .bool(false)]),
        ]))
    }

    @Test("Integral numbers encode without a fraction, others keep it")
    func integralNumbers() throws {
        #expect(try json(JSONValue.number(3)) == "3")
        #expect(try json(JSONValue.number(-42)) == "-42")
        #expect(try json(JSONValue.number(0.5)) == "0.5")
        #expect(try json(JSONValue.array([1, 2.25, "a", true, nil])) == #"[1,2.25,"a",true,null]"#)
    }

    @Test("Round-trips through the wire coders")
    func roundTrip() throws {
        let value: JSONValue = ["type": "wandb", "wandb": ["project": "p", "tags": ["a", "b"], "n": 7]]
        let back = try decode(JSONValue.self, try json(value))
        #expect(back == value)
        #expect(back["wandb"]?["n"]?.intValue == 7)
        #expect(back["type"]?.stringValue == "wandb")
    }

    @Test("Booleans stay Booleans, not numbers")
    func booleans() throws {
        #expect(try decode(JSONValue.self, "true") == .bool(true))
        #expect(try decode(JSONValue.self, "1") == .number(1))
    }
}
