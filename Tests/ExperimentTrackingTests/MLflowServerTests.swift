import Foundation
import Testing
@testable import ExperimentTracking

/// Everything checked against a real MLflow server (scripts/mlflow/server.py), read back through its REST API.
@Suite("MLflow client against a real server", .serialized,
       .enabled(if: MLflowTestServer.python != nil, MLflowTestServer.disabledReason), .mlflowServers)
struct MLflowServerTests {
    private func setUp() throws -> (MLflowClient, MLflowREST, URL) {
        let url = try MLflowServers.get().main.url
        return (try MLflowClient(trackingURI: url, timeout: 30), try MLflowREST(url), url)
    }

    private static func unique(_ name: String) -> String { "\(name)-\(UUID().uuidString.prefix(8))" }

    @Test("an experiment is created once and found by name after that")
    func experiment() async throws {
        let (client, rest, _) = try setUp()
        let name = Self.unique("reuse")
        let first = try await client.experimentID(named: name)
        let second = try await client.experimentID(named: name)
        #expect(first == second)
        #expect(try await rest.experiments(named: name) == [first])
        let other = try await client.experimentID(named: Self.unique("other"))
        #expect(other != first)
    }

    @Test("a deleted experiment is an error that says how to restore it")
    func deletedExperiment() async throws {
        let (client, rest, _) = try setUp()
        let name = Self.unique("deleted")
        let id = try await client.experimentID(named: name)
        try await rest.post("/api/2.0/mlflow/experiments/delete", ["experiment_id": id])
        await #expect(throws: MLflowError.deletedExperiment(name: name, id: id)) { try await client.experimentID(named: name) }
    }

    @Test("params, tags, metric histories over 1000 points, and the end status reach the server")
    func logging() async throws {
        let (client, rest, _) = try setUp()
        let experiment = try await client.experimentID(named: Self.unique("logging"))
        let info = try await client.createRun(experimentID: experiment, name: "pricer-lr2e-4", tags: ["base_model": "smollm2"])
        #expect(info.experimentID == experiment)
        #expect(info.artifactURI == "mlflow-artifacts:/\(experiment)/\(info.runID)/artifacts")

        let long = String(repeating: "p", count: 7000)
        // 2500 train_loss points (three log-batch calls), a valid_loss every 100 steps, a NaN, a key to sanitize.
        let train = (1...2500).map { MLflowMetric(key: "train_loss", value: 3.0 / Double($0) + 0.1, step: $0,
                                                  timestamp: 1_700_000_000_000 + Int64($0)) }
        let valid = stride(from: 100, through: 2500, by: 100).map {
            MLflowMetric(key: "valid_loss", value: 1.0 / 3.0 + Double($0) * 1e-4, step: $0, timestamp: 1_700_000_000_000)
        }
        let odd = [MLflowMetric(key: "within_10%", value: 2.0 / 3.0, step: 0, timestamp: 1),
                   MLflowMetric(key: "grad_norm", value: .nan, step: 7, timestamp: 1)]
        try await client.logBatch(runID: info.runID, params: ["learning_rate": "0.0002", "epochs": "3", "notes": long],
                                  metrics: train + valid + odd, tags: ["provider": "local"])
        try await client.endRun(runID: info.runID, status: .finished)

        let run = try await rest.run(info.runID)
        #expect(run.info.status == "FINISHED")
        #expect(run.info.endTime != nil)
        #expect(run.info.runName == "pricer-lr2e-4")
        #expect(run.param("learning_rate") == "0.0002" && run.param("epochs") == "3")
        let notes = try #require(run.param("notes"))
        #expect(notes.count == 6000 && notes.hasSuffix("[truncated: 7000 characters]"))
        #expect(run.tag("mlflow.runName") == "pricer-lr2e-4")
        #expect(run.tag("mlflow.source.name") == "finetune")
        #expect(run.tag("base_model") == "smollm2" && run.tag("provider") == "local")

        let history = try await rest.history(info.runID, "train_loss").sorted { $0.step < $1.step }
        #expect(history.map(\.step) == Array(1...2500))
        #expect(history.map(\.value) == train.map(\.value))
        #expect(history.map(\.timestamp) == train.map(\.timestamp))
        let validHistory = try await rest.history(info.runID, "valid_loss").sorted { $0.step < $1.step }
        #expect(validHistory.map(\.step) == valid.map(\.step) && validHistory.map(\.value) == valid.map(\.value))
        #expect(try await rest.history(info.runID, "within_10pct").map(\.value) == [2.0 / 3.0])
        #expect(try await rest.history(info.runID, "grad_norm").first?.value.isNaN == true)
    }

    @Test("MLflow's refusal names the URL, the status and MLflow's error code")
    func httpError() async throws {
        let (client, _, url) = try setUp()
        let error = await #expect(throws: MLflowError.self) {
            try await client.logBatch(runID: "0123456789abcdef0123456789abcdef", metrics: [MLflowMetric(key: "a", value: 1, step: 1)])
        }
        guard case .http(let method, let requestURL, let status, let code, let message, _) = error else {
            Issue.record("expected .http, got \(String(describing: error))")
            return
        }
        #expect(method == "POST" && requestURL == url.absoluteString + "/api/2.0/mlflow/runs/log-batch")
        #expect(status == 404 && code == "RESOURCE_DOES_NOT_EXIST")
        #expect(message?.contains("0123456789abcdef0123456789abcdef") == true)
    }

    @Test("artifacts are uploaded through the server, listed, and their bytes come back unchanged")
    func artifacts() async throws {
        let (client, rest, _) = try setUp()
        let experiment = try await client.experimentID(named: Self.unique("artifacts"))
        let info = try await client.createRun(experimentID: experiment, name: "artifacts", tags: [:])
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mlflow-art-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var generator = SystemRandomNumberGenerator()
        let binary = Data((0..<100_000).map { _ in UInt8.random(in: 0...255, using: &generator) })
        let chart = folder.appendingPathComponent("scatter model.png")
        try binary.write(to: chart)
        let record = folder.appendingPathComponent("run.json")
        try Data("{\"name\": \"pricer\"}\n".utf8).write(to: record)

        try await client.uploadArtifact(runInfo: info, file: chart, artifactPath: "report/charts")
        try await client.uploadArtifact(runInfo: info, file: record, artifactPath: nil)

        let root = try await rest.artifacts(info.runID)
        #expect(root.contains(.init(path: "report", isDir: true, fileSize: nil)))
        #expect(root.contains { $0.path == "run.json" && $0.fileSize == 19 })
        let charts = try await rest.artifacts(info.runID, path: "report/charts")
        #expect(charts == [.init(path: "report/charts/scatter model.png", isDir: false, fileSize: 100_000)])
        #expect(try await rest.download(info, "report/charts/scatter%20model.png") == binary)
        #expect(try await rest.download(info, "run.json") == Data("{\"name\": \"pricer\"}\n".utf8))
    }

    @Test("a session buffers metrics, flushes them, uploads artifacts and ends the run")
    func session() async throws {
        let url = try MLflowServers.get().main.url
        let rest = try MLflowREST(url)
        let warnings = Warnings()
        let experiment = Self.unique("session")
        let session = try await MLflowSession.start(
            trackingURI: url, experiment: experiment, runName: "session-run", tags: ["kind": "train"],
            params: ["batch_size": "4"], flushInterval: 0.2, warn: { warnings.add($0) })
        #expect(session.runURL == "\(url.absoluteString)/#/experiments/\(session.info.experimentID)/runs/\(session.info.runID)")
        for step in 1...30 {
            await session.log([MLflowMetric(key: "train_loss", value: 2.0 - Double(step) * 0.01, step: step)])
        }
        // The timer flushes on its own.
        var seen: [WireMetric] = []
        for _ in 0..<100 where seen.count < 30 {
            try await Task.sleep(nanoseconds: 100_000_000)
            seen = try await rest.history(session.info.runID, "train_loss")
        }
        #expect(seen.count == 30)
        await session.setTags(["stage": "eval"])
        await session.logParams(["chosen_batch_size": "4"])
        let running = try await rest.run(session.info.runID)
        #expect(running.info.status == "RUNNING")
        #expect(running.tag("stage") == "eval" && running.param("chosen_batch_size") == "4")

        await session.log([MLflowMetric(key: "valid_loss", value: 1.5, step: 30)])
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("session-\(UUID().uuidString).json")
        try Data("{}".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        await session.finish(status: .finished, artifacts: [(file: file, path: "records")])
        await session.log([MLflowMetric(key: "late", value: 1, step: 1)])  // after finish: ignored
        await session.finish(status: .failed, artifacts: [])                // a second finish does nothing

        let run = try await rest.run(session.info.runID)
        #expect(run.info.status == "FINISHED")
        #expect(run.param("batch_size") == "4" && run.tag("kind") == "train")
        #expect(try await rest.history(session.info.runID, "train_loss").sorted { $0.step < $1.step }.map(\.value)
            == (1...30).map { 2.0 - Double($0) * 0.01 })
        #expect(try await rest.history(session.info.runID, "valid_loss").map(\.value) == [1.5])
        #expect(try await rest.history(session.info.runID, "late").isEmpty)
        #expect(try await rest.artifacts(session.info.runID, path: "records").map(\.path) == ["records/\(file.lastPathComponent)"])
        #expect(warnings.all.isEmpty)
        #expect(await session.hasUnsent == false)
    }

    @Test("when the server dies mid-run the session warns once and the work goes on")
    func serverDies() async throws {
        let servers = try MLflowServers.get()
        let url = servers.disposable.url
        let rest = try MLflowREST(url)
        let warnings = Warnings()
        let session = try await MLflowSession.start(
            trackingURI: url, experiment: "dies", runName: "doomed", tags: [:], params: [:],
            flushInterval: 0.2, timeout: 5, warn: { warnings.add($0) })
        await session.log((1...5).map { MLflowMetric(key: "train_loss", value: Double($0), step: $0) })
        await session.flush()
        #expect(try await rest.history(session.info.runID, "train_loss").count == 5)

        await servers.disposable.stop()
        let started = Date()
        for step in 6...50 {  // "training" goes on: logging never waits on the network
            await session.log([MLflowMetric(key: "train_loss", value: Double(step), step: step)])
            if step % 10 == 0 { await session.flush() }
        }
        try await Task.sleep(nanoseconds: 500_000_000)  // a few timer flushes fail too
        await session.finish(status: .finished, artifacts: [(file: URL(fileURLWithPath: #filePath), path: nil)])
        #expect(Date().timeIntervalSince(started) < 30)
        #expect(warnings.all.count == 1)
        #expect(warnings.all.first?.contains("is an MLflow server running at \(url.absoluteString)?") == true)
        #expect(await session.hasUnsent)
    }
}

/// Collects the session's warnings (called from its tasks).
final class Warnings: @unchecked Sendable {
    // Safe: every access to `messages` holds `lock`.
    private let lock = NSLock()
    private var messages: [String] = []

    func add(_ message: String) {
        lock.lock()
        defer { lock.unlock() }
        messages.append(message)
    }

    var all: [String] {
        lock.lock()
        defer { lock.unlock() }
        return messages
    }
}
