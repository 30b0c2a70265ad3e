import Foundation
import Testing

/// A real MLflow tracking server for the tests, started with scripts/mlflow/server.py: SQLite store and
/// proxied artifacts in a temporary folder, stopped (its whole process group) when `stop()` closes the
/// helper's stdin, or when this process dies and the pipe closes with it.
final class MLflowTestServer: Sendable {
    let url: URL
    private let process: Process
    private let stdin: FileHandle

    /// The package root (this file is Tests/ExperimentTrackingTests/MLflowTestServer.swift).
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// `$FINETUNE_MLFLOW_PYTHON`, else `.venv-mlflow/bin/python` in the package root; nil when neither exists.
    static let python: String? = {
        if let path = ProcessInfo.processInfo.environment["FINETUNE_MLFLOW_PYTHON"], !path.isEmpty,
           FileManager.default.isExecutableFile(atPath: path) {
            return path
        }
        let venv = packageRoot.appendingPathComponent(".venv-mlflow/bin/python").path
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : nil
    }()

    static let disabledReason: Comment =
        "no MLflow: run scripts/mlflow/setup_venv.sh (creates .venv-mlflow) or set FINETUNE_MLFLOW_PYTHON to a Python with mlflow"

    private init(url: URL, process: Process, stdin: FileHandle) {
        self.url = url
        self.process = process
        self.stdin = stdin
    }

    /// Starts a server and waits until it answers /health (the helper prints its URL then).
    static func start() async throws -> MLflowTestServer {
        let python = try #require(python, disabledReason)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [packageRoot.appendingPathComponent("scripts/mlflow/server.py").path]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        let reader = output.fileHandleForReading
        // Blocking read of the first line, off the cooperative pool.
        let line: String = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var bytes = Data()
                while true {
                    let chunk = reader.availableData
                    if chunk.isEmpty { break }
                    bytes += chunk
                    if bytes.contains(UInt8(ascii: "\n")) { break }
                }
                continuation.resume(returning: String(decoding: bytes, as: UTF8.self))
            }
        }
        let text = line.trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.hasPrefix("http://"), let url = URL(string: text) else {
            try? input.fileHandleForWriting.close()
            process.waitUntilExit()
            throw StartFailure(message: "scripts/mlflow/server.py (\(python)) exited with status \(process.terminationStatus) "
                + "without printing a URL; its error is above")
        }
        return MLflowTestServer(url: url, process: process, stdin: input.fileHandleForWriting)
    }

    /// Stops the server and waits until the helper has (up to 20 s).
    func stop() async {
        try? stdin.close()
        for _ in 0..<200 where process.isRunning {
            try? await Task.sleep(nanoseconds: 100_000_000)
        }
    }

    struct StartFailure: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}

/// The servers of the `MLflowServerTests` suite: `main` for every test, `disposable` for the one that
/// kills its server. Both start at once (the start is mostly Python imports, one core each).
struct MLflowServers: Sendable {
    let main: MLflowTestServer
    let disposable: MLflowTestServer

    @TaskLocal static var current: MLflowServers?

    /// The running servers; fails the test when the suite's trait did not start them.
    static func get() throws -> MLflowServers {
        try #require(current, "the suite needs the .mlflowServers trait")
    }
}

/// Starts `MLflowServers` once for the suite it is attached to and stops them when the suite ends,
/// whether its tests pass or not.
struct MLflowServersTrait: SuiteTrait, TestScoping {
    var isRecursive: Bool { false }

    func provideScope(for test: Test, testCase: Test.Case?,
                      performing function: @Sendable () async throws -> Void) async throws {
        async let first = MLflowTestServer.start()
        async let second = MLflowTestServer.start()
        let servers: MLflowServers
        do {
            servers = MLflowServers(main: try await first, disposable: try await second)
        } catch {
            if let server = try? await first { await server.stop() }
            if let server = try? await second { await server.stop() }
            throw error
        }
        do {
            try await MLflowServers.$current.withValue(servers) { try await function() }
        } catch {
            await servers.main.stop()
            await servers.disposable.stop()
            throw error
        }
        await servers.main.stop()
        await servers.disposable.stop()
    }
}

extension Trait where Self == MLflowServersTrait {
    /// Runs the suite against two real MLflow servers (see `MLflowServers`).
    static var mlflowServers: Self { MLflowServersTrait() }
}
