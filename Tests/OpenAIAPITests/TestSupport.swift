import Foundation
@testable import OpenAIAPI

/// Encodes with the wire encoder and returns the text (keys sorted, so it can be compared exactly).
func json<T: Encodable>(_ value: T) throws -> String {
    String(decoding: try OpenAIJSON.encoder().encode(value), as: UTF8.self)
}

/// Decodes `text` with the wire decoder.
func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
    try OpenAIJSON.decoder().decode(type, from: Data(text.utf8))
}

/// Encodes then decodes as a generic JSON value, to look at which keys are present.
func jsonObject<T: Encodable>(_ value: T) throws -> [String: JSONValue] {
    let data = try OpenAIJSON.encoder().encode(value)
    let decoded = try OpenAIJSON.decoder().decode(JSONValue.self, from: data)
    guard case .object(let object) = decoded else { throw CocoaError(.coderInvalidValue) }
    return object
}
