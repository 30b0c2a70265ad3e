import Foundation
import Testing

/// Sixteen small chat examples (the PEFT reference's).
private let examplesPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../LoRATrainingTests/Fixtures/reference_examples.jsonl").standardizedFileURL.path

@Suite("finetune train on SmolLM2", .serialized, .needsRealModel)
struct TrainCLITests {
    let model = CLI.realModel ?? ""

    func temporaryHome() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("finetune-train-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// 1 epoch of 16 examples, 2 per step: 8 steps, a checkpoint every 2.
    var arguments: [String] {
        ["train", examplesPath, "--model", model, "--epochs", "1", "--batch-size", "2", "--learning-rate", "1e-3",
         "--checkpoint-every", "2", "--eval-every", "100", "--lora-rank", "4", "--lora-dropout", "0.1", "--threads", "2",
         "--precision", "fp32", "--seed", "5"]
    }

    func onlyRun(in home: URL) throws -> URL {
        let runs = home.appendingPathComponent("runs")
        let names = try FileManager.default.contentsOfDirectory(atPath: runs.path).filter { !$0.hasPrefix(".") }
        try #require(names.count == 1, "runs: \(names)")
        return runs.appendingPathComponent(names[0])
    }

    func summary(_ run: URL) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("summary.json"))) as? [String: Any])
    }

    @Test("a run killed with SIGKILL and resumed ends with the same loss and adapter as an uninterrupted run")
    func resumeAfterKill() throws {
        // Uninterrupted.
        let homeA = try temporaryHome()
        defer { try? FileManager.default.removeItem(at: homeA) }
        let straight = try CLI.run(arguments, environment: ["FINETUNE_HOME": homeA.path])
        #expect(straight.status == 0, "\(straight.stderr)")
        let runA = try onlyRun(in: homeA)
        let lossA = try #require(try summary(runA)["final_train_loss"] as? Double)

        // Killed after its second checkpoint (step 4), then resumed.
        let homeB = try temporaryHome()
        defer { try? FileManager.default.removeItem(at: homeB) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["FINETUNE_HOME"] = homeB.path
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(300)
        var killedAt: String?
        while Date() < deadline, process.isRunning {
            if let runs = try? FileManager.default.contentsOfDirectory(atPath: homeB.appendingPathComponent("runs").path),
               let name = runs.first(where: { !$0.hasPrefix(".") }) {
                let latest = homeB.appendingPathComponent("runs/\(name)/checkpoints/latest")
                if let text = try? String(contentsOf: latest, encoding: .utf8), text >= "step-000004" {
                    kill(process.processIdentifier, SIGKILL)
                    killedAt = text
                    break
                }
            }
            usleep(20_000)
        }
        process.waitUntilExit()
        try #require(killedAt != nil, "the run ended before it could be killed")
        #expect(process.terminationReason == .uncaughtSignal)
        let runB = try onlyRun(in: homeB)
        #expect(!FileManager.default.fileExists(atPath: runB.appendingPathComponent("summary.json").path))

        let resumed = try CLI.run(["train", "--resume", runB.lastPathComponent], environment: ["FINETUNE_HOME": homeB.path])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("Resuming at step"))
        let lossB = try #require(try summary(runB)["final_train_loss"] as? Double)
        #expect(lossA == lossB, "uninterrupted \(lossA) vs resumed \(lossB)")
        let adapterA = try Data(contentsOf: runA.appendingPathComponent("adapter/adapter_model.safetensors"))
        let adapterB = try Data(contentsOf: runB.appendingPathComponent("adapter/adapter_model.safetensors"))
        #expect(adapterA == adapterB, "the resumed run's adapter differs from the uninterrupted run's")
        // The metrics log has each step once.
        let steps = try String(contentsOf: runB.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
            .split(separator: "\n").filter { $0.contains("\"train_loss\"") }
        #expect(steps.count == 8)
    }

    @Test("a local run keeps its record: the reference fields, every step's loss, the data's SHA-256, the model")
    func localRunRecord() throws {
        let home = try temporaryHome()
        defer { try? FileManager.default.removeItem(at: home) }
        let runs = home.appendingPathComponent("records")
        let result = try CLI.run(["train", examplesPath, "--model", model, "--epochs", "1", "--batch-size", "4", "--threads", "2",
                                  "--suffix", "rec", "--name", "recorded", "--runs-dir", runs.path, "--wandb-project", "p"],
                                 environment: ["FINETUNE_HOME": home.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("Weights & Biases logging needs a hosted provider"))
        let files = try FileManager.default.contentsOfDirectory(atPath: runs.path).filter { $0.hasSuffix(".json") }
        try #require(files.count == 1, "\(files)")
        #expect(files[0].hasPrefix("recorded_finetune_"))
        let record = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: runs.appendingPathComponent(files[0]))) as? [String: Any])
        for field in ["job_id", "status", "output_name", "base_model", "created_at", "finished_at", "hyperparameters",
                      "training_file_id", "timestamp", "training_stats", "training_parameters", "provider", "datasets",
                      "metrics", "checkpoints", "cost", "finetune_version"] {
            #expect(record[field] != nil, "the record lacks \(field)")
        }
        #expect(record["status"] as? String == "succeeded")
        #expect(record["provider"] as? String == "local")
        let output = try #require(record["output_name"] as? String)
        #expect(output.hasPrefix("ft:") && output.contains(":rec:"))
        #expect(result.stderr.contains("Fine-tuned model: \(output)"))
        let metrics = try #require(record["metrics"] as? [[String: Any]])
        #expect(metrics.filter { $0["train_loss"] != nil }.map { $0["step"] as? Int } == [1, 2, 3, 4])
        let datasets = try #require(record["datasets"] as? [[String: Any]])
        let digest = try #require(datasets.first?["sha256"] as? String)
        #expect(digest.count == 64)
        let stats = try #require(record["training_stats"] as? [String: Any])
        #expect(stats["processed_conversations"] as? Int == 16)
        #expect((record["cost"] as? [String: Any])?["estimated_usd"] as? Double == 0)
        let shown = try CLI.run(["runs", "show", "recorded", "--runs-dir", runs.path])
        #expect(shown.status == 0)
        #expect(shown.stdout.contains(output))
        #expect(shown.stdout.contains("• training loss"))

        // The run evaluated by its name against its base, then its report: the reference template's
        // sections in order, filled from the record and the evaluation.
        let test = home.appendingPathComponent("test.jsonl")
        let firstThree = try String(contentsOfFile: examplesPath, encoding: .utf8).split(separator: "\n").prefix(3).joined(separator: "\n")
        try Data((firstThree + "\n").utf8).write(to: test)
        let evaluated = try CLI.run(["eval", "recorded", "--test", test.path, "--baseline", model, "--max-tokens", "8",
                                     "--threads", "2", "--runs-dir", runs.path], environment: ["FINETUNE_HOME": home.path])
        #expect(evaluated.status == 0, "\(evaluated.stderr)")
        #expect(evaluated.stdout.contains("AFTER: \(output.prefix(30))"))     // the column shows its first 39 characters
        let reported = try CLI.run(["report", "recorded", "--runs-dir", runs.path], environment: ["FINETUNE_HOME": home.path])
        #expect(reported.status == 0, "\(reported.stderr)")
        let reportFolder = runs.appendingPathComponent("reports").appendingPathComponent(String(files[0].dropLast(5)))
        let markdown = try String(contentsOf: reportFolder.appendingPathComponent("report.md"), encoding: .utf8)
        var position = markdown.startIndex
        for heading in ["## Experiment Overview", "## Objective", "## Dataset Information", "## Training Parameters",
                        "## Training Process", "## Evaluation", "### Quantitative Metrics", "### Qualitative Evaluation",
                        "### Comparison Analysis", "## Observations", "## Conclusions", "## Next Steps", "## Resources"] {
            let found = try #require(markdown.range(of: heading, range: position..<markdown.endIndex), "\(heading) missing or out of order")
            position = found.upperBound
        }
        #expect(markdown.contains("| Metric | Pre-Tuning Score | Post-Tuning Score | Improvement |"))
        #expect(markdown.contains(output))
        #expect(markdown.contains("![Training and validation loss](loss.svg)"))
        let html = try String(contentsOf: reportFolder.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.contains("<svg") && !html.contains("<script"))
    }

    @Test("an exploding loss stops the run with a clear message and the last good checkpoint intact")
    func divergenceStops() throws {
        let home = try temporaryHome()
        defer { try? FileManager.default.removeItem(at: home) }
        let run = home.appendingPathComponent("diverging")
        let result = try CLI.run(["train", examplesPath, "--model", model, "--learning-rate", "0.9", "--max-grad-norm", "0",
                                  "--warmup-ratio", "0", "--batch-size", "2", "--epochs", "1", "--checkpoint-every", "1",
                                  "--precision", "fp32", "--threads", "2", "--output", run.path],
                                 environment: ["FINETUNE_HOME": home.path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("Training diverged at step 2: the loss exploded"), "\(result.stderr)")
        #expect(result.stderr.contains("Lower --learning-rate"))
        let latest = try String(contentsOf: run.appendingPathComponent("checkpoints/latest"), encoding: .utf8)
        #expect(latest == "step-000001")
        #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent("checkpoints/step-000001/adapter_model.safetensors").path))
        #expect(!FileManager.default.fileExists(atPath: run.appendingPathComponent("adapter").path))
    }

    @Test("data that fails validation stops before training with the validator's messages")
    func badDataStops() throws {
        let home = try temporaryHome()
        defer { try? FileManager.default.removeItem(at: home) }
        let bad = home.appendingPathComponent("bad.jsonl")
        try "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}\nnot json\n".write(to: bad, atomically: true, encoding: .utf8)
        let result = try CLI.run(["train", bad.path, "--model", model], environment: ["FINETUNE_HOME": home.path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("bad.jsonl:2"), "\(result.stderr)")
        #expect(result.stderr.contains("nothing was trained"))
        #expect(!FileManager.default.fileExists(atPath: home.appendingPathComponent("runs").path))
    }

    @Test("--show-mask prints the rendered example with only the assistant's answer marked")
    func showMask() throws {
        let result = try CLI.run(["train", examplesPath, "--model", model, "--show-mask"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("<|im_start|>assistant\n[[Price]][[ is]]"), "\(result.stdout)")
        #expect(result.stdout.contains("[[<|im_end|>]]"))
        #expect(!result.stdout.contains("[[<|im_start|>"))
    }
}
