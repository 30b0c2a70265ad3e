import Foundation
import OpenAIAPI

/// Fine-tuning on OpenAI's API, or on a `finetune serve` (kind `.local`), which speaks the same API.
///
/// ```swift
/// let client = APIClient(provider: .openai, baseURL: ProviderKind.openai.defaultBaseURL, apiKey: key)
/// let openAI = OpenAIProvider(client: client)
/// let file = try await openAI.upload(trainURL, progress: nil)
/// let job = try await openAI.createJob(JobRequest(model: "gpt-4.1-mini-2025-04-14", trainingFile: file.id))
/// ```
public struct OpenAIProvider: FineTuningProvider {
    public let kind: ProviderKind
    public let client: APIClient
    /// How often `upload` asks whether the file is processed.
    public var filePollInterval: Duration
    /// How long `upload` waits for processing.
    public var fileProcessingTimeout: Duration

    /// - Parameters:
    ///   - kind: `.openai`, or `.local` for a `finetune serve` (the same code).
    ///   - client: the HTTP client, its base URL ending in `/v1`.
    public init(kind: ProviderKind = .openai, client: APIClient, filePollInterval: Duration = .seconds(1),
                fileProcessingTimeout: Duration = .seconds(600)) {
        self.kind = kind
        self.client = client
        self.filePollInterval = filePollInterval
        self.fileProcessingTimeout = fileProcessingTimeout
    }

    public var location: String { client.baseURL.absoluteString }

    // MARK: - Files

    /// Uploads with `purpose=fine-tune`, then polls until the file is `processed`.
    /// - Throws: `ProviderError.fileRejected` with the provider's reason (its `status_details`, or the
    ///   400 it answered), `.timeout` when processing takes longer than `fileProcessingTimeout`.
    public func upload(_ file: URL, progress: (@Sendable (Int, Int) -> Void)?) async throws -> RemoteFile {
        var form = MultipartForm()
        form.addField("purpose", "fine-tune")
        try form.addFile("file", url: file)
        let response: APIResponse
        do {
            response = try await client.send("POST", "files", body: form.body, timeout: client.timeouts.upload, progress: progress)
        } catch ProviderError.http(let status, _, _, let message, _, let param, _) where (status == 400 || status == 422)
            && (param == nil || param == "file") {
            throw ProviderError.fileRejected(file: file.path, reason: message)
        }
        var uploaded = try client.decode(OpenAIFileWire.self, from: response, method: "POST", url: client.url("files"))
        let clock = ContinuousClock(), deadline = clock.now + fileProcessingTimeout
        while true {
            switch uploaded.status {
            case "error":
                throw ProviderError.fileRejected(file: file.path, reason: uploaded.statusDetails ?? "the provider gave no reason")
            case "processed", nil:
                return uploaded.remoteFile
            default:
                guard clock.now < deadline else {
                    throw ProviderError.timeout(method: "GET", url: client.url("files/\(APIClient.pathSegment(uploaded.id))"),
                                                seconds: Double(fileProcessingTimeout.components.seconds), attempts: 1)
                }
                try await Task.sleep(for: filePollInterval)
                uploaded = try await notFound("file", uploaded.id) {
                    try await client.json("GET", "files/\(APIClient.pathSegment(uploaded.id))")
                }
            }
        }
    }

    /// OpenAI quotes no prices.
    public func quote(_ request: JobRequest) async throws -> Double? { nil }

    // MARK: - Jobs

    public func job(_ id: String) async throws -> JobSnapshot {
        try await notFound("fine-tuning job", id) {
            try await client.json("GET", jobPath(id), as: OpenAIJobWire.self).snapshot
        }
    }

    public func jobs(limit: Int) async throws -> [JobSnapshot] {
        var jobs: [JobSnapshot] = [], after: String?
        while jobs.count < limit {
            var query = [("limit", String(min(100, limit - jobs.count)))]
            if let after { query.append(("after", after)) }
            let page: OpenAIPageWire<OpenAIJobWire> = try await client.json("GET", "fine_tuning/jobs", query: query)
            jobs += page.data.map(\.snapshot)
            guard page.hasMore == true, let last = page.data.last?.id, last != after else { break }
            after = last
        }
        return Array(jobs.prefix(limit))
    }

    /// Pages through the events newest first until it meets `after`, and returns the newer ones oldest first.
    public func events(_ id: String, after: String?) async throws -> [JobEvent] {
        var newer: [FineTuningJobEvent] = [], cursor: String?
        pages: for _ in 0..<1000 {
            var query = [("limit", "100")]
            if let cursor { query.append(("after", cursor)) }
            let page: OpenAIPageWire<FineTuningJobEvent> = try await notFound("fine-tuning job", id) {
                try await client.json("GET", jobPath(id, "events"), query: query)
            }
            for event in page.data {
                if let after, event.id == after { break pages }
                newer.append(event)
            }
            guard page.hasMore == true, let last = page.data.last?.id, last != cursor else { break }
            cursor = last
        }
        return newer.reversed().map(JobEvent.init(openAI:))
    }

    public func cancel(_ id: String) async throws -> JobSnapshot { try await action(id, "cancel") }

    public func pause(_ id: String) async throws -> JobSnapshot { try await action(id, "pause") }

    public func resume(_ id: String) async throws -> JobSnapshot { try await action(id, "resume") }

    public func checkpoints(_ id: String) async throws -> [RemoteCheckpoint] {
        var checkpoints: [RemoteCheckpoint] = [], after: String?
        for _ in 0..<100 {
            var query = [("limit", "100")]
            if let after { query.append(("after", after)) }
            let page: OpenAIPageWire<FineTuningCheckpoint> = try await notFound("fine-tuning job", id) {
                try await client.json("GET", jobPath(id, "checkpoints"), query: query)
            }
            checkpoints += page.data.map(RemoteCheckpoint.init(openAI:))
            guard page.hasMore == true, let last = page.data.last?.id, last != after else { break }
            after = last
        }
        return checkpoints.sorted { $0.step > $1.step }
    }

    /// Every model; the fine-tuned ones are those named `ft:…`.
    public func models() async throws -> [RemoteModel] {
        let list: OpenAIPageWire<Model> = try await client.json("GET", "models")
        return list.data.map { model in
            RemoteModel(id: model.id, ownedBy: model.ownedBy, createdAt: OpenAIJobWire.date(model.created),
                        isFineTuned: model.id.hasPrefix("ft:"))
        }
    }

    // MARK: - Helpers

    func jobPath(_ id: String, _ rest: String? = nil) -> String {
        "fine_tuning/jobs/\(APIClient.pathSegment(id))" + (rest.map { "/\($0)" } ?? "")
    }

    private func action(_ id: String, _ verb: String) async throws -> JobSnapshot {
        try await notFound("fine-tuning job", id) {
            try await client.json("POST", jobPath(id, verb), body: .emptyJSON, as: OpenAIJobWire.self).snapshot
        }
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
