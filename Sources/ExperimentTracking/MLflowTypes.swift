import Foundation

/// What MLflow knows of a run once it is created: the ids and where its artifacts go.
public struct MLflowRunInfo: Sendable, Equatable, Codable {
    /// The run's id (32 hex digits).
    public var runID: String
    /// The id of the experiment the run belongs to.
    public var experimentID: String
    /// Where the run's artifacts go: `mlflow-artifacts:/<experiment>/<run>/artifacts` when the server
    /// proxies them (MLflow's default), else a local path, `file://` URI or a cloud store URI.
    public var artifactURI: String

    public init(runID: String, experimentID: String, artifactURI: String) {
        self.runID = runID
        self.experimentID = experimentID
        self.artifactURI = artifactURI
    }

    enum CodingKeys: String, CodingKey {
        case runID = "run_id"
        case experimentID = "experiment_id"
        case artifactURI = "artifact_uri"
    }
}

/// One point of a metric's history.
public struct MLflowMetric: Sendable, Equatable {
    /// The metric's name; `MLflowNames.key(_:)` makes any text an accepted one.
    public var key: String
    /// The value; NaN and ±infinity are sent as MLflow's JSON spells them (`"NaN"`, `"Infinity"`).
    public var value: Double
    /// The training step (or 0 for a single value).
    public var step: Int
    /// When it was measured, in milliseconds since 1970.
    public var timestamp: Int64

    /// - Parameters:
    ///   - key: the metric name (sanitized by the client before sending).
    ///   - value: the value.
    ///   - step: the step it belongs to.
    ///   - timestamp: milliseconds since 1970; now when left out.
    public init(key: String, value: Double, step: Int, timestamp: Int64 = MLflowMetric.now()) {
        self.key = key
        self.value = value
        self.step = step
        self.timestamp = timestamp
    }

    /// The current time in milliseconds since 1970, as MLflow stamps metrics and runs.
    public static func now() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded())
    }
}

/// How a run ended (MLflow's `RunStatus`, sent by name).
public enum MLflowRunStatus: String, Sendable, Codable, CaseIterable {
    case running = "RUNNING"
    case scheduled = "SCHEDULED"
    /// It ran to its end.
    case finished = "FINISHED"
    /// It stopped on an error.
    case failed = "FAILED"
    /// The user stopped it (Ctrl-C, a cancelled job).
    case killed = "KILLED"
}
