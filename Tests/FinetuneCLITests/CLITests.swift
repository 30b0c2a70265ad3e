import Foundation
import Testing

/// Runs the real `finetune` binary, built next to the test bundle, and captures what it prints.
enum CLI {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static var binary: String {
        if let path = ProcessInfo.processInfo.environment["FINETUNE_BIN"] { return path }
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("finetune").path
    }

    /// The real SmolLM2 file when present (`make test` pulls it into the finetune home):
    /// $FINETUNE_TEST_MODEL, else models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf in
    /// $FINETUNE_HOME (default ~/.cache/finetune).
    static var realModel: String? {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["FINETUNE_TEST_MODEL"] { return path }
        let home = environment["FINETUNE_HOME"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/finetune")
        let path = home.appendingPathComponent("models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf").path
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static func fixture(_ name: String) -> String {
        repositoryRoot.appendingPathComponent("Tests/ChatDatasetTests/Fixtures/\(name)").path
    }

    /// Where the CLI tests' `finetune train` runs leave their run records.
    static let runsDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("finetune-cli-runs-\(UUID().uuidString)").path

    /// - Parameters:
    ///   - input: bytes for standard input (default: none, as from /dev/null).
    ///   - environment: variables added to the test's own environment.
    static func run(_ arguments: [String], in directory: String? = nil, input: Data? = nil,
                    environment extra: [String: String] = [:]) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = "1"
        // Run records go to a folder of the test run's, never to ./runs of the checkout.
        environment["FINETUNE_RUNS_DIR"] = runsDirectory
        environment.merge(extra) { _, new in new }
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let stdin = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : stdin
        try process.run()
        if let input {
            stdin.fileHandleForWriting.write(input)
            try stdin.fileHandleForWriting.close()
        }
        // Read both pipes before waiting so a chatty process cannot block on a full pipe.
        let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
        let stderrData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus,
                      stdout: String(decoding: stdoutData, as: UTF8.self),
                      stderr: String(decoding: stderrData, as: UTF8.self))
    }

    static func scratchDirectory() throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("finetune-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }
}

extension Trait where Self == ConditionTrait {
    /// Runs a suite only when the real SmolLM2 model is present (`CLI.realModel`).
    static var needsRealModel: Self {
        .enabled(if: CLI.realModel != nil, "needs the SmolLM2 model (make test fetches it)")
    }
}

@Suite("finetune validate / stats / split, as a user runs them")
struct CLITests {
    @Test("a clean file exits 0 and says it is ready")
    func validateClean() throws {
        let result = try CLI.run(["validate", CLI.fixture("validate/clean.jsonl")])
        #expect(result.status == 0)
        #expect(result.stderr.contains("✓ ready for OpenAI: 0 errors, 0 warnings"))
    }

    @Test("errors exit 1 and are printed as FILE:LINE: error: field: message [code]")
    func validateErrors() throws {
        let path = CLI.fixture("validate/unknown-role.jsonl")
        let result = try CLI.run(["validate", path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("\(path):4: error: messages[0].role: unknown role \"bot\"; use one of system, developer, user, assistant, tool [unknown-role]"))
        #expect(result.stderr.contains("Token counts are estimated"))
    }

    @Test("warnings alone do not fail")
    func validateWarnings() throws {
        let result = try CLI.run(["validate", CLI.fixture("validate/duplicate-example.jsonl")])
        #expect(result.status == 0)
        #expect(result.stderr.contains(":6: warning: repeats the example on line 2"))
    }

    @Test("a file that cannot be read exits 2", arguments: ["/no/such/file.jsonl", "/tmp"])
    func validateUnreadable(_ path: String) throws {
        let result = try CLI.run(["validate", path])
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("finetune: error: cannot read \(path): "))
    }

    @Test("--json prints a machine-readable report on standard output")
    func validateJSON() throws {
        let result = try CLI.run(["validate", CLI.fixture("validate/invalid-weight.jsonl"), "--json"])
        #expect(result.status == 1)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(report["ok"] as? Bool == false)
        #expect(report["examples"] as? Int == 11)
        #expect((report["counts_by_code"] as? [String: Int])?["invalid-weight"] == 1)
        let findings = try #require(report["findings"] as? [[String: Any]])
        #expect(findings.first?["line"] as? Int == 4)
        #expect(findings.first?["field"] as? String == "messages[1].weight")
    }

    @Test("--provider together applies Together's rules")
    func validateTogether() throws {
        let result = try CLI.run(["validate", CLI.fixture("validate/invalid-turn-order.jsonl"), "--provider", "together"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("[invalid-turn-order]"))
        let bad = try CLI.run(["validate", CLI.fixture("validate/clean.jsonl"), "--provider", "azure"])
        #expect(bad.status == 64)
    }

    @Test("stats --json holds the training_stats block and cost estimates")
    func statsJSON() throws {
        let result = try CLI.run(["stats", CLI.fixture("validate/clean.jsonl"), "--json", "--epochs", "2"])
        #expect(result.status == 0)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let stats = try #require(report["training_stats"] as? [String: Int])
        #expect(stats == ["total_conversations": 10, "processed_conversations": 10, "skipped_conversations": 0,
                          "total_messages": 32, "training_messages": 11])
        #expect(report["epochs"] as? Int == 2)
        let costs = try #require(report["cost_estimates"] as? [[String: Any]])
        #expect(costs.count >= 3)
        #expect(costs.allSatisfy { ($0["billed_tokens"] as? Int) == 2 * (report["tokens_per_epoch"] as? Int ?? -1) })
    }

    @Test("stats prints a readable table")
    func statsTable() throws {
        let result = try CLI.run(["stats", CLI.fixture("validate/clean.jsonl")])
        #expect(result.status == 0)
        #expect(result.stdout.contains("  total_conversations                 10"))
        #expect(result.stdout.contains("Estimated training cost for 3 epochs"))
    }

    @Test("split writes the three files next to the input")
    func split() throws {
        let directory = try CLI.scratchDirectory()
        let input = directory + "/data.jsonl"
        try FileManager.default.copyItem(atPath: CLI.fixture("validate/clean.jsonl"), toPath: input)
        let result = try CLI.run(["split", input, "--valid", "0.2", "--test", "0.1", "--seed", "1"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("train           7"))
        for part in ["train", "valid", "test"] {
            #expect(FileManager.default.fileExists(atPath: "\(directory)/data_\(part).jsonl"))
        }
        let refused = try CLI.run(["split", input, "--valid", "0.6", "--test", "0.5"])
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("leave nothing for training"))
    }
}

@Suite("finetune prepare, and the README's example end to end")
struct PrepareCLITests {
    @Test("the example dataset becomes chat JSONL that validates clean, with every skip reported")
    func examplePipeline() throws {
        let directory = try CLI.scratchDirectory()
        let root = CLI.repositoryRoot.path
        let output = directory + "/pricer.jsonl"
        let prepared = try CLI.run(["prepare", root + "/examples/pricer/items.csv",
                                    "--template", root + "/examples/pricer/template.yaml", "-o", output])
        #expect(prepared.status == 0, "\(prepared.stderr)")
        #expect(prepared.stderr.contains("Prepared 394 examples from 400 records"))
        #expect(prepared.stderr.contains("skipped 3: empty value for 'price' (lines 44, 194, 342)"))
        #expect(prepared.stderr.contains("skipped 2: empty value for 'description' (lines 100, 257)"))
        #expect(prepared.stderr.contains("skipped 1: filtered out by --where 'price > 0' (line 382)"))

        let validated = try CLI.run(["validate", output])
        #expect(validated.status == 0)
        #expect(validated.stderr.contains("394 examples, 394 usable"))

        let stats = try CLI.run(["stats", output, "--json"])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [String: Any])
        let training = try #require(report["training_stats"] as? [String: Int])
        #expect(training["processed_conversations"] == 394)
        #expect(training["training_messages"] == 394)
        #expect(training["total_messages"] == 3 * 394)
    }

    @Test("a truncated CSV stops with the file and line, and writes nothing")
    func unterminatedCSV() throws {
        let directory = try CLI.scratchDirectory()
        let output = directory + "/out.jsonl"
        let result = try CLI.run(["prepare", CLI.fixture("prepare/unterminated.csv"), "-o", output,
                                  "--user", "{{title}}", "--assistant", "{{price}}"])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("finetune: error: \(CLI.fixture("prepare/unterminated.csv")):"))
        #expect(result.stderr.contains("never closed"))
        #expect(!FileManager.default.fileExists(atPath: output))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
    }

    @Test("missing templates are refused with a sentence saying what to give")
    func missingTemplate() throws {
        let result = try CLI.run(["prepare", CLI.fixture("prepare/items.csv"), "-o", "/tmp/x.jsonl"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("give --template FILE.yaml, or --user and --assistant templates"))
    }
}
