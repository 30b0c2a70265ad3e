import Foundation
import Hummingbird
import OpenAIAPI

/// Server-sent events as the OpenAI SDK reads them: `data: <json>\n\n` per event, no `event:`
/// lines, and `data: [DONE]\n\n` at the end (API.md §8).
enum ServerSentEvents {
    /// `Content-Type: text/event-stream`, not cached.
    static let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache"]

    /// The end of the stream.
    static let done = ByteBuffer(string: "data: [DONE]\n\n")

    /// One event holding `value` as compact JSON (JSON never contains a raw newline, so one
    /// `data:` line suffices).
    static func event(_ value: some Encodable) throws -> ByteBuffer {
        var bytes = Array("data: ".utf8)
        bytes += try OpenAIJSON.encoder().encode(value)
        bytes += Array("\n\n".utf8)
        return ByteBuffer(bytes: bytes)
    }
}
