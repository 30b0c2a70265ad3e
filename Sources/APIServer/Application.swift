import Foundation
import Hummingbird
import Logging
import ModelHub
import ServiceLifecycle
import TensorCore

/// How `finetune serve` runs.
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8089
    /// Bearer keys a request must carry; empty = no authentication.
    public var apiKeys: Set<String> = []
    public var home: FinetuneHome
    /// Largest upload accepted by `POST /v1/files`.
    public var maxUploadBytes = 512 << 20
    /// Largest JSON request body.
    public var maxBodyBytes = 8 << 20
    /// Jobs that train at the same time; the rest wait in the queue.
    public var maxConcurrentJobs = 1
    /// Compute threads per training job.
    public var threads = ThreadPool.defaultThreadCount
    /// Compute threads for chat completions. Half the cores by default: chat and training share
    /// the machine, and a thread pool whose workers wait for a busy core loses far more than the
    /// thread brings (decode measured 5× slower with 2 threads than with 1 on 2 busy cores).
    public var inferenceThreads = max(1, ThreadPool.defaultThreadCount / 2)

    public init(home: FinetuneHome) {
        self.home = home
    }

    /// Where the server keeps its database and uploaded files.
    public var dataDirectory: URL { home.url.appendingPathComponent("server", isDirectory: true) }
}

/// The server's parts, wired together: the store, uploaded files, the job scheduler, the models.
public struct ServerComponents<Store: APIStore>: Sendable {
    public let store: Store
    public let files: FileStorage
    public let scheduler: JobScheduler
    public let models: ModelStore
    public let inference: InferenceEngine
    public let configuration: ServerConfiguration

    public init(store: Store, files: FileStorage, engine: any TrainingEngine, models: ModelStore,
                inference: InferenceEngine, configuration: ServerConfiguration, logger: Logger) {
        self.store = store
        self.files = files
        self.models = models
        self.inference = inference
        self.configuration = configuration
        scheduler = JobScheduler(store: store, files: files, engine: engine, models: models,
                                 maxConcurrentJobs: configuration.maxConcurrentJobs, logger: logger)
    }
}

/// Every route under `/v1`, plus `/health`, behind the request log, the OpenAI error shape and
/// the API-key check.
public func buildRouter<Store: APIStore>(_ components: ServerComponents<Store>, logger: Logger) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: RequestLogMiddleware(logger: logger))
    router.add(middleware: OpenAIErrorMiddleware(logger: logger))
    router.add(middleware: AuthMiddleware(keys: components.configuration.apiKeys))
    router.get("health") { _, _ in
        let running = await components.scheduler.runningJobIDs
        return try jsonResponse(HealthStatus(status: "ok", runningJobs: running.count))
    }
    let v1 = router.group("v1")
    let configuration = components.configuration
    FilesController(store: components.store, files: components.files, maxUploadBytes: configuration.maxUploadBytes)
        .addRoutes(to: v1)
    JobsController(store: components.store, scheduler: components.scheduler, models: components.models,
                   home: configuration.home, maxBodyBytes: configuration.maxBodyBytes)
        .addRoutes(to: v1)
    let catalog = ServerModels(store: components.store, models: components.models)
    ModelsController(store: components.store, catalog: catalog).addRoutes(to: v1)
    ChatController(resolver: catalog, engine: components.inference, maxBodyBytes: configuration.maxBodyBytes)
        .addRoutes(to: v1)
    return router
}

struct HealthStatus: Codable, Sendable {
    var status: String
    var runningJobs: Int

    enum CodingKeys: String, CodingKey {
        case status
        case runningJobs = "running_jobs"
    }
}

/// The ids of every stored file (bytes on disk without a row are leftovers of a crash).
func allFileIDs(_ store: some APIStore) async throws -> Set<String> {
    var ids: Set<String> = [], after: String?
    while true {
        let page = try await store.listFiles(purpose: nil, after: after, limit: 1000, ascending: true)
        ids.formUnion(page.items.map(\.id))
        guard page.hasMore, let last = page.items.last else { return ids }
        after = last.id
    }
}

/// Recovers unfinished jobs when the server starts and, on SIGTERM / SIGINT, lets running
/// trainers finish their step and checkpoint before the process exits.
struct JobSchedulerService: Service {
    let scheduler: JobScheduler

    func run() async throws {
        try await scheduler.recover()
        try? await gracefulShutdown()
        await scheduler.shutdown()
    }
}

/// The server on SQLite in `configuration.dataDirectory`, training with the local engine.
///
/// ```swift
/// let app = try await buildApplication(configuration: ServerConfiguration(home: FinetuneHome()), logger: logger)
/// try await app.runService()
/// ```
/// - Parameter onReady: called with the base URL (`http://127.0.0.1:8089`) once the socket listens.
/// - Throws: when the database or the files folder can't be opened.
public func buildApplication(configuration: ServerConfiguration, logger: Logger,
                             onReady: @escaping @Sendable (String) -> Void = { _ in }) async throws -> some ApplicationProtocol {
    let data = configuration.dataDirectory
    try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
    let store = try SQLiteStore(url: data.appendingPathComponent("finetune.sqlite"))
    let files = try FileStorage(directory: data.appendingPathComponent("files", isDirectory: true))
    _ = try files.removeOrphans(keeping: try await allFileIDs(store))
    let models = ModelStore(home: configuration.home, catalog: try ModelCatalog.load(home: configuration.home),
                            environment: ProcessInfo.processInfo.environment)
    let components = ServerComponents(
        store: store, files: files, engine: LocalTrainingEngine(threads: configuration.threads), models: models,
        inference: InferenceEngine(threads: configuration.inferenceThreads, logger: logger), configuration: configuration,
        logger: logger)
    let router = buildRouter(components, logger: logger)
    let host = configuration.host
    var app = Application(
        router: router,
        configuration: .init(address: .hostname(host, port: configuration.port), serverName: "finetune"),
        onServerRunning: { channel in
            let port = channel.localAddress?.port ?? configuration.port
            let shown = host.contains(":") ? "[\(host)]" : host
            onReady("http://\(shown):\(port)")
        },
        logger: logger)
    app.addServices(JobSchedulerService(scheduler: components.scheduler),
                    FileExpiry(store: store, files: files, logger: logger))
    return app
}
