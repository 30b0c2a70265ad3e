import AsyncHTTPClient
import Foundation
import NIOCore
import OpenAIAPI

/// What a request sends: nothing, bytes in memory, a file streamed from disk, or a multipart form.
///
/// Bodies are descriptions, not streams: each attempt of a retried request reads them again from the start.
public struct APIRequestBody: Sendable {
    /// A piece of the body: bytes in memory or a whole file on disk.
    enum Segment: Sendable {
        case data(Data)
        case file(URL, bytes: Int)

        var count: Int {
            switch self {
            case .data(let data): data.count
            case .file(_, let bytes): bytes
            }
        }
    }

    let segments: [Segment]
    /// The `Content-Type` header, nil for none.
    public let contentType: String?

    /// The body's exact size in bytes.
    public var length: Int { segments.reduce(0) { $0 + $1.count } }

    init(segments: [Segment], contentType: String?) {
        self.segments = segments
        self.contentType = contentType
    }

    /// Bytes in memory.
    public static func data(_ data: Data, contentType: String?) -> APIRequestBody {
        APIRequestBody(segments: [.data(data)], contentType: contentType)
    }

    /// A value as JSON (`OpenAIJSON`'s encoder: keys from `CodingKeys`, sorted).
    /// - Throws: `ProviderError.invalidRequest` when the value can't be encoded.
    public static func json(_ value: some Encodable) throws -> APIRequestBody {
        do {
            return .data(try OpenAIJSON.encoder().encode(value), contentType: "application/json")
        } catch {
            throw ProviderError.invalidRequest("could not encode the request as JSON: \(error)")
        }
    }

    /// A file's raw bytes, read from disk in chunks as they are sent.
    /// - Throws: `ProviderError.invalidRequest` when the file can't be read.
    public static func file(_ url: URL, contentType: String? = "application/octet-stream") throws -> APIRequestBody {
        APIRequestBody(segments: [.file(url, bytes: try fileSize(url))], contentType: contentType)
    }

    /// An empty body that still says `Content-Type: application/json` (what the SDKs send on body-less POSTs).
    public static var emptyJSON: APIRequestBody { .data(Data(), contentType: "application/json") }

    static func fileSize(_ url: URL) throws -> Int {
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
            guard (attributes[.type] as? FileAttributeType) != .typeDirectory else {
                throw ProviderError.invalidRequest("\(url.path) is a folder, not a file")
            }
            return (attributes[.size] as? NSNumber)?.intValue ?? 0
        } catch let error as ProviderError {
            throw error
        } catch {
            throw ProviderError.invalidRequest("cannot read \(url.path): \(error.localizedDescription)")
        }
    }

    /// The body for async-http-client, reporting `(bytes handed to the connection, total)` as it goes.
    func makeBody(progress: (@Sendable (Int, Int) -> Void)?) -> HTTPClientRequest.Body {
        if progress == nil, segments.allSatisfy({ if case .data = $0 { true } else { false } }) {
            var buffer = ByteBuffer()
            for case .data(let data) in segments { buffer.writeBytes(data) }
            return .bytes(buffer)
        }
        return .stream(BodyChunks(segments: segments, total: length, progress: progress), length: .known(Int64(length)))
    }
}

/// A multipart/form-data body: text fields and at most a few file parts, files streamed from disk.
///
/// ```swift
/// var form = MultipartForm()
/// form.addField("purpose", "fine-tune")
/// try form.addFile("file", url: trainURL)
/// let body = form.body
/// ```
public struct MultipartForm: Sendable {
    /// The boundary between parts (random).
    public let boundary: String
    private var segments: [APIRequestBody.Segment] = []

    public init(boundary: String = "finetune-\(UUID().uuidString.lowercased())") {
        self.boundary = boundary
    }

    /// Adds `name=value`.
    public mutating func addField(_ name: String, _ value: String) {
        var text = "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(Self.escape(name))\"\r\n\r\n"
        text += value + "\r\n"
        segments.append(.data(Data(text.utf8)))
    }

    /// Adds a file part named `name` whose filename is the file's last path component (or `filename`).
    /// - Throws: `ProviderError.invalidRequest` when the file can't be read.
    public mutating func addFile(_ name: String, url: URL, filename: String? = nil,
                                 contentType: String = "application/octet-stream") throws {
        let size = try APIRequestBody.fileSize(url)
        var head = "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(Self.escape(name))\"; "
        head += "filename=\"\(Self.escape(filename ?? url.lastPathComponent))\"\r\nContent-Type: \(contentType)\r\n\r\n"
        segments.append(.data(Data(head.utf8)))
        segments.append(.file(url, bytes: size))
        segments.append(.data(Data("\r\n".utf8)))
    }

    /// The finished form.
    public var body: APIRequestBody {
        APIRequestBody(segments: segments + [.data(Data("--\(boundary)--\r\n".utf8))],
                    contentType: "multipart/form-data; boundary=\(boundary)")
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
    }
}

/// The body's bytes in chunks of at most 256 KiB, files read as they are needed.
struct BodyChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    static let chunkSize = 256 << 10

    let segments: [APIRequestBody.Segment]
    let total: Int
    let progress: (@Sendable (Int, Int) -> Void)?

    func makeAsyncIterator() -> Iterator {
        Iterator(segments: segments, total: total, progress: progress)
    }

    struct Iterator: AsyncIteratorProtocol {
        let segments: [APIRequestBody.Segment]
        let total: Int
        let progress: (@Sendable (Int, Int) -> Void)?
        var index = 0
        var handle: FileHandle?
        var sent = 0

        init(segments: [APIRequestBody.Segment], total: Int, progress: (@Sendable (Int, Int) -> Void)?) {
            self.segments = segments
            self.total = total
            self.progress = progress
        }

        mutating func next() async throws -> ByteBuffer? {
            while index < segments.count {
                switch segments[index] {
                case .data(let data):
                    index += 1
                    guard !data.isEmpty else { continue }
                    return emit(data)
                case .file(let url, _):
                    if handle == nil {
                        do { handle = try FileHandle(forReadingFrom: url) } catch {
                            throw ProviderError.invalidRequest("cannot read \(url.path): \(error.localizedDescription)")
                        }
                    }
                    if let data = try handle?.read(upToCount: BodyChunks.chunkSize), !data.isEmpty {
                        return emit(data)
                    }
                    try? handle?.close()
                    handle = nil
                    index += 1
                }
            }
            return nil
        }

        private mutating func emit(_ data: Data) -> ByteBuffer {
            sent += data.count
            progress?(sent, total)
            return ByteBuffer(bytes: data)
        }
    }
}
