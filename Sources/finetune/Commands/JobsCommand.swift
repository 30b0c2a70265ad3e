import ArgumentParser
import ChatDataset
import FineTuningProviders
import Foundation
import OpenAIAPI


/// `finetune upload FILE`: checks a chat JSONL file with the provider's rules and uploads it.
struct UploadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upload",
        abstract: "Upload a chat JSONL file for fine-tuning (checked with the provider's rules first); prints its id.",
        discussion: "For --provider local the file goes to a `finetune serve` (default http://127.0.0.1:8089/v1)."
    )

    @Argument(help: "The chat JSONL file.")
    var file: String

    @OptionGroup(title: "Provider") var connection: ProviderConnection

    @Flag(help: "Print the file object as JSON.")
    var json = false

    func run() async throws {
        try TrainCommand.checkData(file, role: "upload", provider: Provider(rawValue: connection.provider.rawValue) ?? .local)
        let provider = try connection.jobsProvider()
        let url = URL(fileURLWithPath: file).standardizedFileURL
        let bar = ProgressBar(label: "uploading \(url.lastPathComponent)")
        let box = ProgressBox(bar)
        let uploaded = try await connection.call {
            try await provider.upload(url) { sent, total in box.update(sent, total) }
        }
        bar.finish()
        if json { try Console.printJSON(uploaded); return }
        Console.err("Uploaded \(url.lastPathComponent) (\(uploaded.bytes.grouped) bytes)" + (uploaded.status.map { ": \($0)" } ?? ""))
        Console.out(uploaded.id)
    }
}

/// `finetune jobs …`: the job lifecycle on any provider.
struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "Create, list, inspect, follow, cancel, pause and resume fine-tuning jobs.",
        discussion: """
        Every subcommand takes --provider local|openai|together (and --base-url, --api-key). For local, the jobs \
        are those of a `finetune serve` (default http://127.0.0.1:8089/v1); `finetune train` without --base-url \
        trains in its own process instead.
        """,
        subcommands: [Create.self, List.self, Get.self, Events.self, Cancel.self, Pause.self, Resume.self, Checkpoints.self, Download.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a job on an uploaded training file; prints its id.")

        @Argument(help: "The training file's id (`finetune upload`).")
        var trainingFile: String

        @Option(help: "The base model.")
        var model: String

        @Option(name: .customLong("validation-file"), help: "The validation file's id.")
        var validationFile: String?

        @Option(help: "Passes over the data.")
        var epochs: Int?

        @Option(name: .customLong("learning-rate"), help: "Absolute learning rate (Together).")
        var learningRate: Double?

        @Option(name: .customLong("learning-rate-multiplier"), help: "Learning-rate multiplier (OpenAI, finetune serve).")
        var learningRateMultiplier: Double?

        @Option(name: .customLong("batch-size"), help: "A number, auto, or max (Together).")
        var batchSize: BatchSizeChoice = .auto

        @Flag(inversion: .prefixedNo, help: "Together: LoRA or full fine-tuning.")
        var lora: Bool?

        @Option(name: .customLong("lora-rank"), help: "Together: the LoRA rank.")
        var loraRank: Int?

        @Option(help: "A word in the fine-tuned model's name.")
        var suffix: String?

        @Option(help: "Random seed.")
        var seed: Int?

        @Option(name: .customLong("wandb-project"), help: "Weights & Biases project.")
        var wandbProject: String?

        @Option(name: .customLong("wandb-name"), help: "Weights & Biases run name.")
        var wandbName: String?

        @OptionGroup(title: "Provider") var connection: ProviderConnection

        @Flag(help: "Print the job as JSON.")
        var json = false

        func run() async throws {
            let provider = try connection.jobsProvider()
            let request = JobRequest(
                model: model, trainingFile: trainingFile, validationFile: validationFile, epochs: epochs, learningRate: learningRate,
                learningRateMultiplier: learningRateMultiplier, batchSize: batchSize,
                lora: loraRank.map { LoRARequest(rank: $0) }, useLoRA: lora, suffix: suffix, seed: seed,
                wandb: wandbProject.map { WandbRequest(project: $0, name: wandbName, apiKey: ProcessInfo.processInfo.environment["WANDB_API_KEY"]) })
            let job = try await connection.call { try await provider.createJob(request) }
            if json { try Console.printJSON(job); return }
            Console.err("Created \(job.id): \(job.status.rawValue). Follow it: finetune jobs events \(job.id) --follow \(connection.commandLineFlags)")
            Console.out(job.id)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List jobs, newest first.")

        @Option(help: "Most jobs to list.")
        var limit = 20

        @OptionGroup(title: "Provider") var connection: ProviderConnection

        @Flag(help: "Print the jobs as JSON.")
        var json = false

        func run() async throws {
            let provider = try connection.jobsProvider()
            let jobs = try await connection.call { try await provider.jobs(limit: limit) }
            if json { try Console.printJSON(jobs); return }
            if jobs.isEmpty { Console.err("No jobs on \(connection.provider.displayName) (\(provider.location))."); return }
            let rows = jobs.map { job in
                [job.id, job.status.rawValue, job.model, job.fineTunedModel ?? "-", job.createdAt.map(JobsCommand.shortDate) ?? "-"]
            }
            Table.print([["ID", "STATUS", "MODEL", "FINE-TUNED MODEL", "CREATED"]] + rows)
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one job.")

        @Argument(help: "The job's id.")
        var id: String

        @OptionGroup(title: "Provider") var connection: ProviderConnection

        @Flag(help: "Print the job as JSON.")
        var json = false

        func run() async throws {
            let provider = try connection.jobsProvider()
            let job = try await connection.call { try await provider.job(id) }
            if json { try Console.printJSON(job); return }
            JobsCommand.describe(job)
        }
    }

    struct Events: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a job's events, oldest first; --follow keeps watching until the job ends.",
            discussion: "Following also updates the job's run record (if `finetune train` made one in the runs folder), so a re-attached monitor leaves a true record."
        )

        @Argument(help: "The job's id.")
        var id: String

        @Flag(help: "Keep watching: new events, a progress bar with ETA and the loss, until the job ends (Ctrl-C stops watching).")
        var follow = false

        @Option(help: ArgumentHelp("Print only the events after this event id.", valueName: "event-id"))
        var after: String?

        @Option(name: .customLong("check-interval"), help: ArgumentHelp("Seconds between looks at the job when following.", valueName: "seconds"))
        var checkInterval: Double = 10

        @Option(name: .customLong("runs-dir"), help: ArgumentHelp("Where run records are (default: FINETUNE_RUNS_DIR, else ./runs).", valueName: "dir"))
        var runsDir: String?

        @OptionGroup(title: "Provider") var connection: ProviderConnection

        @Flag(help: "Print the events as JSON (without --follow).")
        var json = false

        func validate() throws {
            guard checkInterval > 0 else { throw ValidationError("--check-interval must be more than 0 seconds.") }
            if json && follow { throw ValidationError("--json prints the events once; drop --follow.") }
        }

        func run() async throws {
            let provider = try connection.jobsProvider()
            guard follow else {
                let events = try await connection.call { try await provider.events(id, after: after) }
                if json { try Console.printJSON(events); return }
                for event in events { Console.out(JobsCommand.format(event)) }
                return
            }
            let store = ExperimentRecordStore(explicit: runsDir)
            let keeper = store.list().records.last { $0.record.jobID == id }.map {
                RecordKeeper(store: store, url: $0.url, record: $0.record)
            }
            if let keeper { Console.err("Updating the run record \(keeper.url.path)") }
            let (outcome, view) = try await connection.call {
                try await JobFollower(provider: provider, interval: .seconds(checkInterval), keeper: keeper).follow(id, after: after)
            }
            switch outcome {
            case .interrupted:
                Console.err("Stopped watching; the job keeps running. Re-attach with:  finetune jobs events \(id) --follow \(connection.commandLineFlags)")
                throw ExitCode(130)
            case .finished(let job):
                let chart = view.finalChart()
                if !chart.isEmpty { Console.err(""); for line in chart { Console.err(line) } }
                JobsCommand.describe(job)
                if job.status != .succeeded { throw ExitCode(1) }
            }
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel a job.")
        @Argument(help: "The job's id.") var id: String
        @OptionGroup(title: "Provider") var connection: ProviderConnection

        func run() async throws {
            let provider = try connection.jobsProvider()
            let job = try await connection.call { try await provider.cancel(id) }
            Console.err("\(job.id): \(job.status.rawValue)")
        }
    }

    struct Pause: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Pause a running job (OpenAI, finetune serve).")
        @Argument(help: "The job's id.") var id: String
        @OptionGroup(title: "Provider") var connection: ProviderConnection

        func run() async throws {
            let provider = try connection.jobsProvider()
            let job = try await connection.call { try await provider.pause(id) }
            Console.err("\(job.id): \(job.status.rawValue). Resume it: finetune jobs resume \(job.id) \(connection.commandLineFlags)")
        }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Resume a paused job.")
        @Argument(help: "The job's id.") var id: String
        @OptionGroup(title: "Provider") var connection: ProviderConnection

        func run() async throws {
            let provider = try connection.jobsProvider()
            let job = try await connection.call { try await provider.resume(id) }
            Console.err("\(job.id): \(job.status.rawValue)")
        }
    }

    struct Checkpoints: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a job's checkpoints, newest first.")
        @Argument(help: "The job's id.") var id: String
        @OptionGroup(title: "Provider") var connection: ProviderConnection
        @Flag(help: "Print the checkpoints as JSON.") var json = false

        func run() async throws {
            let provider = try connection.jobsProvider()
            let checkpoints = try await connection.call { try await provider.checkpoints(id) }
            if json { try Console.printJSON(checkpoints); return }
            if checkpoints.isEmpty { Console.err("Job \(id) has no checkpoints yet."); return }
            let rows = checkpoints.map { checkpoint in
                [String(checkpoint.step), checkpoint.metrics?.trainLoss.map { String(format: "%.4f", $0) } ?? "-",
                 checkpoint.metrics?.bestValidLoss.map { String(format: "%.4f", $0) } ?? "-",
                 checkpoint.model ?? checkpoint.path ?? checkpoint.id]
            }
            Table.print([["STEP", "TRAIN LOSS", "VALID LOSS", "MODEL"]] + rows)
        }
    }

    struct Download: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download a Together job's weights (the LoRA adapter, or the merged model) as an archive.",
            discussion: "OpenAI keeps fine-tuned weights to itself; a local run's adapter is in its run folder (`finetune export`).")
        @Argument(help: "The job's id.") var id: String
        @Option(help: "adapter or merged.") var checkpoint = "adapter"
        @Option(help: "A checkpoint's step (default: the final weights).") var step: Int?
        @Option(name: .shortAndLong, help: "Where to write the archive (default: <job id>-<checkpoint>.tar.zst).") var output: String?
        @OptionGroup(title: "Provider") var connection: ProviderConnection

        func validate() throws {
            guard ["adapter", "merged"].contains(checkpoint) else { throw ValidationError("--checkpoint must be adapter or merged.") }
        }

        func run() async throws {
            guard connection.provider == .together, let together = try connection.jobsProvider() as? TogetherProvider else {
                Console.err(Console.paint("finetune: error: only Together lets you download weights; OpenAI keeps them, and a local run's "
                                          + "adapter is already in its run folder (see `finetune export`)", .red))
                throw ExitCode(1)
            }
            let destination = URL(fileURLWithPath: output ?? "\(id)-\(checkpoint).tar.zst")
            let bar = ProgressBar(label: "downloading \(destination.lastPathComponent)")
            let box = ProgressBox(bar)
            let bytes = try await connection.call {
                try await together.download(jobID: id, checkpoint: checkpoint, step: step, to: destination) { done, total in
                    box.update(done, total ?? 0)
                }
            }
            bar.finish()
            Console.err("Wrote \(destination.path) (\(bytes.grouped) bytes)")
        }
    }

    /// A job in a few lines on standard output.
    static func describe(_ job: JobSnapshot) {
        var lines = ["job:        \(job.id)", "status:     \(job.status.rawValue)" + (job.providerStatus != job.status.rawValue ? " (\(job.providerStatus))" : ""),
                     "model:      \(job.model)"]
        if let model = job.fineTunedModel { lines.append("fine-tuned: \(model)") }
        if let created = job.createdAt { lines.append("created:    \(shortDate(created))") }
        if let finished = job.finishedAt { lines.append("finished:   \(shortDate(finished))") }
        if let file = job.trainingFile { lines.append("training:   \(file)") }
        if let file = job.validationFile { lines.append("validation: \(file)") }
        if !job.hyperparameters.isEmpty {
            lines.append("hyperparameters: " + job.hyperparameters.keys.sorted().map { "\($0)=\(JobsCommand.text(job.hyperparameters[$0]!))" }.joined(separator: ", "))
        }
        if let tokens = job.trainedTokens { lines.append("trained tokens: \(tokens.grouped)") }
        if let cost = job.costUSD { lines.append(String(format: "cost: $%.2f", cost)) }
        if let error = job.error { lines.append("error: " + (error.code.map { "\($0): " } ?? "") + error.message) }
        for line in lines { Console.out(line) }
    }

    static func format(_ event: JobEvent) -> String {
        "\(shortDate(event.createdAt))  \(event.level.padding(toLength: 5, withPad: " ", startingAt: 0))  \(event.message)"
    }

    static func shortDate(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: date)
    }

    static func text(_ value: OpenAIAPI.JSONValue) -> String {
        switch value {
        case .string(let text): text
        case .number(let number): number == number.rounded() && abs(number) < 1e15 ? String(Int(number)) : String(number)
        case .bool(let flag): String(flag)
        case .null: "null"
        case .array(let items): items.map(text).joined(separator: ",")
        case .object(let fields): "{" + fields.keys.sorted().map { "\($0)=\(text(fields[$0]!))" }.joined(separator: ", ") + "}"
        }
    }
}

/// Columns two spaces apart; the last column is not padded.
enum Table {
    /// `text` cut to `width` characters, the last one an ellipsis when it was longer.
    static func clip(_ text: String, _ width: Int = 40) -> String {
        text.count > width ? String(text.prefix(width - 1)) + "…" : text
    }

    /// - Parameter rightAligned: the columns (numbers) padded on the left.
    static func print(_ rows: [[String]], rightAligned: Set<Int> = []) {
        guard let first = rows.first else { return }
        let widths = first.indices.map { column in rows.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0 }
        for row in rows {
            let cells = row.indices.map { column -> String in
                let cell = row[column]
                if column == row.count - 1 { return cell }
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                return rightAligned.contains(column) ? padding + cell : cell + padding
            }
            Console.out(cells.joined(separator: "  "))
        }
    }
}
