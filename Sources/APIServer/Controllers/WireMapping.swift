import OpenAIAPI

/// The organization every object of this server belongs to (`ft:<base>:local:…`).
public enum ServerOrganization {
    public static let name = "local"
    public static let id = "org-local"
}

extension FileObject {
    init(_ file: StoredFile) {
        self.init(id: file.id, bytes: file.bytes, createdAt: file.createdAt, filename: file.filename, purpose: file.purpose,
                  status: file.status, statusDetails: file.statusDetails, expiresAt: file.expiresAt)
    }
}

extension FineTuningJob {
    /// The job as OpenAI reports it: `auto` until the files are validated, then resolved numbers.
    init(_ job: StoredJob) {
        let hyperparameters: JobHyperparameters
        if let resolved = job.resolved {
            hyperparameters = JobHyperparameters(nEpochs: .value(resolved.nEpochs), batchSize: .value(resolved.batchSize),
                                                 learningRateMultiplier: .value(resolved.learningRateMultiplier))
        } else {
            hyperparameters = JobHyperparameters(nEpochs: job.requested.nEpochs ?? .auto, batchSize: job.requested.batchSize ?? .auto,
                                                 learningRateMultiplier: job.requested.learningRateMultiplier ?? .auto)
        }
        self.init(id: job.id, createdAt: job.createdAt, model: job.model, organizationID: ServerOrganization.id,
                  status: job.status.rawValue, trainingFile: job.trainingFile, validationFile: job.validationFile,
                  hyperparameters: hyperparameters, seed: job.seed, resultFiles: job.resultFiles,
                  fineTunedModel: job.status == .succeeded ? job.fineTunedModel : nil, finishedAt: job.finishedAt,
                  trainedTokens: job.trainedTokens, error: job.error, estimatedFinish: job.estimatedFinish,
                  integrations: job.integrations, metadata: job.metadata, userProvidedSuffix: job.suffix)
    }
}

extension FineTuningJobEvent {
    init(_ event: StoredEvent) {
        self.init(id: event.id, createdAt: event.createdAt, level: event.level, message: event.message, type: event.type,
                  data: event.data)
    }
}

extension FineTuningCheckpoint {
    init(_ checkpoint: StoredCheckpoint) {
        self.init(id: checkpoint.id, createdAt: checkpoint.createdAt, fineTunedModelCheckpoint: checkpoint.modelName,
                  fineTuningJobID: checkpoint.jobID, stepNumber: checkpoint.stepNumber, metrics: checkpoint.metrics)
    }
}

extension ListPage {
    /// A page of stored records as the API lists them.
    init<Record>(_ page: Page<Record>, _ transform: (Record) -> Item) where Item: Identifiable, Item.ID == String {
        let items = page.items.map(transform)
        self.init(data: items, hasMore: page.hasMore, firstID: items.first?.id, lastID: items.last?.id)
    }
}

/// A page from the store, with an unknown `after` cursor answered as OpenAI does: 400 on `after`.
/// - Parameter kind: what is listed, for the message ("file", "event in job ftjob-…").
func listing<Item>(_ kind: String, _ list: () async throws -> Page<Item>) async throws -> Page<Item> {
    do { return try await list() } catch StoreError.unknownCursor(let id) {
        throw APIError.badRequest("No \(kind) with id '\(id)' to list after", param: "after")
    }
}
