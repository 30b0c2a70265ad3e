import Foundation
import OpenAIAPI

/// Fine-tuning on Together's API (API.md §9): paths start with `/v1`, the base URL has none.
///
/// ```swift
/// let client = APIClient(provider: .together, baseURL: ProviderKind.together.defaultBaseURL, apiKey: key)
/// let together = TogetherProvider(client: client)
/// let file = try await together.upload(trainURL, progress: nil)
/// let job = try await together.createJob(JobRequest(model: "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference",
///                                                   trainingFile: file.id, batchSize: .max))
/// ```
public struct TogetherProvider: FineTuningProvider {
    public let client: APIClient
    /// The jobs' logs as listed so far (shared by copies of this provider).
    let logBook = TogetherLogBook()
    /// How often `upload` asks whether the file is preprocessed.
    public var filePollInterval: Duration
    /// How long `upload` waits for preprocessing.
    public var fileProcessingTimeout: Duration

    public init(client: APIClient, filePollInterval: Duration = .seconds(1), fileProcessingTimeout: Duration = .seconds(600)) {
        self.client = client
        self.filePollInterval = filePollInterval
        self.fileProcessingTimeout = fileProcessingTimeout
    }

    public var kind: ProviderKind { .together }
    public var location: String { client.baseURL.absoluteString }

    // MARK: - Jobs

    public func job(_ id: String) async throws -> JobSnapshot {
        try await togetherJob(id).snapshot
    }

    /// Together lists every job in one answer; this sorts them newest first and keeps `limit`.
    public func jobs(limit: Int) async throws -> [JobSnapshot] {
        try await allJobs().sorted { ($0.createdAt ?? .distantPast) > ($1.createdAt ?? .distantPast) }
            .prefix(max(0, limit)).map(\.snapshot)
    }

    /// The job's events and metrics (`/events` and `/metrics`, a 404 on metrics read as none), oldest first.
    /// Entries first seen in a later call come after those listed before (see `TogetherLogBook`).
    public func events(_ id: String, after: String?) async throws -> [JobEvent] {
        let path = jobPath(id, "events")
        let events = try await notFound("fine-tuning job", id) { try await client.json("GET", path, as: JSONValue.self) }
        guard let list = TogetherWire.list(events) else {
            throw ProviderError.invalidResponse(method: "GET", url: client.url(path), reason: "expected {\"data\": [events]}")
        }
        var metrics: [[String: JSONValue]] = []
        do {
            let answer: JSONValue = try await client.json("GET", jobPath(id, "metrics"))
            metrics = (answer["metrics"]?.arrayValue ?? answer["data"]?.arrayValue ?? answer.arrayValue ?? []).compactMap(\.objectValue)
        } catch ProviderError.http(404, _, _, _, _, _, _) {
            metrics = []
        }
        let current = TogetherEventLog(events: list, metrics: metrics, fallbackDate: Date()).entries
        return logBook.entries(of: id, merging: current, after: after)
    }

    public func cancel(_ id: String) async throws -> JobSnapshot {
        let path = jobPath(id, "cancel")
        let answer = try await notFound("fine-tuning job", id) { try await client.json("POST", path, body: .emptyJSON, as: JSONValue.self) }
        return try job(from: answer, method: "POST", path: path).snapshot
    }

    /// Together cannot pause a job.
    public func pause(_ id: String) async throws -> JobSnapshot {
        throw ProviderError.unsupported(provider: .together, what: "pausing jobs")
    }

    /// Together cannot pause (or resume) a job.
    public func resume(_ id: String) async throws -> JobSnapshot {
        throw ProviderError.unsupported(provider: .together, what: "resuming jobs")
    }

    /// `GET /v1/fine-tunes/{id}/checkpoints`, highest step first; ids `<checkpoint_type>-step-N`.
    public func checkpoints(_ id: String) async throws -> [RemoteCheckpoint] {
        let path = jobPath(id, "checkpoints")
        let answer = try await notFound("fine-tuning job", id) { try await client.json("GET", path, as: JSONValue.self) }
        guard let list = TogetherWire.list(answer) else {
            throw ProviderError.invalidResponse(method: "GET", url: client.url(path), reason: "expected {\"data\": [checkpoints]}")
        }
        return list.compactMap { object -> RemoteCheckpoint? in
            guard let step = TogetherWire.int(object["step"]) else { return nil }
            let type = TogetherWire.string(object["checkpoint_type"]) ?? "checkpoint"
            return RemoteCheckpoint(id: "\(type.lowercased())-step-\(step)", step: step, path: TogetherWire.string(object["path"]),
                                    createdAt: TogetherWire.date(object["created_at"]))
        }.sorted { $0.step > $1.step }
    }

    /// `GET /v1/models` (a bare array, or `{"data": [...]}`). A model counts as fine-tuned when its id starts
    /// with `ft:` or is the output of one of the account's jobs (one more request, `GET /v1/fine-tunes`;
    /// when that fails only the prefix counts).
    public func models() async throws -> [RemoteModel] {
        let answer: JSONValue = try await client.json("GET", "/v1/models")
        guard let list = TogetherWire.list(answer) else {
            throw ProviderError.invalidResponse(method: "GET", url: client.url("/v1/models"), reason: "expected a list of models")
        }
        let outputs = Set(((try? await allJobs()) ?? []).compactMap(\.outputName))
        return list.compactMap { object -> RemoteModel? in
            guard let id = TogetherWire.string(object["id"]) else { return nil }
            return RemoteModel(id: id, ownedBy: TogetherWire.string(object["organization"]) ?? TogetherWire.string(object["owned_by"]),
                               createdAt: TogetherWire.date(object["created"]),
                               isFineTuned: id.hasPrefix("ft:") || outputs.contains(id))
        }
    }

    /// Downloads a job's weights (`GET /v1/finetune/download`) to `destination`.
    /// - Parameters:
    ///   - checkpoint: `adapter`, `merged` or `model_output_path`.
    ///   - step: a checkpoint's step; nil for the final weights.
    ///   - progress: `(bytes received, total or nil)`.
    /// - Returns: the bytes written.
    @discardableResult
    public func download(jobID: String, checkpoint: String = "adapter", step: Int? = nil, to destination: URL,
                         progress: (@Sendable (Int, Int?) -> Void)? = nil) async throws -> Int {
        var query = [("ft_id", jobID), ("checkpoint", checkpoint)]
        if let step { query.append(("checkpoint_step", String(step))) }
        return try await notFound("fine-tuning job", jobID) {
            try await client.download("/v1/finetune/download", query: query, to: destination, progress: progress)
        }
    }

    // MARK: - Helpers

    func jobPath(_ id: String, _ rest: String? = nil) -> String {
        "/v1/fine-tunes/\(APIClient.pathSegment(id))" + (rest.map { "/\($0)" } ?? "")
    }

    func togetherJob(_ id: String) async throws -> TogetherJob {
        let path = jobPath(id)
        let answer = try await notFound("fine-tuning job", id) { try await client.json("GET", path, as: JSONValue.self) }
        return try job(from: answer, method: "GET", path: path)
    }

    func allJobs() async throws -> [TogetherJob] {
        let answer: JSONValue = try await client.json("GET", "/v1/fine-tunes")
        guard let list = TogetherWire.list(answer) else {
            throw ProviderError.invalidResponse(method: "GET", url: client.url("/v1/fine-tunes"), reason: "expected {\"data\": [jobs]}")
        }
        return try list.map { try TogetherJob($0, method: "GET", url: client.url("/v1/fine-tunes")) }
    }

    func job(from answer: JSONValue, method: String, path: String) throws -> TogetherJob {
        guard let object = answer.objectValue else {
            throw ProviderError.invalidResponse(method: method, url: client.url(path), reason: "expected a job object")
        }
        return try TogetherJob(object, method: method, url: client.url(path))
    }

    /// Runs `body`, turning a 404 into `ProviderError.notFound(what:id:)`.
    func notFound<T>(_ what: String, _ id: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch ProviderError.http(404, _, _, _, _, _, _) {
            throw ProviderError.notFound(what: what, id: id)
        }
    }
}
