import Foundation
import LanguageModel
@testable import LoRATraining
import TensorCore
import Testing

@Suite("Checkpoints")
struct CheckpointTests {
    func state(step: Int) -> TrainerState {
        var options = TrainingOptions()
        options.lora = LoRAConfiguration(rank: 2, alpha: 4, dropout: 0)
        let h = ResolvedHyperparameters(epochs: 1, learningRate: 1e-3, batchSize: 1, stepsPerEpoch: 10, totalSteps: 10, warmupSteps: 1,
                                        evalEvery: 5, checkpointEvery: 2, maxLength: 64, automatic: [])
        return TrainerState(step: step, totalSteps: 10, seed: 1, elapsedSeconds: 1, hyperparameters: h, options: options,
                            dataFingerprint: "x", baseModel: "tiny", optimizerStep: step)
    }

    @Test("a checkpoint round-trips the adapter, the optimizer moments and the state")
    func roundTrip() throws {
        let tiny = try TinyLlamaFile.forTraining()
        defer { tiny.remove() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let parameters = LoRAParameters(configuration: LoRAConfiguration(rank: 2, alpha: 4, dropout: 0), model: TinyLlamaFile.trainingConfiguration)
        var values = TestValues(seed: 3)
        parameters.setValues(values.array(parameters.count))
        let optimizer = AdamW(m: values.array(parameters.count), v: values.array(parameters.count).map { $0 * $0 }, step: 4, weightDecay: 0.01)
        let store = CheckpointStore(directory: directory, baseModel: "tiny")
        let saved = try store.save(parameters: parameters, optimizer: optimizer, state: state(step: 4), keep: 2)
        #expect(store.latest()?.path == saved.path)
        let restored = LoRAParameters(configuration: parameters.configuration, model: parameters.model)
        let (loadedOptimizer, loadedState) = try store.load(saved, into: restored)
        #expect(restored.allValues == parameters.allValues)
        #expect(loadedOptimizer.m == optimizer.m && loadedOptimizer.v == optimizer.v && loadedOptimizer.step == 4)
        #expect(loadedState == state(step: 4))
    }

    struct DiskFull: Error {}

    @Test("a checkpoint that fails part-way leaves the previous one intact and named latest",
          arguments: [PEFTAdapterFormat.weightsFileName, CheckpointStore.optimizerFile, CheckpointStore.stateFile])
    func failedWriteKeepsPrevious(failingFile: String) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let parameters = LoRAParameters(configuration: LoRAConfiguration(rank: 2, alpha: 4, dropout: 0), model: TinyLlamaFile.trainingConfiguration)
        parameters.initialize(seed: 1)
        let optimizer = AdamW(parameterCount: parameters.count)
        var store = CheckpointStore(directory: directory, baseModel: "tiny")
        let first = try store.save(parameters: parameters, optimizer: optimizer, state: state(step: 2), keep: 2)
        // The next checkpoint's write fails at `failingFile`, as on a full disk.
        store.beforeWriting = { name in if name == failingFile { throw DiskFull() } }
        var values = TestValues(seed: 8)
        let original = parameters.allValues
        parameters.setValues(values.array(parameters.count))
        #expect(throws: TrainingError.self) {
            try store.save(parameters: parameters, optimizer: optimizer, state: state(step: 4), keep: 2)
        }
        #expect(store.latest()?.path == first.path)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0 != "latest" }
        #expect(leftovers == ["step-000002"], "a partial checkpoint was left: \(leftovers)")
        parameters.setValues(original)
        let restored = LoRAParameters(configuration: parameters.configuration, model: parameters.model)
        _ = try store.load(first, into: restored)
        #expect(restored.allValues == parameters.allValues)
    }

    @Test("old checkpoints are pruned to the number kept")
    func pruning() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let parameters = LoRAParameters(configuration: LoRAConfiguration(rank: 2, alpha: 4, dropout: 0), model: TinyLlamaFile.trainingConfiguration)
        let store = CheckpointStore(directory: directory, baseModel: "tiny")
        for step in [2, 4, 6] {
            _ = try store.save(parameters: parameters, optimizer: AdamW(parameterCount: parameters.count), state: state(step: step), keep: 2)
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasPrefix("step-") }.sorted()
        #expect(names == ["step-000004", "step-000006"])
    }
}
