import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import ModelHub
import OpenAIAPI
import Testing
@testable import APIServer

/// A server over SQLite in a temporary finetune home, with the real SmolLM2 registered as
/// `smollm2-test`, tested through Hummingbird's test client.
struct ServerFixture: Sendable {
    static let baseModel = "smollm2-test"
    let home: FinetuneHome
    let components: ServerComponents<SQLiteStore>
    let logger: Logger

    /// A router over the fixture's components (a new one each time: routers aren't Sendable).
    var router: Router<BasicRequestContext> { buildRouter(components, logger: logger) }

    /// The real SmolLM2 file when present (`make test` pulls it into the finetune home):
    /// $FINETUNE_TEST_MODEL, else the catalog model as the finetune home resolves it.
    static var realModel: String? {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["FINETUNE_TEST_MODEL"] { return path }
        guard let url = try? ModelStore(environment: environment).resolve("smollm2-135m-instruct") else { return nil }
        return FileManager.default.fileExists(atPath: url.path) ? url.path : nil
    }

    /// - Parameter home: reuse a home (a restart); nil makes a new one.
    static func make(apiKeys: Set<String> = [], home: FinetuneHome? = nil, maxUploadBytes: Int = 8 << 20) throws -> ServerFixture {
        let home = try home ?? {
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("finetune-serve-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            return FinetuneHome(url: url)
        }()
        var configuration = ServerConfiguration(home: home)
        configuration.apiKeys = apiKeys
        configuration.maxUploadBytes = maxUploadBytes
        configuration.maxBodyBytes = 1 << 20
        configuration.threads = 2
        let models = ModelStore(home: home, catalog: ModelCatalog(entries: []))
        if let path = realModel, (try? models.list())?.contains(where: { $0.name == baseModel }) != true {
            try models.add(path: path, name: baseModel)
        }
        try FileManager.default.createDirectory(at: configuration.dataDirectory, withIntermediateDirectories: true)
        let store = try SQLiteStore(url: configuration.dataDirectory.appendingPathComponent("finetune.sqlite"))
        let files = try FileStorage(directory: configuration.dataDirectory.appendingPathComponent("files", isDirectory: true))
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let components = ServerComponents(
            store: store, files: files, engine: LocalTrainingEngine(threads: 2), models: models,
            inference: InferenceEngine(threads: 1, logger: logger), configuration: configuration, logger: logger)
        return ServerFixture(home: home, components: components, logger: logger)
    }

    var application: some ApplicationProtocol { Application(router: router) }

    /// Waits until the scheduler has nothing running and no job is validating or queued.
    func waitUntilIdle(timeout: Duration = .seconds(300)) async throws {
        let clock = ContinuousClock(), deadline = clock.now + timeout
        while clock.now < deadline {
            let busy = try await components.store.jobs(status: [.validatingFiles, .queued, .running])
            if busy.isEmpty, await components.scheduler.runningJobIDs.isEmpty { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("jobs still busy after \(timeout)")
    }

    /// Waits until `condition` holds for the job, polling the store.
    func waitForJob(_ id: String, timeout: Duration = .seconds(300), until condition: (StoredJob) -> Bool) async throws -> StoredJob {
        let clock = ContinuousClock(), deadline = clock.now + timeout
        while clock.now < deadline {
            if let job = try await components.store.job(id: id), condition(job) { return job }
            try await Task.sleep(for: .milliseconds(50))
        }
        let job = try await components.store.job(id: id)
        Issue.record("job \(id) never reached the condition; last status \(job?.status.rawValue ?? "missing")")
        return try #require(job)
    }
}

extension Trait where Self == ConditionTrait {
    /// Runs a suite only when the real SmolLM2 model is present.
    static var needsServerModel: Self {
        .enabled(if: ServerFixture.realModel != nil, "needs the SmolLM2 model (make test fetches it)")
    }
}

/// Small chat datasets for jobs: "What is the capital of X?" → "The capital of X is Y."
enum ServerData {
    static let capitals = [
        ("France", "Paris"), ("Spain", "Madrid"), ("Italy", "Rome"), ("Germany", "Berlin"), ("Portugal", "Lisbon"),
        ("Austria", "Vienna"), ("Poland", "Warsaw"), ("Greece", "Athens"), ("Norway", "Oslo"), ("Sweden", "Stockholm"),
        ("Finland", "Helsinki"), ("Ireland", "Dublin"), ("Hungary", "Budapest"), ("Denmark", "Copenhagen"),
        ("Belgium", "Brussels"), ("Czechia", "Prague"),
    ]

    static func jsonl(_ pairs: ArraySlice<(String, String)>) -> String {
        pairs.map { country, city in
            #"{"messages":[{"role":"system","content":"Answer in one sentence."},{"role":"user","content":"What is the capital of \#(country)?"},{"role":"assistant","content":"The capital of \#(country) is \#(city)."}]}"#
        }.joined(separator: "\n") + "\n"
    }

    static var train: String { jsonl(capitals[0..<12]) }
    static var valid: String { jsonl(capitals[12...]) }
}

/// Requests through the test client, with JSON and multipart bodies.
extension TestClientProtocol {
    @discardableResult
    func request(_ method: HTTPRequest.Method, _ uri: String, json: String? = nil, key: String? = nil) async throws -> TestResponse {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        if let key { headers[.authorization] = "Bearer \(key)" }
        return try await execute(uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
    }

    func upload(_ content: String, filename: String = "train.jsonl", purpose: String = "fine-tune", key: String? = nil) async throws -> TestResponse {
        let boundary = "finetune-test-\(UUID().uuidString)"
        var body = "--\(boundary)\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\n\(purpose)\r\n"
        body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(filename)\"\r\n"
        body += "Content-Type: application/octet-stream\r\n\r\n\(content)\r\n--\(boundary)--\r\n"
        var headers = HTTPFields()
        headers[.contentType] = "multipart/form-data; boundary=\(boundary)"
        if let key { headers[.authorization] = "Bearer \(key)" }
        return try await execute(uri: "/v1/files", method: .post, headers: headers, body: ByteBuffer(string: body))
    }
}

extension TestResponse {
    func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        try OpenAIJSON.decoder().decode(T.self, from: Data(buffer: body))
    }

    var text: String { String(buffer: body) }

    /// The OpenAI error body of a failed request.
    var apiError: APIErrorDetail? { try? decode(APIErrorResponse.self).error }
}
