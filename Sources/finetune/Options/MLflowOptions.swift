import ArgumentParser
import Foundation

/// `--mlflow URI` and `--mlflow-experiment NAME`: where `train` and `eval` log to an MLflow tracking server.
struct MLflowOptions: ParsableArguments {
    @Option(name: .customLong("mlflow"), help: ArgumentHelp(
        "An MLflow tracking server to log parameters, metrics and the report to, such as http://127.0.0.1:5000.",
        valueName: "uri"))
    var uri: String?

    @Option(name: .customLong("mlflow-experiment"), help: ArgumentHelp("The MLflow experiment (created when missing).", valueName: "name"))
    var experiment: String = "finetune"

    func validate() throws {
        guard let uri else { return }
        guard let url = URL(string: uri), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), url.host != nil else {
            throw ValidationError("--mlflow '\(uri)' is not an http(s) URL of a tracking server; for example http://127.0.0.1:5000 (start one with `mlflow server --host 127.0.0.1 --port 5000`)")
        }
        guard !experiment.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw ValidationError("--mlflow-experiment is empty; give the experiment's name")
        }
    }

    /// The tracking server's URL, when `--mlflow` was given.
    var url: URL? { uri.flatMap(URL.init(string:)) }
}
