import Foundation

/// Why a call to the MLflow tracking server failed; each description says what happened, where, and
/// what to do.
public enum MLflowError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The tracking URI is not an `http(s)://` URL (a file store, `databricks`, a bare `host:port`).
    case unsupportedURI(String)
    /// No connection to the server (refused, reset, unknown host), after `attempts` tries.
    case unreachable(server: String, method: String, url: String, reason: String, attempts: Int)
    /// No complete answer within `seconds`, after `attempts` tries.
    case timeout(server: String, method: String, url: String, seconds: Double, attempts: Int)
    /// The server answered with a non-2xx status; `code` and `message` are MLflow's `error_code` and
    /// `message` when the body carries them, else `message` holds the start of the body.
    case http(method: String, url: String, status: Int, code: String?, message: String?, attempts: Int)
    /// A 2xx answer that is not the JSON MLflow documents.
    case invalidResponse(method: String, url: String, reason: String)
    /// The experiment exists but was deleted (MLflow keeps deleted experiments' names taken).
    case deletedExperiment(name: String, id: String)
    /// The run's artifact URI points at a store this client cannot write (s3://, gs://, dbfs:/, …).
    case unsupportedArtifactURI(String)
    /// A local file could not be read, or copied into a local artifact store.
    case artifactFile(path: String, reason: String)

    public var description: String {
        switch self {
        case .unsupportedURI(let uri):
            return "MLflow tracking URI '\(uri)' is not an http:// or https:// URL: finetune logs to an MLflow tracking "
                + "server over its REST API; start one with `mlflow server --host 127.0.0.1 --port 5000` and pass "
                + "--mlflow http://127.0.0.1:5000"
        case .unreachable(let server, let method, let url, let reason, let attempts):
            return "cannot reach the MLflow server: \(method) \(url) failed (\(reason)) after \(Self.tries(attempts)); "
                + "is an MLflow server running at \(server)? start one with `mlflow server --host 127.0.0.1 --port 5000`"
        case .timeout(let server, let method, let url, let seconds, let attempts):
            return "the MLflow server at \(server) did not answer \(method) \(url) within \(Self.seconds(seconds)) "
                + "(\(Self.tries(attempts))); check that it is running and not overloaded (`curl \(server)/health`)"
        case .http(let method, let url, let status, let code, let message, let attempts):
            var text = "MLflow answered \(method) \(url) with HTTP \(status)"
            if let code { text += " \(code)" }
            if let message, !message.isEmpty { text += ": \(message)" }
            if attempts > 1 { text += " (after \(Self.tries(attempts)))" }
            return text + "; " + Self.advice(status: status, code: code)
        case .invalidResponse(let method, let url, let reason):
            return "MLflow's answer to \(method) \(url) is not what its REST API documents (\(reason)); "
                + "is this an MLflow tracking server, version 2 or later?"
        case .deletedExperiment(let name, let id):
            return "MLflow experiment '\(name)' (id \(id)) is deleted; restore it with "
                + "`mlflow experiments restore --experiment-id \(id)`, or choose another name with --mlflow-experiment"
        case .unsupportedArtifactURI(let uri):
            return "the run's artifacts go to \(uri), which finetune cannot write; start the MLflow server with "
                + "artifact proxying (the default; `--artifacts-destination` sets where they are kept) so uploads go through it"
        case .artifactFile(let path, let reason):
            return "cannot log artifact \(path): \(reason)"
        }
    }

    /// What to do about an HTTP error.
    private static func advice(status: Int, code: String?) -> String {
        switch status {
        case 401, 403:
            return "set MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD, for this server"
        case 404 where code == nil:
            return "is this URL an MLflow tracking server (version 2 or later)? pass its root, e.g. http://127.0.0.1:5000"
        case 500...:
            return "the MLflow server failed; see its log"
        default:
            return "check the value MLflow names above"
        }
    }

    private static func tries(_ attempts: Int) -> String { attempts == 1 ? "1 attempt" : "\(attempts) attempts" }

    private static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : String(format: "%.1f s", value)
    }
}
