import Foundation
import Testing
@testable import ExperimentTracking

@Suite("MLflow client without a server")
struct MLflowClientOfflineTests {
    @Test("a tracking URI that is not http(s) is refused with what to do", arguments: [
        "file:///tmp/mlruns", "databricks", "localhost:5000", "sqlite:///mlflow.db", "http://",
    ])
    func unsupportedURI(text: String) throws {
        let url = try #require(URL(string: text))
        #expect(throws: MLflowError.unsupportedURI(text)) { try MLflowClient(trackingURI: url) }
        #expect(MLflowError.unsupportedURI(text).description.contains("mlflow server --host 127.0.0.1 --port 5000"))
    }

    @Test("an unreachable server fails after the retries, naming the URL and how to start a server")
    func unreachable() async throws {
        // Port 1 (tcpmux) is privileged and unused: the connection is refused at once.
        let client = try MLflowClient(trackingURI: URL(string: "http://127.0.0.1:1")!, timeout: 5, attempts: 2)
        let started = Date()
        let error = await #expect(throws: MLflowError.self) { try await client.experimentID(named: "x") }
        guard case .unreachable(let server, let method, let url, _, let attempts) = error else {
            Issue.record("expected .unreachable, got \(String(describing: error))")
            return
        }
        #expect(server == "http://127.0.0.1:1" && method == "GET" && attempts == 2)
        #expect(url == "http://127.0.0.1:1/api/2.0/mlflow/experiments/get-by-name?experiment_name=x")
        let text = error?.description ?? ""
        #expect(text.contains("is an MLflow server running at http://127.0.0.1:1?"))
        #expect(text.contains("`mlflow server --host 127.0.0.1 --port 5000`"))
        #expect(Date().timeIntervalSince(started) >= 0.4)  // one 0.5 s pause between the attempts
    }

    @Test("the server root drops credentials, query and trailing slashes; the run URL points at the UI")
    func server() throws {
        let client = try MLflowClient(trackingURI: URL(string: "https://me:s%40cret@mlflow.example.com/prefix/?x=1")!,
                                      environment: [:])
        #expect(client.server == "https://mlflow.example.com/prefix")
        #expect(client.http.authorization == "Basic " + Data("me:s@cret".utf8).base64EncodedString())
        let info = MLflowRunInfo(runID: "abc", experimentID: "3", artifactURI: "mlflow-artifacts:/3/abc/artifacts")
        #expect(client.runURL(info) == "https://mlflow.example.com/prefix/#/experiments/3/runs/abc")
    }

    @Test("MLflow's environment variables set the credentials")
    func credentials() throws {
        let url = URL(string: "http://127.0.0.1:5000")!
        #expect(try MLflowClient(trackingURI: url, environment: ["MLFLOW_TRACKING_TOKEN": "tok"]).http.authorization == "Bearer tok")
        let basic = try MLflowClient(trackingURI: url, environment: ["MLFLOW_TRACKING_USERNAME": "u", "MLFLOW_TRACKING_PASSWORD": "p"])
        #expect(basic.http.authorization == "Basic dTpw")
        #expect(try MLflowClient(trackingURI: url, environment: [:]).http.authorization == nil)
    }

    @Test("artifact URIs map to the server's proxy, a local folder, or an error")
    func destinations() {
        let server = "http://127.0.0.1:5000"
        #expect(ArtifactDestination("mlflow-artifacts:/1/abc/artifacts", server: server)
            == .proxied("http://127.0.0.1:5000/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts"))
        #expect(ArtifactDestination("mlflow-artifacts://other:5000/1/abc/artifacts", server: server)
            == .proxied("http://127.0.0.1:5000/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts"))
        #expect(ArtifactDestination("http://h:1/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/", server: server)
            == .proxied("http://h:1/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts"))
        #expect(ArtifactDestination("file:///tmp/mlruns/1/abc/artifacts", server: server)
            == .local(URL(fileURLWithPath: "/tmp/mlruns/1/abc/artifacts")))
        #expect(ArtifactDestination("/tmp/mlruns/1/abc/artifacts", server: server)
            == .local(URL(fileURLWithPath: "/tmp/mlruns/1/abc/artifacts")))
        #expect(ArtifactDestination("s3://bucket/1/abc/artifacts", server: server) == .unsupported)
        #expect(ArtifactDestination("http://h:1/somewhere", server: server) == .unsupported)
    }

    @Test("a run with a local artifact folder gets a copy of the file")
    func localArtifact() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mlflow-local-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("record.json")
        try Data("{\"a\": 1}".utf8).write(to: file)
        let client = try MLflowClient(trackingURI: URL(string: "http://127.0.0.1:1")!)
        let info = MLflowRunInfo(runID: "abc", experimentID: "1", artifactURI: folder.appendingPathComponent("store").absoluteString)
        try await client.uploadArtifact(runInfo: info, file: file, artifactPath: "runs/json")
        try await client.uploadArtifact(runInfo: info, file: file, artifactPath: "runs/json")  // replaces
        let copy = folder.appendingPathComponent("store/runs/json/record.json")
        #expect(try Data(contentsOf: copy) == Data("{\"a\": 1}".utf8))

        let missing = folder.appendingPathComponent("missing.json")
        let error = await #expect(throws: MLflowError.self) {
            try await client.uploadArtifact(runInfo: info, file: missing, artifactPath: nil)
        }
        #expect(error?.description.contains("missing.json") == true)
        let s3 = MLflowRunInfo(runID: "abc", experimentID: "1", artifactURI: "s3://bucket/x")
        await #expect(throws: MLflowError.unsupportedArtifactURI("s3://bucket/x")) {
            try await client.uploadArtifact(runInfo: s3, file: file, artifactPath: nil)
        }
    }
}
