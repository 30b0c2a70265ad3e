import Foundation
import Hummingbird
import OpenAIAPI

/// A JSON response encoded with ``OpenAIJSON/encoder()`` and `Content-Type: application/json`
/// (the SDK returns a bare string for any other content type).
/// - Parameters:
///   - value: The body.
///   - status: The HTTP status; 200 unless given.
/// - Throws: `EncodingError` when `value` cannot be encoded (e.g. a non-finite Double).
public func jsonResponse<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
    let data = try OpenAIJSON.encoder().encode(value)
    return Response(
        status: status,
        headers: [.contentType: "application/json"],
        body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
}

extension Request {
    /// Reads the body (at most `limit` bytes) and decodes it as JSON.
    ///
    /// An empty body (as the SDK sends on body-less POSTs) reads as `{}`, so it decodes whenever
    /// every field of `T` is optional.
    /// - Parameters:
    ///   - type: What to decode.
    ///   - context: The request context.
    ///   - limit: Largest body accepted, in bytes.
    /// - Throws: ``APIError``: 413 when the body is larger than `limit`; 400 when it is not JSON
    ///   ("The request body is not valid JSON") or does not fit `T` (naming the parameter).
    public func decodeJSON<T: Decodable>(_ type: T.Type, context: some RequestContext, limit: Int) async throws -> T {
        let bytes = try await collectBytes(limit: limit)
        let isBlank = bytes.allSatisfy { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
        let data = isBlank ? Data("{}".utf8) : Data(bytes)
        do {
            return try OpenAIJSON.decoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw APIError.decoding(error)
        }
    }

    /// The whole body, refusing more than `limit` bytes (by `Content-Length` up front, then by count).
    /// - Throws: ``APIError/payloadTooLarge(_:)`` over the limit.
    public func collectBytes(limit: Int) async throws -> [UInt8] {
        let tooLarge = APIError.payloadTooLarge(
            "The request body is larger than the server's limit of \(limit) bytes.")
        if let declared = headers[.contentLength].flatMap({ Int($0) }), declared > limit {
            throw tooLarge
        }
        var bytes: [UInt8] = []
        for try await buffer in body {
            guard bytes.count + buffer.readableBytes <= limit else { throw tooLarge }
            bytes.append(contentsOf: buffer.readableBytesView)
        }
        return bytes
    }
}
