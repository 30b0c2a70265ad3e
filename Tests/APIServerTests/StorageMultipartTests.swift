import Foundation
import Hummingbird
import Testing
@testable import APIServer

/// `MultipartUpload` against bodies shaped like the ones the OpenAI SDK (httpx) and Together's SDK send.
@Suite("MultipartUpload")
struct StorageMultipartTests {
    static let boundary = "9c1f0b0d7c5e4a8b8f3e2d1c0b9a8f7e"

    /// Multipart parts as httpx writes them; `file` carries the file name and octet-stream type.
    static func body(fields: [(String, String)], file: (name: String, bytes: [UInt8])?, boundary: String = boundary,
                     closed: Bool = true) -> [UInt8] {
        var body: [UInt8] = []
        for (name, value) in fields {
            body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
        }
        if let file {
            body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(file.name)\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
            body += file.bytes
            body += Array("\r\n".utf8)
        }
        if closed { body += Array("--\(boundary)--\r\n".utf8) }
        return body
    }

    /// An async sequence of buffers cut every `chunk` bytes.
    struct Chunks: AsyncSequence, Sendable {
        typealias Element = ByteBuffer
        var bytes: [UInt8]
        var chunk: Int

        struct AsyncIterator: AsyncIteratorProtocol {
            var bytes: ArraySlice<UInt8>
            let chunk: Int
            mutating func next() async throws -> ByteBuffer? {
                guard !bytes.isEmpty else { return nil }
                let piece = bytes.prefix(chunk)
                bytes = bytes.dropFirst(chunk)
                return ByteBuffer(bytes: piece)
            }
        }

        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(bytes: bytes[...], chunk: chunk) }
    }

    static func parse(_ bytes: [UInt8], chunk: Int = 1 << 16, contentType: String? = "multipart/form-data; boundary=\(boundary)",
                      contentLength: Int? = nil, storage: FileStorage, maxBytes: Int = 1 << 20) async throws -> ParsedUpload {
        try await MultipartUpload.parse(body: Chunks(bytes: bytes, chunk: chunk), contentType: contentType,
                                        contentLength: contentLength, storage: storage, maxBytes: maxBytes)
    }

    static func incoming(_ storage: FileStorage) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: storage.incomingDirectory.path)
    }

    /// Bytes that look like boundaries and line endings but are not.
    static let trickyFile: [UInt8] = Array(
        "{\"messages\":[{\"role\":\"user\",\"content\":\"--\(boundary.prefix(10))\"}]}\r\n\r\n--\r\n\r-\(boundary)\n".utf8) + [0, 13, 10, 45, 45, 255]

    @Test("an SDK-style upload gives the purpose, the file name and the exact bytes, however the body is cut",
          arguments: [1, 7, 64, 1 << 16])
    func sdkUpload(chunk: Int) async throws {
        let folder = try StorageFixtures.temporaryDirectory()
        defer { StorageFixtures.remove(folder) }
        let storage = try FileStorage(directory: folder)
        let bytes = Self.body(fields: [("purpose", "fine-tune")], file: ("train.jsonl", Self.trickyFile))
        let upload = try await Self.parse(bytes, chunk: chunk, storage: storage)
        #expect(upload.fields == ["purpose": "fine-tune"])
        let file = try #require(upload.file)
        #expect(file.filename == "train.jsonl")
        let result = try file.sink.commit(as: "file-1")
        #expect(result.bytes == Self.trickyFile.count)
        #expect(try Data(contentsOf: storage.url(id: "file-1")) == Data(Self.trickyFile))
    }

    @Test("a Hummingbird request is read with the boundary from its Content-Type")
    func request() async throws {
        let folder = try StorageFixtures.temporaryDirectory()
        defer { StorageFixtures.remove(folder) }
        let storage = try FileStorage(directory: folder)
        let bytes = Self.body(fields: [("purpose", "fine-tune"), ("expires_after[anchor]", "created_at"),
                                       ("expires_after[seconds]", "3600")], file: ("data.jsonl", Array("{}\n".utf8)))
        var headers = HTTPFields()
        headers[.contentType] = "multipart/form-data; boundary=\"\(Self.boundary)\""
        headers[.contentLength] = String(bytes.count)
        let request = Request(head: HTTPRequest(method: .post, scheme: "http", authority: "localhost", path: "/v1/files", headerFields: headers),
                              body: RequestBody(buffer: ByteBuffer(bytes: bytes)))
        let upload = try await MultipartUpload.parse(request, storage: storage, maxBytes: 1 << 20)
        #expect(upload.fields == ["purpose": "fine-tune", "expires_after[anchor]": "created_at", "expires_after[seconds]": "3600"])
        #expect(upload.file?.filename == "data.jsonl")
        #expect(upload.file?.sink.byteCount == 3)
        upload.file?.sink.discard()
    }

    @Test("Together's first request has fields and no file part")
    func togetherFields() async throws {
        let folder = try StorageFixtures.temporaryDirectory()
        defer { StorageFixtures.remove(folder) }
        let storage = try FileStorage(directory: folder)
        let fields = [("purpose", "fine-tune"), ("file_name", "train.jsonl"), ("file_type", "jsonl"),
                      ("checksum", String(repeating: "ab", count: 32))]
        let upload = try await Self.parse(Self.body(fields: fields, file: nil), storage: storage)
        #expect(upload.file == nil)
        #expect(upload.fields == Dictionary(uniqueKeysWithValues: fields))
        #expect(try Self.incoming(storage).isEmpty)
    }

    @Test("an empty file part is a file of 0 bytes")
    func emptyFile() async throws {
        let folder = try StorageFixtures.temporaryDirectory()
        defer { StorageFixtures.remove(folder) }
        let storage = try FileStorage(directory: folder)
        let upload = try await Self.parse(Self.body(fields: [("purpose", "fine-tune")], file: ("empty.jsonl", [])), storage: storage)
        let file = try #require(upload.file)
        #expect(try file.sink.commit(as: "file-empty").bytes == 0)
    }

    @Test("a file over the limit is refused with 413 and nothing stays on disk")
    func tooLarge() async throws {
        let folder = try StorageFixtures.temporaryDirectory()
        defer { StorageFixtures.remove(folder) }
        let storage = try FileStorage(directory: folder)
        let bytes = Self.body(fields: [("purpose", "fine-tune")], file: ("big.jsonl", Array(repeating: 65, count: 2_000)))
        let error = await #expect(throws: APIError.self) {
            try await Self.parse(bytes, chunk: 100, storage: storage, maxBytes: 1_000)
        }
        #expect(error?.status == .contentTooLarge)
        #expect(error?.message == "The file is larger than the server's upload limit of 1000 bytes")
        #expect(try Self.incoming(storage).isEmpty)

        // Exactly at the limit is fine.
        let exact = Self.body(fields: [], file: ("ok.jsonl", Array(repeating: 65, count: 1_000)))
        let upload = try await Self.parse(exact, chunk: 100, storage: storage, maxBytes: 1_000)
        #expect(upload.file?.sink.byteCount == 1_000)
        upload.file?.sink.discard()
    }

    @Test("a Content-Length far over the limit is refused before reading, in MB")
    func contentLengthOverLimit() async throws {
        let folder = try StorageFixtures.temporaryDirectory()
        defer { StorageFixtures.remove(folder) }
        let storage = try FileStorage(directory: folder)
        let error = await #expect(throws: APIError.self) {
            try await Self.parse([], contentLength: 10 << 20, storage: storage, maxBytes: 2 << 20)
        }
        #expect(error?.status == .contentTooLarge)
        #expect(error?.message == "The file is larger than the server's upload limit of 2 MB")
    }

    @Test("a body cut off inside the file part is refused and leaves nothing", arguments: [1, 50, 1 << 16])
    func truncated(chunk: Int) async throws {
        let folder = try StorageFixtures.temporaryDirectory()
        defer { StorageFixtures.remove(folder) }
        let storage = try FileStorage(directory: folder)
        let whole = Self.body(fields: [("purpose", "fine-tune")], file: ("train.jsonl", Array(repeating: 66, count: 500)))
        let error = await #expect(throws: APIError.self) {
            try await Self.parse(Array(whole.prefix(whole.count - 60)), chunk: chunk, storage: storage)
        }
        #expect(error?.status == .badRequest)
        #expect(error?.param == "file")
        #expect(try Self.incoming(storage).isEmpty)
    }

    @Test("bad content types, bodies and part counts give 400", arguments: [
        ("application/json", "multipart/form-data"),
        ("multipart/form-data", "boundary"),
        ("multipart/form-data; boundary=other", "no parts"),
    ])
    func badRequests(contentType: String, expected: String) async throws {
        let folder = try StorageFixtures.temporaryDirectory()
        defer { StorageFixtures.remove(folder) }
        let storage = try FileStorage(directory: folder)
        let error = await #expect(throws: APIError.self) {
            try await Self.parse(Self.body(fields: [("purpose", "fine-tune")], file: nil), contentType: contentType, storage: storage)
        }
        #expect(error?.status == .badRequest)
        #expect(error?.message.contains(expected) == true)
    }

    @Test("two file parts and a malformed header are refused, leaving nothing")
    func twoFilesAndMalformed() async throws {
        let folder = try StorageFixtures.temporaryDirectory()
        defer { StorageFixtures.remove(folder) }
        let storage = try FileStorage(directory: folder)
        var twoFiles = Self.body(fields: [], file: ("a.jsonl", Array("a".utf8)), closed: false)
        twoFiles += Self.body(fields: [], file: ("b.jsonl", Array("b".utf8)))
        let error = await #expect(throws: APIError.self) { try await Self.parse(twoFiles, storage: storage) }
        #expect(error?.message.contains("more than one 'file' part") == true)

        let malformed = Array("--\(Self.boundary)\r\nBad Header\r\n\r\nx\r\n--\(Self.boundary)--\r\n".utf8)
        let malformedError = await #expect(throws: APIError.self) { try await Self.parse(malformed, storage: storage) }
        #expect(malformedError?.message.contains("malformed") == true)
        #expect(try Self.incoming(storage).isEmpty)
    }

    @Test("an oversized text field is refused")
    func longField() async throws {
        let folder = try StorageFixtures.temporaryDirectory()
        defer { StorageFixtures.remove(folder) }
        let storage = try FileStorage(directory: folder)
        let long = String(repeating: "x", count: MultipartUpload.maxFieldBytes + 1)
        let error = await #expect(throws: APIError.self) {
            try await Self.parse(Self.body(fields: [("purpose", long)], file: nil), storage: storage, maxBytes: 1 << 20)
        }
        #expect(error?.param == "purpose")
    }

    @Test("Content-Type and Content-Disposition parameters: quotes, escapes, case, RFC 8187 names")
    func headerParameters() {
        #expect(MultipartUpload.boundary(fromContentType: "multipart/form-data; boundary=abc") == "abc")
        #expect(MultipartUpload.boundary(fromContentType: "Multipart/Form-Data;BOUNDARY=\"a;b c\"") == "a;b c")
        #expect(MultipartUpload.boundary(fromContentType: "multipart/form-data; boundary=") == nil)
        #expect(MultipartUpload.boundary(fromContentType: "text/plain; boundary=abc") == nil)

        let disposition = HeaderParameters(#"form-data; name="file"; filename="my \"data\" %22x%22; v2.jsonl""#)
        #expect(disposition.value == "form-data")
        #expect(disposition["name"] == "file")
        #expect(disposition["filename"] == #"my "data" "x"; v2.jsonl"#)
        let extended = HeaderParameters("form-data; name=file; filename*=UTF-8''na%C3%AFve.jsonl")
        #expect(extended["name"] == "file")
        #expect(extended["filename*"].flatMap(HeaderParameters.decodeExtendedValue) == "naïve.jsonl")
        #expect(HeaderParameters.decodeExtendedValue("UTF-8''bad%G1") == nil)
    }
}
