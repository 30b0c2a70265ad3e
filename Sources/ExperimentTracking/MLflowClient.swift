import Foundation

/// A client of an MLflow tracking server's REST API (MLflow 2.x and 3.x, `/api/2.0/mlflow/…`): finds or
/// creates experiments, creates and ends runs, logs params, metrics and tags in batches, and uploads
/// artifacts. Transient failures (no connection, timeouts, 429, 5xx) are tried 3 times, 0.5 s then 1 s apart.
///
/// Credentials, as MLflow's own clients take them: `MLFLOW_TRACKING_TOKEN` (bearer), else
/// `MLFLOW_TRACKING_USERNAME` and `MLFLOW_TRACKING_PASSWORD` (basic), else a user and password in the URI.
///
/// ```swift
/// let mlflow = try MLflowClient(trackingURI: URL(string: "http://127.0.0.1:5000")!)
/// let experiment = try await mlflow.experimentID(named: "pricer")
/// let run = try await mlflow.createRun(experimentID: experiment, name: "pricer-lr2e-4", tags: [:])
/// try await mlflow.logBatch(runID: run.runID, params: ["epochs": "3"],
///                           metrics: [MLflowMetric(key: "train_loss", value: 1.9, step: 1)], tags: [:])
/// try await mlflow.endRun(runID: run.runID, status: .finished)
/// print(mlflow.runURL(run))
/// ```
public struct MLflowClient: Sendable {
    /// The server root as given, e.g. `http://127.0.0.1:5000`.
    public let trackingURI: URL
    /// Seconds allowed for one JSON request (uploads get at least 5 minutes).
    public let timeout: Double
    private(set) var http: MLflowHTTP

    /// - Parameters:
    ///   - trackingURI: the server root, `http://` or `https://` (a path prefix such as `/mlflow` is kept).
    ///   - timeout: seconds for one request, answer included.
    ///   - attempts: tries per request on transient failures (1 = no retry).
    ///   - environment: where `MLFLOW_TRACKING_TOKEN`, `_USERNAME` and `_PASSWORD` are read.
    /// - Throws: `MLflowError.unsupportedURI` for any other scheme (a file store, `databricks`, a bare
    ///   `host:port`) or a URL without a host.
    public init(trackingURI: URL, timeout: Double = 30, attempts: Int = 3,
                environment: [String: String] = ProcessInfo.processInfo.environment) throws(MLflowError) {
        guard var components = URLComponents(url: trackingURI, resolvingAgainstBaseURL: false),
              let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = components.host, !host.isEmpty else {
            throw .unsupportedURI(trackingURI.absoluteString)
        }
        let user = components.user.flatMap { $0.removingPercentEncoding }
        let password = components.password.flatMap { $0.removingPercentEncoding }
        components.user = nil
        components.password = nil
        components.query = nil
        components.fragment = nil
        var server = components.string ?? trackingURI.absoluteString
        while server.hasSuffix("/") { server.removeLast() }

        var authorization: String?
        if let token = environment["MLFLOW_TRACKING_TOKEN"], !token.isEmpty {
            authorization = "Bearer \(token)"
        } else if let name = environment["MLFLOW_TRACKING_USERNAME"] ?? user,
                  let secret = environment["MLFLOW_TRACKING_PASSWORD"] ?? password {
            authorization = "Basic " + Data("\(name):\(secret)".utf8).base64EncodedString()
        }
        self.trackingURI = trackingURI
        self.timeout = timeout
        http = MLflowHTTP(server: server, authorization: authorization, timeout: timeout, attempts: attempts, baseDelay: 0.5)
    }

    /// This client, trying each request `attempts` times.
    func withAttempts(_ attempts: Int) -> MLflowClient {
        var copy = self
        copy.http = MLflowHTTP(server: http.server, authorization: http.authorization, timeout: http.timeout,
                               attempts: attempts, baseDelay: http.baseDelay)
        return copy
    }

    /// The server root without credentials or a trailing slash.
    public var server: String { http.server }

    /// The id of the experiment called `name`, created when there is none.
    ///
    /// - Throws: `MLflowError.deletedExperiment` when it exists but is deleted; `.http`, `.unreachable`,
    ///   `.timeout`, `.invalidResponse`.
    public func experimentID(named name: String) async throws -> String {
        if let found = try await experiment(named: name) { return found }
        let url = http.url("/api/2.0/mlflow/experiments/create")
        do {
            let created: CreateExperimentResponse = try await post(url, CreateExperimentRequest(name: name))
            return created.experimentID
        } catch MLflowError.http(_, _, _, "RESOURCE_ALREADY_EXISTS", _, _) {
            // Another process created it between the look-up and the create.
            if let found = try await experiment(named: name) { return found }
            throw MLflowError.invalidResponse(method: "POST", url: url,
                                              reason: "experiment '\(name)' exists, yet get-by-name does not find it")
        }
    }

    /// Creates a run in `experimentID`, RUNNING from now.
    ///
    /// - Parameters:
    ///   - name: the run's name (MLflow shows it; also sent as the `mlflow.runName` tag).
    ///   - tags: more tags; `mlflow.source.name` = `finetune` and `mlflow.source.type` = `LOCAL` are added
    ///     unless given. Keys are sanitized, values cut to 8000 characters.
    /// - Returns: the run's ids and artifact URI.
    public func createRun(experimentID: String, name: String, tags: [String: String]) async throws -> MLflowRunInfo {
        var all = ["mlflow.runName": name, "mlflow.source.name": "finetune", "mlflow.source.type": "LOCAL"]
        all.merge(tags) { _, given in given }
        let wireTags = all.map { WireKeyValue(key: MLflowNames.key($0.key),
                                              value: MLflowNames.truncated($0.value, limit: MLflowNames.maxTagValueLength)) }
            .sorted { $0.key < $1.key }
        let request = CreateRunRequest(experimentID: experimentID, runName: name, startTime: MLflowMetric.now(), tags: wireTags)
        let created: CreateRunResponse = try await post(http.url("/api/2.0/mlflow/runs/create"), request)
        return created.run.info
    }

    /// Logs params, metrics and tags, in as many `log-batch` calls as MLflow's limits need (1000
    /// metrics, 100 params, 100 tags, 1000 in all, 1 MB per call). Keys are sanitized with
    /// `MLflowNames.key(_:)`; param values over 6000 characters and tag values over 8000 are cut, with a
    /// note. A param keeps its first value: logging another value for it is an error from MLflow.
    ///
    /// - Throws: the first failing call's error; the calls before it are logged.
    public func logBatch(runID: String, params: [String: String] = [:], metrics: [MLflowMetric] = [],
                         tags: [String: String] = [:]) async throws {
        let url = http.url("/api/2.0/mlflow/runs/log-batch")
        for batch in LogBatchPlanner.batches(runID: runID, params: params, metrics: metrics, tags: tags) {
            let _: EmptyAnswer = try await post(url, batch)
        }
    }

    /// Ends a run with `status`, now.
    public func endRun(runID: String, status: MLflowRunStatus) async throws {
        let request = UpdateRunRequest(runID: runID, status: status, endTime: MLflowMetric.now())
        let _: EmptyAnswer = try await post(http.url("/api/2.0/mlflow/runs/update"), request)
    }

    /// The run's page in the MLflow UI: `<server>/#/experiments/<experiment>/runs/<run>`.
    public func runURL(_ info: MLflowRunInfo) -> String {
        "\(server)/#/experiments/\(info.experimentID)/runs/\(info.runID)"
    }

    // MARK: - Requests

    /// The experiment's id, nil when there is none of that name.
    private func experiment(named name: String) async throws -> String? {
        let url = http.url("/api/2.0/mlflow/experiments/get-by-name", query: [("experiment_name", name)])
        let response = try await http.send("GET", url)
        if response.status == 404, (try? JSONDecoder().decode(ErrorBody.self, from: response.body))?.errorCode == "RESOURCE_DOES_NOT_EXIST" {
            return nil
        }
        let found: GetExperimentResponse = try decode(response, method: "GET", url: url)
        if found.experiment.lifecycleStage == "deleted" {
            throw MLflowError.deletedExperiment(name: name, id: found.experiment.experimentID)
        }
        return found.experiment.experimentID
    }

    /// POSTs `body` as JSON and decodes the answer.
    func post<Body: Encodable, Answer: Decodable>(_ url: String, _ body: Body) async throws -> Answer {
        let data: Data
        do {
            data = try MLflowJSON.encoder().encode(body)
        } catch {
            preconditionFailure("MLflow request bodies are plain strings and numbers: \(error)")
        }
        let response = try await http.send("POST", url, body: data, contentType: "application/json")
        return try decode(response, method: "POST", url: url)
    }

    /// The answer decoded, or the error a non-2xx status or a body of another shape means.
    func decode<Answer: Decodable>(_ response: MLflowHTTP.Response, method: String, url: String) throws -> Answer {
        guard (200..<300).contains(response.status) else {
            throw MLflowHTTP.httpError(response, method: method, url: url, attempts: 1)
        }
        do {
            return try MLflowJSON.decoder().decode(Answer.self, from: response.body)
        } catch {
            throw MLflowError.invalidResponse(method: method, url: url, reason: Self.describe(error))
        }
    }

    private static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return String(describing: error) }
        switch error {
        case .keyNotFound(let key, let context):
            return "no '\((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))'"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
        @unknown default:
            return String(describing: error)
        }
    }
}

/// An answer whose body does not matter (`{}`).
struct EmptyAnswer: Decodable {}
