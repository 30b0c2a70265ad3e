import Foundation
import Testing

/// `finetune eval`, `report` and `runs leaderboard` through the real binary on SmolLM2.
@Suite("finetune eval and report on SmolLM2", .needsRealModel)
struct EvalCLITests {
    let model = CLI.realModel ?? ""
    let system = "You estimate prices of items. Reply only with the price, no explanation."

    func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("finetune-eval-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Three priced items as chat examples ending in the expected answer.
    func writeTestSet(in folder: URL) throws -> URL {
        let items = [("Lumetrix Webcam", "108.49"), ("Ovenry Cutting Board, Charcoal", "28.99"), ("Apex Running Shoes", "48.95")]
        let lines = try items.map { title, price in
            let example: [String: Any] = ["messages": [
                ["role": "system", "content": system],
                ["role": "user", "content": "How much does this cost to the nearest dollar?\n\n\(title)"],
                ["role": "assistant", "content": "Price is $\(price)"],
            ]]
            return String(decoding: try JSONSerialization.data(withJSONObject: example, options: [.sortedKeys]), as: UTF8.self)
        }
        let url = folder.appendingPathComponent("test.jsonl")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: url)
        return url
    }

    func onlyEvaluation(in runs: URL) throws -> (folder: URL, record: [String: Any], lines: [[String: Any]]) {
        let evals = runs.appendingPathComponent("evals")
        let names = try FileManager.default.contentsOfDirectory(atPath: evals.path).filter { !$0.hasPrefix(".") }
        try #require(names.count == 1, "evaluations: \(names)")
        let folder = evals.appendingPathComponent(names[0])
        let record = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("evaluation.json"))) as? [String: Any])
        let lines = try String(contentsOf: folder.appendingPathComponent("examples.jsonl"), encoding: .utf8)
            .split(separator: "\n").map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        return (folder, record, lines)
    }

    @Test("an adapter against its base: both answer every example as `chat --temperature 0` does, scored and compared")
    func adapterAgainstBase() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let adapter = folder.appendingPathComponent("adapter")
        try TestAdapter.writePEFT(to: adapter)
        let test = try writeTestSet(in: folder)
        let runs = folder.appendingPathComponent("runs")
        let result = try CLI.run(["eval", model, "--adapter", adapter.path, "--baseline", model, "--test", test.path,
                                  "--max-tokens", "12", "--threads", "2", "--runs-dir", runs.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("METRIC"))
        #expect(result.stdout.contains("BEFORE:") && result.stdout.contains("AFTER:") && result.stdout.contains("IMPROVEMENT"))
        for name in ["MAE", "RMSE", "MAPE", "Within 10%", "Exact match", "Format"] {
            #expect(result.stdout.contains(name), "the table lacks \(name)")
        }
        #expect(result.stdout.contains("Flipped:"))

        let (evaluation, record, lines) = try onlyEvaluation(in: runs)
        #expect(record["task"] as? String == "numeric")
        let test_ = try #require(record["test"] as? [String: Any])
        #expect(test_["examples"] as? Int == 3)
        #expect((test_["sha256"] as? String)?.count == 64)
        let comparison = try #require(record["comparison"] as? [[String: Any]])
        #expect(comparison.map { $0["key"] as? String } == ["mae", "rmse", "mape", "within_10%", "exact", "format"])
        #expect(lines.count == 3)
        #expect(FileManager.default.fileExists(atPath: evaluation.appendingPathComponent("scatter-model.svg").path))
        #expect(FileManager.default.fileExists(atPath: evaluation.appendingPathComponent("scatter-baseline.svg").path))

        // Deterministic decoding with the example's own system and user messages: the baseline's
        // answer to the first example is what `finetune chat` says at temperature 0.
        let first = try #require(lines.first)
        let prompt = try #require(first["prompt"] as? [[String: Any]])
        let user = try #require(prompt.last?["content"] as? String)
        let chat = try CLI.run(["chat", model, "--system", system, "--temperature", "0", "--max-tokens", "12", "--quiet",
                                "--threads", "2", user])
        #expect(chat.status == 0, "\(chat.stderr)")
        let baselineAnswer = try #require((first["baseline"] as? [String: Any])?["answer"] as? String)
        #expect(baselineAnswer == chat.stdout.trimmingCharacters(in: .newlines))
        let adapted = try CLI.run(["chat", model, "--adapter", adapter.path, "--system", system, "--temperature", "0",
                                   "--max-tokens", "12", "--quiet", "--threads", "2", user])
        let modelAnswer = try #require((first["model"] as? [String: Any])?["answer"] as? String)
        #expect(modelAnswer == adapted.stdout.trimmingCharacters(in: .newlines))
        #expect(modelAnswer != baselineAnswer, "the random adapter should change the answer")

        // The leaderboard ranks both on that test set.
        let board = try CLI.run(["runs", "leaderboard", "--runs-dir", runs.path])
        #expect(board.status == 0, "\(board.stderr)")
        #expect(board.stdout.contains("ranked by MAE (lower is better)"))
        #expect(board.stdout.contains("(baseline)"))
        let json = try CLI.run(["runs", "leaderboard", "--runs-dir", runs.path, "--metric", "format", "--json"])
        let groups = try #require(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(groups.count == 1)
        #expect(groups.first?["metric"] as? String == "format")
        #expect((groups.first?["rows"] as? [Any])?.count == 2)
    }

    @Test("bad input: a test example without an answer names its line; an unknown metric lists the names")
    func badInput() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let test = folder.appendingPathComponent("bad.jsonl")
        try Data(("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"},{\"role\":\"assistant\",\"content\":\"Hello\"}]}\n"
                  + "{\"messages\":[{\"role\":\"user\",\"content\":\"No answer here\"}]}\n").utf8).write(to: test)
        let result = try CLI.run(["eval", model, "--test", test.path, "--runs-dir", folder.path])
        #expect(result.status == 2)
        #expect(result.stderr.contains("bad.jsonl:2"), "\(result.stderr)")
        #expect(result.stderr.contains("assistant"))

        let good = try writeTestSet(in: folder)
        let metric = try CLI.run(["eval", model, "--test", good.path, "--metric", "accurracy", "--runs-dir", folder.path])
        #expect(metric.status == 2)
        #expect(metric.stderr.contains("accurracy") && metric.stderr.contains("mae"), "\(metric.stderr)")
        // An MLflow server that cannot be reached stops the command before any model is asked.
        let tracking = try CLI.run(["eval", model, "--test", good.path, "--runs-dir", folder.path, "--mlflow", "http://127.0.0.1:9"])
        #expect(tracking.status == 1)
        #expect(tracking.stderr.contains("cannot reach the MLflow server") && tracking.stderr.contains("127.0.0.1:9"), "\(tracking.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("evals").path))
    }
}
