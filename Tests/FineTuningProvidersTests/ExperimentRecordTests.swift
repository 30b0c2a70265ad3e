import Crypto
import Foundation
import OpenAIAPI
import Testing
@testable import FineTuningProviders

@Suite("run records: runs/<name>_finetune_<timestamp>.json")
struct ExperimentRecordTests {
    func temporaryStore() throws -> ExperimentRecordStore {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("finetune-records-\(UUID().uuidString)")
        return ExperimentRecordStore(directory: url)
    }

    func sampleRecord(name: String = "pricer") -> ExperimentRecord {
        var record = ExperimentRecord(finetuneVersion: "0.1.0", name: name, provider: .openai, location: "https://api.openai.com/v1",
                                      baseModel: "gpt-4o-mini-2024-07-18",
                                      trainingStats: .init(totalConversations: 10, processedConversations: 9, skippedConversations: 1,
                                                           totalMessages: 27, trainingMessages: 9),
                                      trainingParameters: ["n_epochs": 3, "batch_size": "auto", "max_conversations": nil],
                                      datasets: [.init(role: "train", path: "/data/train.jsonl", sha256: String(repeating: "a", count: 64), bytes: 100)],
                                      command: ["finetune", "train"])
        record.cost.estimatedUSD = 0.42
        return record
    }

    @Test("the reference file's fields are written with its names, and read back equal")
    func roundTrip() throws {
        let store = try temporaryStore()
        defer { try? FileManager.default.removeItem(at: store.directory) }
        var record = sampleRecord()
        record.apply(JobSnapshot(id: "ftjob-1", status: .succeeded, providerStatus: "succeeded", model: "gpt-4o-mini-2024-07-18",
                                 fineTunedModel: "ft:gpt-4o-mini:org:pricer:abc", createdAt: Date(timeIntervalSince1970: 1_753_452_196),
                                 finishedAt: Date(timeIntervalSince1970: 1_753_454_722), trainingFile: "file-1",
                                 hyperparameters: ["n_epochs": 3, "batch_size": 1, "learning_rate_multiplier": 1.8], trainedTokens: 1234))
        record.record(MetricPoint(step: 1, totalSteps: 2, trainLoss: 2.5))
        let url = store.newFile(name: record.name, at: Date(timeIntervalSince1970: 1_753_438_999))
        #expect(url.lastPathComponent.hasPrefix("pricer_finetune_2025072"))
        #expect(url.pathExtension == "json")
        try store.write(record, to: url)

        let object = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        for field in ["job_id", "status", "output_name", "base_model", "created_at", "finished_at", "hyperparameters",
                      "training_file_id", "timestamp", "training_stats", "training_parameters",
                      "provider", "datasets", "metrics", "checkpoints", "cost", "finetune_version"] {
            #expect(object[field] != nil, "missing \(field)")
        }
        #expect(object["job_id"] as? String == "ftjob-1")
        #expect(object["output_name"] as? String == "ft:gpt-4o-mini:org:pricer:abc")
        #expect(object["created_at"] as? String == "2025-07-25T14:03:16.000Z")
        let stats = try #require(object["training_stats"] as? [String: Any])
        #expect(stats["skipped_conversations"] as? Int == 1)
        #expect(stats["training_messages"] as? Int == 9)
        let parameters = try #require(object["training_parameters"] as? [String: Any])
        #expect(parameters["max_conversations"] is NSNull, "a parameter that wasn't given is written as null")
        let metrics = try #require(object["metrics"] as? [[String: Any]])
        #expect(metrics.first?["train_loss"] as? Double == 2.5)
        #expect((object["cost"] as? [String: Any])?["estimated_usd"] as? Double == 0.42)

        #expect(try ExperimentRecordStore.read(url) == record)
    }

    @Test("a step's training and validation figures are merged into one point, in step order")
    func mergesByStep() {
        var record = sampleRecord()
        record.record(MetricPoint(step: 2, totalSteps: 4, trainLoss: 1.5))
        record.record(MetricPoint(step: 1, totalSteps: 4, trainLoss: 2.0))
        record.record(MetricPoint(step: 2, validLoss: 1.7))
        record.record(MetricPoint(step: 2, fullValidLoss: 1.6))
        #expect(record.metrics.map(\.step) == [1, 2])
        #expect(record.metrics[1] == MetricPoint(step: 2, totalSteps: 4, trainLoss: 1.5, validLoss: 1.7, fullValidLoss: 1.6))
        #expect(record.finalTrainLoss == 1.5)
        #expect(record.finalValidLoss == 1.6, "the full validation pass is preferred")
    }

    @Test("a later look keeps what an earlier one knew: the model name, the finish time, the error")
    func applyKeepsKnownFields() {
        var record = sampleRecord()
        record.apply(JobSnapshot(id: "ftjob-1", status: .running, providerStatus: "running", model: "m", fineTunedModel: "ft:m:x"))
        record.apply(JobSnapshot(id: "ftjob-1", status: .failed, providerStatus: "failed", model: "m",
                                 error: JobFailure(code: "training_error", message: "diverged"), costUSD: 1.25))
        #expect(record.outputName == "ft:m:x")
        #expect(record.status == "failed")
        #expect(record.error?.message == "diverged")
        #expect(record.cost.actualUSD == 1.25)
        #expect(record.cost.estimatedUSD == 0.42)
    }

    @Test("records are listed oldest first and found by file name, job id or run name; other files are reported, not fatal")
    func listAndFind() throws {
        let store = try temporaryStore()
        defer { try? FileManager.default.removeItem(at: store.directory) }
        var first = sampleRecord(name: "alpha")
        first.timestamp = "2026-01-01T10:00:00.000+00:00"
        first.jobID = "ftjob-a"
        var second = sampleRecord(name: "beta")
        second.timestamp = "2026-01-02T10:00:00.000+00:00"
        second.jobID = "ftjob-b"
        let firstURL = store.newFile(name: "alpha", at: Date(timeIntervalSince1970: 1_767_261_600))
        try store.write(first, to: firstURL)
        let secondURL = store.newFile(name: "beta", at: Date(timeIntervalSince1970: 1_767_348_000))
        try store.write(second, to: secondURL)
        try Data("{not json".utf8).write(to: store.directory.appendingPathComponent("broken_finetune_20260101_000000.json"))
        try Data("{}".utf8).write(to: store.directory.appendingPathComponent("notes.json"))

        let (records, unreadable) = store.list()
        #expect(records.map(\.record.name) == ["alpha", "beta"])
        #expect(unreadable.count == 1)
        #expect(unreadable.first?.url.lastPathComponent == "broken_finetune_20260101_000000.json")

        #expect(try store.find("ftjob-b").record.name == "beta")
        #expect(try store.find("alpha").url == firstURL)
        #expect(try store.find(secondURL.deletingPathExtension().lastPathComponent).record.jobID == "ftjob-b")
        #expect(try store.find(secondURL.path).record.jobID == "ftjob-b")
        let error = #expect(throws: ProviderError.self) { try store.find("gamma") }
        #expect(error?.description.contains("no run record 'gamma'") == true)
        #expect(error?.description.contains("recent:") == true)
    }

    @Test("two runs of one name in the same second get different files")
    func uniqueFileNames() throws {
        let store = try temporaryStore()
        defer { try? FileManager.default.removeItem(at: store.directory) }
        let date = Date()
        let first = store.newFile(name: "same name/with slash", at: date)
        #expect(first.lastPathComponent.hasPrefix("same-name-with-slash_finetune_"))
        try store.write(sampleRecord(), to: first)
        let second = store.newFile(name: "same name/with slash", at: date)
        #expect(second != first)
        #expect(second.lastPathComponent.hasSuffix("_2.json"))
    }

    @Test("a file that isn't a record is refused with the field that is missing")
    func readErrors() throws {
        let store = try temporaryStore()
        defer { try? FileManager.default.removeItem(at: store.directory) }
        try FileManager.default.createDirectory(at: store.directory, withIntermediateDirectories: true)
        let url = store.directory.appendingPathComponent("x_finetune_1.json")
        try Data(#"{"name": "x"}"#.utf8).write(to: url)
        let error = #expect(throws: ProviderError.self) { try ExperimentRecordStore.read(url) }
        #expect(error?.description.contains("is not a finetune run record") == true)
        #expect(error?.description.contains("is missing") == true)
    }

    @Test("SHA-256 of a file, read in pieces, matches the known digest")
    func fingerprint() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("finetune-sha-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data("abc".utf8).write(to: url)
        #expect(try ExperimentRecordStore.sha256(of: url) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let big = Data((0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        try big.write(to: url)
        let expected = SHA256Reference.hex(big)
        #expect(try ExperimentRecordStore.sha256(of: url) == expected)
    }
}

/// The one-shot digest, to check the chunked one against.
enum SHA256Reference {
    static func hex(_ data: Data) -> String { SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined() }
}
