import Foundation
import Hummingbird
import ModelHub
import OpenAIAPI

/// The models this server can run: registered base GGUF models (`owned_by: system`), the
/// fine-tuned model of every succeeded job whose model wasn't deleted, and the checkpoints of
/// those jobs (`<ft model>:ckpt-step-N`, usable in chat but not listed, as on OpenAI).
struct ServerModels<Store: APIStore>: ModelResolver {
    let store: Store
    let models: ModelStore

    enum Entry {
        case base(ModelRecord)
        case fineTuned(StoredJob)
        case checkpoint(StoredCheckpoint, StoredJob)
    }

    func baseModels() -> [ModelRecord] {
        ((try? models.list()) ?? []).filter { $0.origin != .fineTuned }
    }

    /// - Parameter bases: the base models, when the caller has already read them.
    func entry(id: String, bases: [ModelRecord]? = nil) async throws -> Entry? {
        if let record = (bases ?? baseModels()).first(where: { $0.name == id }) { return .base(record) }
        if let job = try await store.job(modelName: id), job.status == .succeeded, !job.modelDeleted { return .fineTuned(job) }
        if let checkpoint = try await store.checkpoint(modelName: id), let job = try await store.job(id: checkpoint.jobID),
           !job.modelDeleted, FileManager.default.fileExists(atPath: checkpoint.path) {
            return .checkpoint(checkpoint, job)
        }
        return nil
    }

    func servingModel(id: String) async throws -> ServingModel? {
        let bases = baseModels()     // models.json, read once per request
        switch try await entry(id: id, bases: bases) {
        case .base(let record)?:
            return ServingModel(id: id, baseURL: record.url, adapterPath: nil)
        case .fineTuned(let job)?:
            guard let base = bases.first(where: { $0.name == job.model }) else { return nil }
            return ServingModel(id: id, baseURL: base.url,
                                adapterPath: URL(fileURLWithPath: job.runDirectory).appendingPathComponent("adapter", isDirectory: true))
        case .checkpoint(let checkpoint, let job)?:
            guard let base = bases.first(where: { $0.name == job.model }) else { return nil }
            return ServingModel(id: id, baseURL: base.url, adapterPath: URL(fileURLWithPath: checkpoint.path, isDirectory: true))
        case nil:
            return nil
        }
    }
}

/// `/v1/models`: list (not paginated), retrieve and delete (API.md §7). Model ids may contain
/// `:` and `/` (sent as `%2F`), so the id is the rest of the path after `/v1/models/`.
struct ModelsController<Store: APIStore> {
    let store: Store
    let catalog: ServerModels<Store>

    func addRoutes<Context: RequestContext>(to group: RouterGroup<Context>) {
        group.get("models", use: list)
        group.get("models/**", use: retrieve)
        group.delete("models/**", use: delete)
    }

    @Sendable func list<Context: RequestContext>(_ request: Request, context: Context) async throws -> Response {
        var data = catalog.baseModels().map(Self.model)
        let succeeded = try await store.jobs(status: [.succeeded]).filter { !$0.modelDeleted }
        data += succeeded.map { Model(id: $0.modelName, created: $0.finishedAt ?? $0.createdAt, ownedBy: ServerOrganization.id) }
        return try jsonResponse(ModelList(data: data))
    }

    @Sendable func retrieve<Context: RequestContext>(_ request: Request, context: Context) async throws -> Response {
        let id = try modelID(request)
        switch try await catalog.entry(id: id) {
        case .base(let record)?: return try jsonResponse(Self.model(record))
        case .fineTuned(let job)?:
            return try jsonResponse(Model(id: id, created: job.finishedAt ?? job.createdAt, ownedBy: ServerOrganization.id))
        case .checkpoint(let checkpoint, _)?:
            return try jsonResponse(Model(id: id, created: checkpoint.createdAt, ownedBy: ServerOrganization.id))
        case nil: throw Self.notFound(id)
        }
    }

    @Sendable func delete<Context: RequestContext>(_ request: Request, context: Context) async throws -> Response {
        let id = try modelID(request)
        switch try await catalog.entry(id: id) {
        case .base?:
            throw APIError.forbidden("'\(id)' is a base model and cannot be deleted; only fine-tuned models can", code: "model_not_deletable")
        case .checkpoint?:
            throw APIError.forbidden("'\(id)' is a checkpoint of a fine-tuning job; delete the fine-tuned model instead", code: "model_not_deletable")
        case .fineTuned(let job)?:
            _ = try await store.updateJob(id: job.id, events: [JobEvents.message(job.id, "Fine-tuned model deleted: \(id)")]) {
                guard !$0.modelDeleted else { return false }
                $0.modelDeleted = true
                return true
            }
            _ = try? catalog.models.remove(id)
            return try jsonResponse(DeletionStatus(id: id, object: "model", deleted: true))
        case nil:
            throw Self.notFound(id)
        }
    }

    private func modelID(_ request: Request) throws -> String {
        guard let id = modelIDFromPath(request, prefix: "/v1/models/"), !id.isEmpty else {
            throw APIError.badRequest("Missing the model id in the path", param: "model")
        }
        return id
    }

    static func model(_ record: ModelRecord) -> Model {
        Model(id: record.name, created: Int(record.addedAt.timeIntervalSince1970), ownedBy: "system")
    }

    static func notFound(_ id: String) -> APIError {
        APIError.notFound("The model '\(id)' does not exist or you do not have access to it.", param: "model", code: "model_not_found")
    }
}
