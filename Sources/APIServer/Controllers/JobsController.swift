import Foundation
import Hummingbird
import ModelHub
import OpenAIAPI

/// `/v1/fine_tuning/jobs`: create, list, retrieve, cancel, pause, resume, events, checkpoints
/// (API.md §4, §6). Status changes go through the `JobScheduler`, which owns the state machine.
struct JobsController<Store: APIStore> {
    let store: Store
    let scheduler: JobScheduler
    let models: ModelStore
    let home: FinetuneHome
    let maxBodyBytes: Int

    func addRoutes<Context: RequestContext>(to group: RouterGroup<Context>) {
        group.post("fine_tuning/jobs", use: create)
        group.get("fine_tuning/jobs", use: list)
        group.get("fine_tuning/jobs/:job_id", use: retrieve)
        group.post("fine_tuning/jobs/:job_id/cancel", use: cancel)
        group.post("fine_tuning/jobs/:job_id/pause", use: pause)
        group.post("fine_tuning/jobs/:job_id/resume", use: resume)
        group.get("fine_tuning/jobs/:job_id/events", use: events)
        group.get("fine_tuning/jobs/:job_id/checkpoints", use: checkpoints)
    }

    @Sendable func create<Context: RequestContext>(_ request: Request, context: Context) async throws -> Response {
        let body = try await request.decodeJSON(CreateFineTuningJobRequest.self, context: context, limit: maxBodyBytes)
        try body.validate()
        try checkBaseModel(body.model)
        try await checkFile(body.trainingFile, param: "training_file", role: "training")
        if let validation = body.effectiveValidationFile {
            try await checkFile(validation, param: "validation_file", role: "validation")
        }
        let id = APIIdentifier.make(prefix: "ftjob-")
        let suffix = body.suffix ?? ""
        let job = StoredJob(
            id: id, createdAt: Int(Date().timeIntervalSince1970), model: body.model, status: .validatingFiles,
            trainingFile: body.trainingFile, validationFile: body.effectiveValidationFile,
            requested: body.effectiveHyperparameters, seed: body.seed ?? Int.random(in: 0..<(1 << 31)),
            suffix: body.suffix, metadata: body.metadata, integrations: body.integrations,
            modelName: "ft:\(body.model):\(ServerOrganization.name):\(suffix):\(APIIdentifier.make(prefix: "", length: 8))",
            runDirectory: home.runDirectory(id: id).path)
        try await store.insertJob(job, event: JobEvents.message(id, "Created fine-tuning job: \(id)"))
        if let integrations = body.integrations, !integrations.isEmpty {
            try await store.appendEvents([JobEvents.message(
                id, "Integrations are recorded but not synced: this server trains offline, so metrics stay in the job's events and its results file",
                level: "warn")])
        }
        await scheduler.submit(id)
        return try jsonResponse(FineTuningJob(try await existingJob(id)))
    }

    @Sendable func list<Context: RequestContext>(_ request: Request, context: Context) async throws -> Response {
        let page = try PageQuery.parse(request, defaultLimit: 20)
        let filter = metadataFilter(request)
        let result = try await listing("fine-tuning job") {
            try await store.listJobs(after: page.after, limit: page.limit, metadata: filter)
        }
        return try jsonResponse(ListPage(result, FineTuningJob.init))
    }

    @Sendable func retrieve<Context: RequestContext>(_ request: Request, context: Context) async throws -> Response {
        try jsonResponse(FineTuningJob(try await existingJob(try pathParameter(context, "job_id"))))
    }

    @Sendable func cancel<Context: RequestContext>(_ request: Request, context: Context) async throws -> Response {
        try jsonResponse(FineTuningJob(try await scheduler.cancel(try pathParameter(context, "job_id"))))
    }

    @Sendable func pause<Context: RequestContext>(_ request: Request, context: Context) async throws -> Response {
        try jsonResponse(FineTuningJob(try await scheduler.pause(try pathParameter(context, "job_id"))))
    }

    @Sendable func resume<Context: RequestContext>(_ request: Request, context: Context) async throws -> Response {
        try jsonResponse(FineTuningJob(try await scheduler.resume(try pathParameter(context, "job_id"))))
    }

    @Sendable func events<Context: RequestContext>(_ request: Request, context: Context) async throws -> Response {
        let job = try await existingJob(try pathParameter(context, "job_id"))
        let page = try PageQuery.parse(request, defaultLimit: 20)
        let result = try await listing("event of job \(job.id)") {
            try await store.listEvents(jobID: job.id, after: page.after, limit: page.limit)
        }
        return try jsonResponse(ListPage(result, FineTuningJobEvent.init))
    }

    @Sendable func checkpoints<Context: RequestContext>(_ request: Request, context: Context) async throws -> Response {
        let job = try await existingJob(try pathParameter(context, "job_id"))
        let page = try PageQuery.parse(request, defaultLimit: 10)
        let result = try await listing("checkpoint of job \(job.id)") {
            try await store.listCheckpoints(jobID: job.id, after: page.after, limit: page.limit)
        }
        return try jsonResponse(ListPage(result, FineTuningCheckpoint.init))
    }

    // MARK: - Checks

    private func existingJob(_ id: String) async throws -> StoredJob {
        guard let job = try await store.job(id: id) else {
            throw APIError.notFound("No fine-tuning job found with id '\(id)'", param: "fine_tuning_job_id", code: "job_not_found")
        }
        return job
    }

    /// A base model this server can fine-tune: a registered GGUF model that isn't itself fine-tuned.
    private func checkBaseModel(_ name: String) throws {
        let records = (try? models.list()) ?? []
        guard let record = records.first(where: { $0.name == name }) else {
            let known = records.filter { $0.origin != .fineTuned }.map(\.name).sorted()
            throw APIError.notFound("The model '\(name)' does not exist or cannot be fine-tuned here; base models: \(known.joined(separator: ", "))",
                                    param: "model", code: "model_not_found")
        }
        guard record.origin != .fineTuned else {
            throw APIError.badRequest("'\(name)' is a fine-tuned model; fine-tune its base model '\(record.baseModel ?? "?")' instead",
                                      param: "model", code: "model_not_supported")
        }
    }

    private func checkFile(_ id: String, param: String, role: String) async throws {
        guard let file = try await store.file(id: id) else {
            throw APIError.badRequest("The \(role) file '\(id)' does not exist; upload it with purpose 'fine-tune' first",
                                      param: param, code: "file_not_found")
        }
        guard file.purpose == "fine-tune" else {
            throw APIError.badRequest("File \(id) has purpose '\(file.purpose)'; \(role) files need purpose 'fine-tune'",
                                      param: param, code: "invalid_file_purpose")
        }
        guard file.status != .error else {
            throw APIError.badRequest("The \(role) file \(id) (\(file.filename)) is invalid: \(file.statusDetails ?? "it failed validation")",
                                      param: param, code: "invalid_\(role)_file")
        }
        if role == "training", let count = file.exampleCount, count < 1 {
            throw APIError.badRequest("The training file \(id) has no examples", param: param, code: "invalid_training_file")
        }
    }
}
