import Foundation
import OpenAIAPI
import Testing
@testable import APIServer

/// The store implementations the shared conformance tests run against.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case memory, sqlite

    var testDescription: String { rawValue }

    /// A fresh, empty store (SQLite in a new temporary folder) and a closure that deletes its folder.
    func make() throws -> (store: any APIStore, cleanup: @Sendable () -> Void) {
        switch self {
        case .memory:
            return (MemoryStore(), {})
        case .sqlite:
            let folder = try StorageFixtures.temporaryDirectory()
            return (try SQLiteStore(url: folder.appendingPathComponent("test.sqlite")), { StorageFixtures.remove(folder) })
        }
    }
}

/// Records and folders for the storage tests.
enum StorageFixtures {
    /// A new empty folder under the system's temporary folder.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("finetune-storage-tests-\(APIIdentifier.make(prefix: "", length: 12))", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func remove(_ folder: URL) {
        try? FileManager.default.removeItem(at: folder)
    }

    static func file(_ id: String, purpose: String = "fine-tune", createdAt: Int = 1_700_000_000) -> StoredFile {
        StoredFile(id: id, filename: "\(id).jsonl", purpose: purpose, bytes: 42, createdAt: createdAt, status: .processed,
                   sha256: String(repeating: "a", count: 64), exampleCount: 3)
    }

    static func job(_ id: String, status: JobStatus = .queued, metadata: [String: String]? = nil,
                    modelName: String? = nil) -> StoredJob {
        StoredJob(id: id, createdAt: 1_700_000_100, model: "smollm2-135m-instruct", status: status,
                  trainingFile: "file-train", validationFile: "file-valid",
                  requested: FineTuningHyperparameters(nEpochs: .value(3), batchSize: .auto, learningRateMultiplier: .value(0.5)),
                  resolved: ResolvedJobHyperparameters(nEpochs: 3, batchSize: 4, learningRateMultiplier: 0.5,
                                                       learningRate: 1e-4, totalSteps: 30),
                  seed: 42, suffix: "pricer", metadata: metadata,
                  integrations: [["type": "wandb", "wandb": ["project": "p", "tags": ["a", "b"]]]],
                  modelName: modelName ?? "ft:smollm2-135m-instruct:local:pricer:\(id.suffix(8))",
                  runDirectory: "/tmp/runs/\(id)")
    }

    static func event(_ id: String, job: String, type: String = "message", data: JSONValue? = nil) -> StoredEvent {
        StoredEvent(id: id, jobID: job, createdAt: 1_700_000_200, level: "info", message: "event \(id)", type: type, data: data)
    }

    static func metrics(_ id: String, job: String, step: Int) -> StoredEvent {
        event(id, job: job, type: "metrics",
              data: ["step": .number(Double(step)), "train_loss": 1.25, "total_steps": 30])
    }

    static func checkpoint(_ id: String, job: String, step: Int) -> StoredCheckpoint {
        StoredCheckpoint(id: id, jobID: job, createdAt: 1_700_000_300, stepNumber: step,
                         modelName: "ft:m:local:s:abcdefgh:ckpt-step-\(step)",
                         metrics: CheckpointMetrics(step: Double(step), trainLoss: 0.5, validLoss: nil),
                         path: "/tmp/runs/\(job)/checkpoints/step-\(step)")
    }
}
