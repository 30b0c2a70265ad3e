import Foundation
import Hummingbird
import OpenAIAPI

/// `/v1/files`: upload (multipart), list, retrieve, content, delete (API.md §4, §5, §6.0).
///
/// Bytes go to `FileStorage` under the file's id (the user's file name is only metadata);
/// training files are checked with the dataset validator as they arrive and end `processed` or
/// `error` with the offending lines named.
struct FilesController<Store: APIStore> {
    let store: Store
    let files: FileStorage
    let maxUploadBytes: Int

    /// Purposes the upload accepts (OpenAI's list).
    static var purposes: Set<String> {
        ["fine-tune", "assistants", "batch", "vision", "user_data", "evals", "fine-tune-results", "assistants_output", "batch_output"]
    }

    func addRoutes<Context: RequestContext>(to group: RouterGroup<Context>) {
        group.post("files", use: create)
        group.get("files", use: list)
        group.get("files/:file_id", use: retrieve)
        group.delete("files/:file_id", use: delete)
        group.get("files/:file_id/content", use: content)
    }

    @Sendable func create<Context: RequestContext>(_ request: Request, context: Context) async throws -> Response {
        let upload = try await MultipartUpload.parse(request, storage: files, maxBytes: maxUploadBytes)
        guard let part = upload.file else {
            throw APIError.badRequest("Missing the 'file' part: upload the file as multipart/form-data field 'file'", param: "file")
        }
        guard let purpose = upload.fields["purpose"], !purpose.isEmpty else {
            part.sink.discard()
            throw APIError.badRequest("Missing required parameter: 'purpose'", param: "purpose")
        }
        guard Self.purposes.contains(purpose) else {
            part.sink.discard()
            throw APIError.badRequest("Invalid purpose '\(purpose)'; use one of: \(Self.purposes.sorted().joined(separator: ", "))",
                                      param: "purpose")
        }
        let id = APIIdentifier.make(prefix: "file-")
        let written = try part.sink.commit(as: id)
        let now = Int(Date().timeIntervalSince1970)
        var file = StoredFile(id: id, filename: Self.displayName(part.filename), purpose: purpose, bytes: written.bytes,
                              createdAt: now, status: .processed, sha256: written.sha256,
                              expiresAt: Self.expiry(upload.fields, createdAt: now))
        if purpose == "fine-tune" {
            let url = files.url(id: id)
            let validation = try await BlockingWork.run(name: "finetune-validate") { TrainingFileValidator.validate(url: url) }
            file.status = validation.status
            file.statusDetails = validation.details
            file.exampleCount = validation.exampleCount
        }
        do { try await store.insertFile(file) } catch {
            try? files.delete(id: id)
            throw error
        }
        return try jsonResponse(FileObject(file))
    }

    @Sendable func list<Context: RequestContext>(_ request: Request, context: Context) async throws -> Response {
        let page = try PageQuery.parse(request, defaultLimit: 10_000)
        let purpose = request.uri.queryParameters["purpose"].map(String.init)
        let result = try await listing("file") {
            try await store.listFiles(purpose: purpose, after: page.after, limit: page.limit, ascending: page.ascending)
        }
        return try jsonResponse(ListPage(result, FileObject.init))
    }

    @Sendable func retrieve<Context: RequestContext>(_ request: Request, context: Context) async throws -> Response {
        try jsonResponse(FileObject(try await existingFile(context)))
    }

    @Sendable func content<Context: RequestContext>(_ request: Request, context: Context) async throws -> Response {
        let file = try await existingFile(context)
        let url = files.url(id: file.id)
        let body = try await FileIO().loadFile(path: url.path, context: context)
        var headers = HTTPFields()
        headers[.contentType] = "application/octet-stream"
        headers[.contentLength] = String(file.bytes)
        return Response(status: .ok, headers: headers, body: body)
    }

    @Sendable func delete<Context: RequestContext>(_ request: Request, context: Context) async throws -> Response {
        let file = try await existingFile(context)
        let unfinished = try await store.jobs(status: [.validatingFiles, .queued, .running, .paused])
        if let job = unfinished.first(where: { $0.trainingFile == file.id || $0.validationFile == file.id }) {
            throw APIError.badRequest("File \(file.id) is used by fine-tuning job \(job.id), which is \(job.status.rawValue); cancel the job or wait for it to finish first",
                                      param: "file_id", code: "file_in_use")
        }
        guard try await store.deleteFile(id: file.id) else { throw Self.notFound(file.id) }
        try files.delete(id: file.id)
        return try jsonResponse(DeletionStatus(id: file.id, object: "file", deleted: true))
    }

    private func existingFile<Context: RequestContext>(_ context: Context) async throws -> StoredFile {
        let id = try pathParameter(context, "file_id")
        guard let file = try await store.file(id: id) else { throw Self.notFound(id) }
        return file
    }

    static func notFound(_ id: String) -> APIError {
        APIError.notFound("No such File object: \(id)", param: "file_id", code: "file_not_found")
    }

    /// The name to show for an upload: the last path component the client sent, at most 255 characters.
    static func displayName(_ name: String) -> String {
        let base = name.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        return base.isEmpty ? "upload" : String(base.prefix(255))
    }

    /// `expires_after[anchor]=created_at` with `expires_after[seconds]=N` sets an expiry time.
    static func expiry(_ fields: [String: String], createdAt: Int) -> Int? {
        guard fields["expires_after[anchor]"] == "created_at", let seconds = fields["expires_after[seconds]"].flatMap(Int.init),
              seconds > 0 else { return nil }
        return createdAt + seconds
    }
}
