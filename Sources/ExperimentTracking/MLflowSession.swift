import Foundation

/// One run on an MLflow server, as `finetune train` and `finetune eval` use it: metrics are buffered
/// and sent every few seconds and at the end, so logging never waits on the network.
///
/// A tracking failure never stops the work: the first one is reported through `warn` (once per
/// session), the unsent metrics and tags are kept, and the next flush tries again (once, without
/// retries, while the server keeps failing). `finish` flushes, uploads the artifacts and ends the run;
/// its failures go through `warn` too.
///
/// ```swift
/// let session = try await MLflowSession.start(
///     trackingURI: URL(string: "http://127.0.0.1:5000")!, experiment: "pricer", runName: "pricer-lr2e-4",
///     tags: [:], params: ["learning_rate": "0.0002"], warn: { print("warning: \($0)") })
/// await session.log([MLflowMetric(key: "train_loss", value: 1.93, step: 1)])
/// await session.finish(status: .finished, artifacts: [(file: recordURL, path: nil)])
/// print(session.runURL)
/// ```
public actor MLflowSession {
    /// The client the session talks through.
    public nonisolated let client: MLflowClient
    /// The run's ids and artifact URI.
    public nonisolated let info: MLflowRunInfo
    /// The run's page in the MLflow UI.
    public nonisolated let runURL: String

    /// `client` with one attempt per call, used while the server fails.
    private let quickClient: MLflowClient
    private let warn: @Sendable (String) -> Void
    private var metrics: [MLflowMetric] = []
    private var tags: [String: String] = [:]
    /// The flush in progress; each flush waits for the one before it.
    private var lastFlush: Task<Void, Never>?
    private var timer: Task<Void, Never>?
    private var warned = false
    /// The last call failed: the next one is tried once, without retries.
    private var failing = false
    private var finished = false

    /// Finds or creates the experiment, creates the run and logs `params`; then flushes every
    /// `flushInterval` seconds until `finish`.
    ///
    /// - Parameters:
    ///   - trackingURI: the server root (`http(s)://`).
    ///   - experiment: the experiment's name (created when missing).
    ///   - runName: the run's name in MLflow.
    ///   - tags: the run's tags (`mlflow.source.name` = `finetune` is added).
    ///   - params: logged at once; values over 6000 characters are cut with a note.
    ///   - flushInterval: seconds between flushes.
    ///   - timeout: seconds per request.
    ///   - warn: told about the first tracking failure after the start (once).
    /// - Throws: `MLflowError` when the server cannot be reached or refuses the experiment, run or
    ///   params: the caller decides whether to go on without tracking.
    public static func start(trackingURI: URL, experiment: String, runName: String, tags: [String: String],
                             params: [String: String], flushInterval: Double = 5, timeout: Double = 30,
                             warn: @escaping @Sendable (String) -> Void) async throws -> MLflowSession {
        let client = try MLflowClient(trackingURI: trackingURI, timeout: timeout)
        let experimentID = try await client.experimentID(named: experiment)
        let info = try await client.createRun(experimentID: experimentID, name: runName, tags: tags)
        if !params.isEmpty {
            do {
                try await client.logBatch(runID: info.runID, params: params)
            } catch {
                // Don't leave a run RUNNING forever in the UI.
                try? await client.withAttempts(1).endRun(runID: info.runID, status: .failed)
                throw error
            }
        }
        let session = MLflowSession(client: client, info: info, warn: warn)
        await session.startTimer(interval: flushInterval)
        return session
    }

    init(client: MLflowClient, info: MLflowRunInfo, warn: @escaping @Sendable (String) -> Void) {
        self.client = client
        quickClient = client.withAttempts(1)
        self.info = info
        self.warn = warn
        runURL = client.runURL(info)
    }

    /// Buffers metric points; the next flush sends them. Never waits on the network.
    public func log(_ metrics: [MLflowMetric]) {
        guard !finished else { return }
        self.metrics += metrics
    }

    /// Sets tags on the run now (a later value of a key replaces the earlier one).
    public func setTags(_ tags: [String: String]) async {
        guard !finished else { return }
        self.tags.merge(tags) { _, new in new }
        await flush()
    }

    /// Logs params now (values known only after the start, e.g. a batch size the provider chose).
    /// MLflow refuses a second, different value for a param; failures go through `warn`.
    public func logParams(_ params: [String: String]) async {
        guard !params.isEmpty else { return }
        do {
            try await current.logBatch(runID: info.runID, params: params)
            failing = false
        } catch {
            report(error)
        }
    }

    /// Sends what is buffered; on failure keeps it for the next flush (see the type's notes).
    public func flush() async {
        let previous = lastFlush
        let task = Task { await previous?.value; await self.send() }
        lastFlush = task
        await task.value
    }

    /// Flushes, uploads `artifacts` (each `file` into the folder `path` of the run's artifacts, nil for
    /// the root) and ends the run with `status`. Failures go through `warn`; a second call does nothing.
    public func finish(status: MLflowRunStatus, artifacts: [(file: URL, path: String?)]) async {
        guard !finished else { return }
        finished = true
        timer?.cancel()
        timer = nil
        await flush()
        for artifact in artifacts {
            do {
                try await current.uploadArtifact(runInfo: info, file: artifact.file, artifactPath: artifact.path)
            } catch {
                report(error)
            }
        }
        do {
            try await current.endRun(runID: info.runID, status: status)
        } catch {
            report(error)
        }
    }

    /// Whether some metrics or tags wait to be sent (the server failed, or no flush has run since).
    public var hasUnsent: Bool { !metrics.isEmpty || !tags.isEmpty }

    // MARK: - Internals

    private func startTimer(interval: Double) {
        let nanoseconds = UInt64(max(0.05, interval) * 1_000_000_000)
        timer = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: nanoseconds)
                guard !Task.isCancelled, let self else { return }
                await self.flush()
            }
        }
    }

    /// Sends the buffer in calls of at most 1000 metrics (tags with the first); what a failed call and
    /// those after it held goes back to the front of the buffer for the next flush.
    private func send() async {
        guard !metrics.isEmpty || !tags.isEmpty else { return }
        var unsent = self.metrics[...]
        var tags = self.tags
        self.metrics = []
        self.tags = [:]
        repeat {
            let chunk = unsent.prefix(LogBatchPlanner.maxMetrics)
            do {
                try await current.logBatch(runID: info.runID, metrics: Array(chunk), tags: tags)
                failing = false
                unsent = unsent.dropFirst(chunk.count)
                tags = [:]
            } catch {
                self.metrics = Array(unsent) + self.metrics
                self.tags = tags.merging(self.tags) { _, newer in newer }
                report(error)
                return
            }
        } while !unsent.isEmpty
    }

    /// The client for the next call: with retries while the server answers, one attempt while it fails.
    private var current: MLflowClient { failing ? quickClient : client }

    private func report(_ error: any Error) {
        failing = true
        guard !warned else { return }
        warned = true
        warn("MLflow logging paused; the work goes on and logging is tried again at each flush: \(error)")
    }
}
