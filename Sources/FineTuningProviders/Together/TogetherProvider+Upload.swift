import Crypto
import Foundation
import OpenAIAPI

extension TogetherProvider {
    /// Together's three-step upload: ① `POST /v1/files` announcing name, type and SHA-256 → 302 to a signed
    /// URL (409 = the same file is already there); ② `PUT` the bytes there without the API key;
    /// ③ `POST /v1/files/{id}/preprocess`, then poll until `processing_status` is `COMPLETED`.
    ///
    /// - Throws: `ProviderError.fileRejected` when preprocessing ends `FAILED` or `INVALID_FORMAT`;
    ///   `.invalidResponse` when step ① answers without `Location` or a file id.
    public func upload(_ file: URL, progress: (@Sendable (Int, Int) -> Void)?) async throws -> RemoteFile {
        let checksum = try Self.sha256(of: file)
        var form = MultipartForm()
        form.addField("purpose", "fine-tune")
        form.addField("file_name", file.lastPathComponent)
        form.addField("file_type", Self.fileType(of: file))
        form.addField("checksum", checksum)
        let announced = try await client.send("POST", "/v1/files", body: form.body, accepting: [302, 409])
        let id: String
        if announced.status == 409 {
            guard let existing = try? client.decode(JSONValue.self, from: announced, method: "POST", url: client.url("/v1/files")),
                  let fileID = TogetherWire.string(existing["file_id"]) ?? TogetherWire.string(existing["id"]) else {
                throw ProviderError.invalidResponse(method: "POST", url: client.url("/v1/files"),
                                                    reason: "409 without the id of the existing file (\"file_id\")")
            }
            id = fileID
            return try await waitUntilProcessed(id, try await fileObject(id), file: file)
        } else {
            guard let location = announced.header("Location"), !location.isEmpty,
                  let fileID = announced.header("X-Together-File-Id"), !fileID.isEmpty else {
                throw ProviderError.invalidResponse(
                    method: "POST", url: client.url("/v1/files"),
                    reason: "expected 302 with Location and X-Together-File-Id headers, got \(APIClient.statusText(announced.status))")
            }
            id = fileID
            try await client.send("PUT", location, body: try .file(file, contentType: "application/octet-stream"),
                                  timeout: client.timeouts.upload, authorized: false, progress: progress)
        }
        let path = "/v1/files/\(APIClient.pathSegment(id))/preprocess"
        let processed = try await notFound("file", id) { try await client.json("POST", path, body: .emptyJSON, as: JSONValue.self) }
        return try await waitUntilProcessed(id, processed, file: file)
    }

    /// Polls `GET /v1/files/{id}` while `processing_status` is PENDING, QUEUED or RUNNING.
    private func waitUntilProcessed(_ id: String, _ first: JSONValue, file: URL) async throws -> RemoteFile {
        var current = first
        let clock = ContinuousClock(), deadline = clock.now + fileProcessingTimeout
        while true {
            if let done = try Self.finished(current, path: file.path) { return done }
            guard clock.now < deadline else {
                throw ProviderError.timeout(method: "GET", url: client.url("/v1/files/\(APIClient.pathSegment(id))"),
                                            seconds: Double(fileProcessingTimeout.components.seconds), attempts: 1)
            }
            try await Task.sleep(for: filePollInterval)
            current = try await fileObject(id)
        }
    }

    private func fileObject(_ id: String) async throws -> JSONValue {
        try await notFound("file", id) { try await client.json("GET", "/v1/files/\(APIClient.pathSegment(id))", as: JSONValue.self) }
    }

    /// The file when processing is over (`COMPLETED` or no status), nil while it goes on.
    /// - Throws: `.fileRejected` for `FAILED` and `INVALID_FORMAT`.
    static func finished(_ object: JSONValue, path: String) throws -> RemoteFile? {
        let status = TogetherWire.string(object["processing_status"])
        let file = RemoteFile(id: TogetherWire.string(object["id"]) ?? "", filename: TogetherWire.string(object["filename"]) ?? "",
                              bytes: TogetherWire.int(object["bytes"]) ?? 0, status: status ?? "COMPLETED",
                              statusDetails: TogetherWire.string(object["status_details"]))
        switch status?.uppercased() {
        case nil, "COMPLETED": return file
        case "FAILED", "INVALID_FORMAT":
            let reason = TogetherWire.string(object["status_details"]) ?? TogetherWire.string(object["message"])
                ?? TogetherWire.string(object["error"]) ?? TogetherWire.string(object["error"]?["message"])
            throw ProviderError.fileRejected(file: path, reason: "\(status ?? "")" + (reason.map { ": \($0)" } ?? ""))
        default: return nil
        }
    }

    /// `jsonl`, `parquet` or `csv`, from the extension (`jsonl` for anything else).
    static func fileType(of file: URL) -> String {
        switch file.pathExtension.lowercased() {
        case "parquet": "parquet"
        case "csv": "csv"
        default: "jsonl"
        }
    }

    /// The file's SHA-256 in lowercase hex, read in 1 MiB chunks.
    static func sha256(of file: URL) throws -> String {
        do {
            let handle = try FileHandle(forReadingFrom: file)
            defer { try? handle.close() }
            var hasher = SHA256()
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
            return hasher.finalize().map { String(format: "%02x", $0) }.joined()
        } catch {
            throw ProviderError.invalidRequest("cannot read \(file.path): \(error.localizedDescription)")
        }
    }
}
