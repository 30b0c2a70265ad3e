import FineTuningProviders
import Foundation
import Testing
@testable import Evaluation

@Suite("Evaluation records on disk")
struct EvaluationStoreTests {
    let mae = MetricSpec(kind: .mae)
    let within = MetricSpec(kind: .within, tolerance: .relative(0.1))

    @Test("new folders are unique, named <name>_eval_<timestamp>, under runs/evals")
    func newFolder() throws {
        let runs = try temporaryFolder("runs")
        let store = EvaluationStore(runsDirectory: runs)
        let date = Date(timeIntervalSince1970: 1_750_000_000)
        let first = try store.newFolder(name: "my model/v1", at: date)
        let second = try store.newFolder(name: "my model/v1", at: date)
        #expect(first.deletingLastPathComponent().standardizedFileURL == runs.appendingPathComponent("evals").standardizedFileURL)
        #expect(first.lastPathComponent.hasPrefix("my-model-v1_eval_2025"))
        #expect(second.lastPathComponent == first.lastPathComponent + "_2")
        var isDirectory: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: second.path, isDirectory: &isDirectory) && isDirectory.boolValue)
    }

    @Test("a record and its examples round-trip, with snake_case keys and readable tolerances")
    func roundTrip() throws {
        let store = EvaluationStore(runsDirectory: try temporaryFolder("runs"))
        let folder = try store.newFolder(name: "pricer")
        let (examples, modelScores) = try scores(expected: ["Price is $100", "Price is $50"], answers: ["Price is $90", nil], task: .numeric)
        let (_, baselineScores) = try scores(expected: ["Price is $100", "Price is $50"], answers: ["Price is $200", "Price is $50"], task: .numeric)
        let extractor = try AnswerExtractor(pattern: nil)
        let run = RunReference(name: "pricer", recordFile: "runs/pricer_finetune_20250101_120000.json", jobID: "ftjob-1")
        let model = Scoring.evaluate(model: "pricer", provider: "local", location: "this process", run: run, examples: examples,
                                     scores: modelScores, metrics: MetricSpec.defaults(for: .numeric), task: .numeric,
                                     extractor: extractor, seconds: 3.5)
        let baseline = Scoring.evaluate(model: "base", provider: "local", location: "this process", run: nil, examples: examples,
                                        scores: baselineScores, metrics: MetricSpec.defaults(for: .numeric), task: .numeric,
                                        extractor: extractor, seconds: 2.5)
        var record = evaluationRecord(name: "pricer", createdAt: "2025-01-02T10:00:00.000Z", model: model, baseline: baseline)
        record.flips = Comparison.flips(model: modelScores, baseline: baselineScores)
        record.files.charts = ["scatter-model.svg"]
        let lines = ExampleLine.lines(examples: examples, model: modelScores, baseline: baselineScores, task: .numeric, extractor: extractor)
        try store.write(record, examples: lines, to: folder)

        #expect(try EvaluationStore.read(folder) == record)
        #expect(try EvaluationStore.readExamples(folder) == lines)
        let json = try String(contentsOf: folder.appendingPathComponent("evaluation.json"), encoding: .utf8)
        for key in ["\"format_version\" : 1", "\"created_at\"", "\"higher_is_better\"", "\"record_file\"", "\"tolerance\" : \"10%\"",
                    "\"max_tokens\" : 32", "\"relative_improvement\"", "\"wrong_to_right\"", "\"task\" : \"numeric\""] {
            #expect(json.contains(key), "evaluation.json lacks \(key)")
        }
        let jsonl = try String(contentsOf: folder.appendingPathComponent("examples.jsonl"), encoding: .utf8)
        #expect(jsonl.split(separator: "\n").count == 2)
        #expect(jsonl.contains("\"expected_value\":100"))
        #expect(jsonl.contains("\"flip\":\"wrong_to_right\""))
        // No temporary files left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["evaluation.json", "examples.jsonl"])
    }

    @Test("listing is oldest first and sets unreadable folders apart with the reason")
    func listing() throws {
        let store = EvaluationStore(runsDirectory: try temporaryFolder("runs"))
        let newer = try store.newFolder(name: "a")
        let older = try store.newFolder(name: "b")
        try store.write(evaluationRecord(createdAt: "2025-03-01T10:00:00Z", model: modelEvaluation("new", [(mae, 1)])), examples: [], to: newer)
        try store.write(evaluationRecord(createdAt: "2025-02-01T10:00:00.500Z", model: modelEvaluation("old", [(mae, 2)])), examples: [], to: older)
        let broken = try store.newFolder(name: "c")
        try #"{"format_version": 1, "name": "x"}"#.write(to: broken.appendingPathComponent("evaluation.json"), atomically: true, encoding: .utf8)
        let empty = try store.newFolder(name: "d")

        let listed = store.list()
        #expect(listed.evaluations.map(\.record.model.model) == ["old", "new"])
        #expect(listed.unreadable.map(\.url.lastPathComponent) == [broken.lastPathComponent, empty.lastPathComponent])
        #expect(listed.unreadable[0].reason.contains("evaluation.json is not a finetune evaluation record: field '"))
        #expect(listed.unreadable[1].reason.contains("no evaluation.json"))
        #expect(EvaluationStore(runsDirectory: try temporaryFolder("none")).list().evaluations.isEmpty)
    }

    @Test("read errors name the file, the line and the field")
    func readErrors() throws {
        let folder = try temporaryFolder("bad")
        let missing = #expect(throws: EvaluationError.self) { try EvaluationStore.read(folder) }
        #expect(missing?.description.hasPrefix("cannot read \(folder.appendingPathComponent("evaluation.json").path)") == true)

        let store = EvaluationStore(runsDirectory: folder)
        let good = try store.newFolder(name: "x")
        try store.write(evaluationRecord(createdAt: "2025-03-01T10:00:00Z", model: modelEvaluation("m", [(mae, 1)])), examples: [], to: good)
        try "\n{\"index\": 0}\n".write(to: good.appendingPathComponent("examples.jsonl"), atomically: true, encoding: .utf8)
        let line = #expect(throws: EvaluationError.self) { try EvaluationStore.readExamples(good) }
        #expect(line?.description == "\(good.appendingPathComponent("examples.jsonl").path):2 is not a finetune evaluation record: field 'line' is missing")

        try #"{"format_version": 1, "name": 3}"#.write(to: good.appendingPathComponent("evaluation.json"), atomically: true, encoding: .utf8)
        let field = #expect(throws: EvaluationError.self) { try EvaluationStore.read(good) }
        #expect(field?.description.contains("evaluation.json is not a finetune evaluation record: field '") == true)
    }

    @Test("a run's evaluations: by record file, job id or model name")
    func evaluationsOfRun() throws {
        let runs = try temporaryFolder("runs")
        let store = EvaluationStore(runsDirectory: runs)
        let recordFile = runs.appendingPathComponent("pricer_finetune_20250101_120000.json")
        var run = ExperimentRecord(finetuneVersion: "0.1.0", name: "pricer", provider: .openai, location: "https://api.openai.com/v1",
                                   baseModel: "gpt-4o-mini")
        run.jobID = "ftjob-42"
        run.outputName = "ft:gpt-4o-mini:acme::abc"
        let byFile = RunReference(name: "pricer", recordFile: recordFile.path, jobID: nil)
        let byJob = RunReference(name: "renamed", recordFile: "/elsewhere/other.json", jobID: "ftjob-42")
        let cases: [(String, ModelEvaluation)] = [
            ("file", modelEvaluation("some-model", run: byFile, [(mae, 1)])),
            ("job", modelEvaluation("another", run: byJob, [(mae, 1)])),
            ("output", modelEvaluation("ft:gpt-4o-mini:acme::abc", provider: "openai", [(mae, 1)])),
            ("other", modelEvaluation("gpt-4o-mini", provider: "openai", [(mae, 1)])),
        ]
        for (index, (name, model)) in cases.enumerated() {
            let folder = try store.newFolder(name: name)
            try store.write(evaluationRecord(name: name, createdAt: "2025-01-0\(index + 1)T00:00:00Z", model: model,
                                             baseline: modelEvaluation("ft:gpt-4o-mini:acme::abc", [(mae, 2)])), examples: [], to: folder)
        }
        // The baseline being the run's model does not make "other" an evaluation of the run.
        #expect(store.evaluations(of: run, recordFile: recordFile).map(\.record.name) == ["file", "job", "output"])
    }
}
