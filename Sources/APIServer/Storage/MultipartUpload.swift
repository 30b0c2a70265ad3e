import Hummingbird
import MultipartKit

/// What `MultipartUpload.parse` read from a `multipart/form-data` body.
public struct ParsedUpload: Sendable {
    /// The small text parts by name (`purpose`, `expires_after[anchor]`, `expires_after[seconds]`,
    /// Together's `file_name`, `file_type`, `checksum`, ...). A repeated name keeps its last value.
    public var fields: [String: String]
    /// The part named `file`, already streamed to disk; nil when the body had none (Together's
    /// first upload request). The caller commits or discards the sink.
    public var file: (filename: String, sink: UploadSink)?

    public init(fields: [String: String], file: (filename: String, sink: UploadSink)?) {
        self.fields = fields
        self.file = file
    }
}

/// Reads an upload (`POST /v1/files`) as it streams in: the `file` part goes straight to an
/// `UploadSink`, never whole into memory; other parts are kept as small text fields. Parsing uses
/// MultipartKit's `MultipartParser` (RFC 7578).
///
/// ```swift
/// let upload = try await MultipartUpload.parse(request, storage: files, maxBytes: 512 << 20)
/// guard let part = upload.file else { … }
/// let (bytes, sha256) = try part.sink.commit(as: id)
/// ```
public enum MultipartUpload {
    /// Longest text field kept (64 KiB).
    public static let maxFieldBytes = 64 << 10
    /// Most text fields in one body.
    public static let maxFields = 64
    /// Bytes of headers, boundaries and text fields allowed on top of `maxBytes`.
    static let overheadBytes = 1 << 20

    /// Parses the multipart body of `request`.
    /// - Parameters:
    ///   - storage: where the `file` part is written (into `.incoming/` until committed).
    ///   - maxBytes: the largest file accepted.
    /// - Throws: `APIError` 400 for a missing or bad `Content-Type` boundary, a malformed or
    ///   truncated body, two `file` parts or an oversized text field; 413 when the file (or the
    ///   whole body) is over the limit; `StoreError.fileSystem` when the disk fails. Nothing stays
    ///   on disk when it throws.
    public static func parse(_ request: Request, storage: FileStorage, maxBytes: Int) async throws -> ParsedUpload {
        let contentLength = request.headers[.contentLength].flatMap { Int($0) }
        return try await parse(body: request.body, contentType: request.headers[.contentType],
                               contentLength: contentLength, storage: storage, maxBytes: maxBytes)
    }

    static func parse<Body: AsyncSequence>(body: Body, contentType: String?, contentLength: Int?,
                                           storage: FileStorage, maxBytes: Int) async throws -> ParsedUpload
    where Body.Element == ByteBuffer {
        guard let contentType, let boundary = boundary(fromContentType: contentType) else {
            throw APIError.badRequest("Expected a multipart/form-data body with a boundary in the Content-Type header; upload files as multipart form data with a 'file' part and a 'purpose' field")
        }
        let bodyLimit = maxBytes.addingReportingOverflow(overheadBytes).overflow ? Int.max : maxBytes + overheadBytes
        let drainLimit = bodyLimit.multipliedReportingOverflow(by: 2).overflow ? Int.max : bodyLimit * 2
        if let contentLength, contentLength > bodyLimit {
            throw tooLarge(maxBytes)
        }
        let collector = PartCollector(storage: storage, maxBytes: maxBytes)
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { name, value in collector.header(name: name, value: value) }
        parser.onBody = { buffer in collector.body(&buffer) }
        parser.onPartComplete = { collector.partComplete() }

        var received = 0
        do {
            for try await buffer in body {
                received = received.addingReportingOverflow(buffer.readableBytes).overflow ? Int.max : received + buffer.readableBytes
                // Past a failure only count the rest: the client hears the error after it finished
                // sending (a reset mid-upload would hide the response).
                guard collector.failure == nil else {
                    if received > drainLimit { break }
                    continue
                }
                if received > bodyLimit {
                    collector.fail(tooLarge(maxBytes))
                    continue
                }
                do {
                    try parser.execute(buffer)
                } catch {
                    collector.fail(APIError.badRequest("The multipart body is malformed; send multipart/form-data as described in RFC 7578"))
                }
            }
        } catch {
            collector.discard()
            throw error
        }
        return try collector.finish()
    }

    static func tooLarge(_ maxBytes: Int) -> APIError {
        let limit = maxBytes % (1 << 20) == 0 ? "\(maxBytes >> 20) MB" : "\(maxBytes) bytes"
        return APIError.payloadTooLarge("The file is larger than the server's upload limit of \(limit)")
    }

    /// The `boundary` parameter of a `multipart/form-data` content type (quoted or not), or nil.
    static func boundary(fromContentType contentType: String) -> String? {
        let parameters = HeaderParameters(contentType)
        guard parameters.value.lowercased() == "multipart/form-data",
              let boundary = parameters["boundary"], (1...200).contains(boundary.utf8.count) else {
            return nil
        }
        return boundary
    }
}

/// Follows the parser's callbacks: decides what each part is from its headers and sends its bytes
/// to the sink or a small buffer. Callbacks cannot throw, so the first failure is kept and ends
/// the parse. Used by one parse on one task only.
private final class PartCollector {
    enum Part {
        case undecided
        case file(filename: String, sink: UploadSink)
        case field(name: String, bytes: [UInt8])
        case ignored
    }

    let storage: FileStorage
    let maxBytes: Int
    var headers: [(name: String, value: String)] = []
    var part = Part.undecided
    var fields: [String: String] = [:]
    var file: (filename: String, sink: UploadSink)?
    var sawFilePart = false
    var completedParts = 0
    var failure: (any Error)?

    init(storage: FileStorage, maxBytes: Int) {
        self.storage = storage
        self.maxBytes = maxBytes
    }

    func header(name: String, value: String) {
        guard failure == nil else { return }
        headers.append((name, value))
    }

    func body(_ buffer: inout ByteBuffer) {
        guard failure == nil else { return }
        decide()
        switch part {
        case .undecided, .ignored:
            break
        case .file(_, let sink):
            guard sink.byteCount + buffer.readableBytes <= maxBytes else {
                fail(MultipartUpload.tooLarge(maxBytes))
                return
            }
            do { try sink.write(buffer) } catch { fail(error) }
        case .field(let name, var bytes):
            guard bytes.count + buffer.readableBytes <= MultipartUpload.maxFieldBytes else {
                fail(APIError.badRequest("The form field '\(name)' is longer than \(MultipartUpload.maxFieldBytes) bytes", param: name))
                return
            }
            part = .ignored  // release the array's storage so the append below does not copy it
            bytes.append(contentsOf: buffer.readableBytesView)
            part = .field(name: name, bytes: bytes)
        }
    }

    func partComplete() {
        guard failure == nil else { return }
        decide()
        switch part {
        case .undecided, .ignored:
            break
        case .file(let filename, let sink):
            file = (filename, sink)
        case .field(let name, let bytes):
            guard let text = String(validating: bytes, as: UTF8.self) else {
                fail(APIError.badRequest("The form field '\(name)' is not valid UTF-8 text", param: name))
                return
            }
            fields[name] = text
        }
        completedParts += 1
        headers = []
        part = .undecided
    }

    /// Chooses what the current part is, once, from its Content-Disposition header.
    private func decide() {
        guard case .undecided = part else { return }
        let disposition = headers.last { $0.name.lowercased() == "content-disposition" }.map { HeaderParameters($0.value) }
        guard let disposition, disposition.value.lowercased() == "form-data", let name = disposition["name"] else {
            part = .ignored
            return
        }
        let filename = disposition["filename*"].flatMap(HeaderParameters.decodeExtendedValue) ?? disposition["filename"]
        if name == "file" {
            guard !sawFilePart else {
                fail(APIError.badRequest("The body holds more than one 'file' part; upload one file per request", param: "file"))
                return
            }
            sawFilePart = true
            do {
                part = .file(filename: filename ?? "upload", sink: try storage.beginUpload())
            } catch {
                fail(error)
            }
        } else if filename != nil {
            part = .ignored  // another file under a different name: not ours to keep
        } else {
            guard fields.count < MultipartUpload.maxFields else {
                fail(APIError.badRequest("The body holds more than \(MultipartUpload.maxFields) form fields"))
                return
            }
            part = .field(name: name, bytes: [])
        }
    }

    func fail(_ error: any Error) {
        guard failure == nil else { return }
        failure = error
        discard()
    }

    /// Deletes whatever reached the disk.
    func discard() {
        if case .file(_, let sink) = part { sink.discard() }
        file?.sink.discard()
        part = .ignored
        file = nil
    }

    func finish() throws -> ParsedUpload {
        if let failure { throw failure }
        if sawFilePart, file == nil {
            discard()
            throw APIError.badRequest("The multipart body ended before the 'file' part was complete; send the whole file", param: "file")
        }
        guard completedParts > 0 else {
            throw APIError.badRequest("The multipart body holds no parts; check that the boundary in Content-Type matches the body")
        }
        return ParsedUpload(fields: fields, file: file)
    }
}
