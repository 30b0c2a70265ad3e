import Foundation
import Hummingbird
import HummingbirdTesting
import OpenAIAPI
import Testing
@testable import APIServer

@Suite("/v1/files through the router, on SQLite")
struct FilesAPITests {
    @Test("an upload is stored byte for byte, validated, listed, retrieved and deleted")
    func uploadLifecycle() async throws {
        let server = try ServerFixture.make()
        try await server.application.test(.router) { client in
            let upload = try await client.upload(ServerData.train, filename: "../../etc/train.jsonl")
            #expect(upload.status == .ok)
            #expect(upload.headers[.contentType] == "application/json")
            let file = try upload.decode(FileObject.self)
            #expect(file.id.hasPrefix("file-"))
            #expect(file.filename == "train.jsonl")
            #expect(file.bytes == ServerData.train.utf8.count)
            #expect(file.status == .processed)
            #expect(file.purpose == "fine-tune")

            let content = try await client.request(.get, "/v1/files/\(file.id)/content")
            #expect(content.status == .ok)
            #expect(content.text == ServerData.train)

            // The bytes live under the id, never under the client's name.
            let stored = server.components.files.url(id: file.id)
            #expect(stored.lastPathComponent == file.id)
            #expect(try String(contentsOf: stored, encoding: .utf8) == ServerData.train)

            let retrieved = try await client.request(.get, "/v1/files/\(file.id)").decode(FileObject.self)
            #expect(retrieved == file)

            let second = try await client.upload(ServerData.valid, filename: "valid.jsonl").decode(FileObject.self)
            let list = try await client.request(.get, "/v1/files?limit=1").decode(ListPage<FileObject>.self)
            #expect(list.data.map(\.id) == [second.id])
            #expect(list.hasMore)
            let next = try await client.request(.get, "/v1/files?limit=1&after=\(second.id)").decode(ListPage<FileObject>.self)
            #expect(next.data.map(\.id) == [file.id])
            #expect(!next.hasMore)
            let ascending = try await client.request(.get, "/v1/files?order=asc").decode(ListPage<FileObject>.self)
            #expect(ascending.data.map(\.id) == [file.id, second.id])

            let deleted = try await client.request(.delete, "/v1/files/\(file.id)")
            #expect(deleted.status == .ok)
            #expect(try deleted.decode(DeletionStatus.self) == DeletionStatus(id: file.id, object: "file", deleted: true))
            #expect(!FileManager.default.fileExists(atPath: stored.path))
            let gone = try await client.request(.get, "/v1/files/\(file.id)")
            #expect(gone.status == .notFound)
            #expect(gone.apiError?.param == "file_id")
            let goneContent = try await client.request(.get, "/v1/files/\(file.id)/content")
            #expect(goneContent.status == .notFound)
        }
    }

    @Test("an invalid training file is kept with status error naming the line")
    func invalidTrainingFile() async throws {
        let server = try ServerFixture.make()
        try await server.application.test(.router) { client in
            let bad = #"{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]}"# + "\nnot json\n"
            let file = try await client.upload(bad).decode(FileObject.self)
            #expect(file.status == .error)
            #expect(file.statusDetails?.contains("Line 2") == true)
            let noAssistant = #"{"messages":[{"role":"user","content":"hi"}]}"# + "\n"
            let second = try await client.upload(noAssistant).decode(FileObject.self)
            #expect(second.status == .error)
            #expect(second.statusDetails?.contains("Line 1") == true)
            // A two-line file is not rejected for being short.
            let short = try await client.upload(ServerData.jsonl(ServerData.capitals[0..<2])).decode(FileObject.self)
            #expect(short.status == .processed)
        }
    }

    @Test("bad uploads get OpenAI's error shape: no file part, unknown purpose, too large")
    func badUploads() async throws {
        let server = try ServerFixture.make(maxUploadBytes: 1024)
        try await server.application.test(.router) { client in
            let unknownPurpose = try await client.upload(ServerData.valid, purpose: "pictures")
            #expect(unknownPurpose.status == .badRequest)
            #expect(unknownPurpose.apiError?.param == "purpose")

            let tooLarge = try await client.upload(String(repeating: "x", count: 4096))
            #expect(tooLarge.status == .contentTooLarge)
            #expect(tooLarge.apiError?.message.isEmpty == false)

            let notMultipart = try await client.request(.post, "/v1/files", json: "{}")
            #expect(notMultipart.status == .badRequest)
            #expect(notMultipart.apiError != nil)

            let list = try await client.request(.get, "/v1/files").decode(ListPage<FileObject>.self)
            #expect(list.data.isEmpty)
            #expect(try FileManager.default.contentsOfDirectory(atPath: server.components.files.directory.path)
                .filter { !$0.hasPrefix(".") }.isEmpty)

            let badCursor = try await client.request(.get, "/v1/files?after=file-nope")
            #expect(badCursor.status == .badRequest)
            #expect(badCursor.apiError?.param == "after")
        }
    }
}

@Suite("uploads with expires_after")
struct FileExpiryTests {
    @Test("an expired file is deleted by the sweep, bytes and row, unless an unfinished job uses it")
    func sweep() async throws {
        let server = try ServerFixture.make()
        let store = server.components.store, files = server.components.files
        let expiry = FileExpiry(store: store, files: files, logger: server.logger)
        try await server.application.test(.router) { client in
            let boundary = "expiry-test"
            var body = "--\(boundary)\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n"
            body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"expires_after[anchor]\"\r\n\r\ncreated_at\r\n"
            body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"expires_after[seconds]\"\r\n\r\n3600\r\n"
            body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"t.jsonl\"\r\n\r\n\(ServerData.train)\r\n--\(boundary)--\r\n"
            var headers = HTTPFields()
            headers[.contentType] = "multipart/form-data; boundary=\(boundary)"
            let file = try await client.execute(uri: "/v1/files", method: .post, headers: headers, body: ByteBuffer(string: body))
                .decode(FileObject.self)
            #expect(file.expiresAt == file.createdAt + 3600)
            let kept = try await client.upload(ServerData.valid).decode(FileObject.self)
            #expect(kept.expiresAt == nil)

            #expect(try await expiry.sweep(now: file.createdAt + 3599).isEmpty)
            #expect(try await expiry.sweep(now: file.createdAt + 3600) == [file.id])
            #expect(try await client.request(.get, "/v1/files/\(file.id)").status == .notFound)
            #expect(!FileManager.default.fileExists(atPath: files.url(id: file.id).path))
            #expect(try await client.request(.get, "/v1/files/\(kept.id)").status == .ok)
        }
    }
}
