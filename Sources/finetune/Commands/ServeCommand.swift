import APIServer
import ArgumentParser
import Foundation
import Hummingbird
import Logging
import ModelHub
import TensorCore

/// `finetune serve`: OpenAI's fine-tuning API on this machine's engine.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve an OpenAI-compatible fine-tuning API (files, jobs, models, chat) on the local engine.",
        discussion: """
        Code written for OpenAI's fine-tuning API runs unchanged against it:

          from openai import OpenAI
          client = OpenAI(base_url="http://127.0.0.1:8089/v1", api_key="sk-local")
          client.files.create(file=open("train.jsonl", "rb"), purpose="fine-tune")

        State (a SQLite database and the uploaded files) lives in $FINETUNE_HOME/server; training
        runs in $FINETUNE_HOME/runs/<job id>. SIGTERM or Ctrl-C lets a running job finish its step
        and checkpoint; it continues when the server starts again.
        """
    )

    @Option(help: "Address to listen on (127.0.0.1 keeps the server on this machine).")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free one).")
    var port = 8089

    @Option(name: .customLong("api-key"), help: ArgumentHelp(
        "An API key clients must send as 'Authorization: Bearer KEY' (repeatable; also FINETUNE_API_KEYS, comma-separated).",
        valueName: "key"))
    var apiKeys: [String] = []

    @Option(help: "Jobs that train at the same time; the others wait in the queue.")
    var maxJobs = 1

    @Option(help: "Largest file upload, in MB.")
    var maxUploadMb = 512

    @Option(help: "Compute threads per training job (default: every core).")
    var threads: Int?

    @Option(help: "Compute threads for chat completions (default: half the cores).")
    var inferenceThreads: Int?

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535, got \(port).") }
        guard maxJobs >= 1 else { throw ValidationError("--max-jobs must be at least 1, got \(maxJobs).") }
        guard maxUploadMb >= 1 else { throw ValidationError("--max-upload-mb must be at least 1, got \(maxUploadMb).") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads).") }
        if let inferenceThreads, inferenceThreads < 1 {
            throw ValidationError("--inference-threads must be at least 1, got \(inferenceThreads).")
        }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        var configuration = ServerConfiguration(home: FinetuneHome(environment: environment))
        configuration.host = host
        configuration.port = port
        configuration.apiKeys = Set(apiKeys + Self.keys(fromEnvironment: environment["FINETUNE_API_KEYS"]))
        configuration.maxConcurrentJobs = maxJobs
        configuration.maxUploadBytes = maxUploadMb << 20
        configuration.threads = threads ?? ThreadPool.defaultThreadCount
        if let inferenceThreads { configuration.inferenceThreads = inferenceThreads }
        var logger = Logger(label: "finetune.serve")
        logger.logLevel = .info
        let keyed = !configuration.apiKeys.isEmpty
        let app = try await buildApplication(configuration: configuration, logger: logger) { url in
            Console.out("finetune serve: listening on \(url)")
            Console.err("OpenAI SDK: OpenAI(base_url=\"\(url)/v1\", api_key=\(keyed ? "<one of your keys>" : "\"sk-local\"")); "
                        + (keyed ? "requests need a key" : "no key required (add --api-key to require one)"))
        }
        try await app.runService()
    }

    /// Keys from `FINETUNE_API_KEYS`: comma- or whitespace-separated.
    static func keys(fromEnvironment value: String?) -> [String] {
        (value ?? "").split(whereSeparator: { $0 == "," || $0.isWhitespace }).map(String.init)
    }
}
