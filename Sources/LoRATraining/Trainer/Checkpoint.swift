#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import LanguageModel

/// What a checkpoint needs besides the weights to continue a run exactly.
///
/// The data order and dropout masks derive from `seed` and the step number (see `BatchPlan`), so
/// the step *is* the random-number state and the data position.
public struct TrainerState: Sendable, Equatable, Codable {
    public var step: Int
    public var totalSteps: Int
    public var seed: UInt64
    public var elapsedSeconds: Double
    public var hyperparameters: ResolvedHyperparameters
    public var options: TrainingOptions
    /// SHA-like fingerprint of the encoded training data; resuming with other data is refused.
    public var dataFingerprint: String
    public var baseModel: String
    public var optimizerStep: Int

    enum CodingKeys: String, CodingKey {
        case step, seed, options, hyperparameters
        case totalSteps = "total_steps"
        case elapsedSeconds = "elapsed_seconds"
        case dataFingerprint = "data_fingerprint"
        case baseModel = "base_model"
        case optimizerStep = "optimizer_step"
    }
}

/// Checkpoints of a run: `checkpoints/step-000120/` holds the adapter (PEFT format), the
/// optimizer's moments (`optimizer.safetensors`) and `trainer_state.json`.
///
/// A checkpoint is written into a `.partial` folder, each file flushed to disk, then the folder is
/// renamed into place and `checkpoints/latest` (written atomically) names it. A crash, a kill or a
/// full disk at any point leaves the previous checkpoint and `latest` intact.
struct CheckpointStore {
    let directory: URL      // <run>/checkpoints
    let baseModel: String
    /// Tests only: called before each file of a checkpoint is written; throwing simulates a
    /// failed write (a full disk) at that point.
    var beforeWriting: ((String) throws -> Void)?

    static let latestFile = "latest"
    static let stateFile = "trainer_state.json"
    static let optimizerFile = "optimizer.safetensors"

    func name(step: Int) -> String { String(format: "step-%06d", step) }

    /// Writes a checkpoint and prunes old ones, keeping `keep`.
    /// - Returns: the checkpoint's folder.
    func save(parameters: LoRAParameters, optimizer: AdamW, state: TrainerState, keep: Int) throws(TrainingError) -> URL {
        let fm = FileManager.default
        let final = directory.appendingPathComponent(name(step: state.step))
        let partial = directory.appendingPathComponent(".\(name(step: state.step)).partial-\(getpid())")
        do {
            try fm.createDirectory(at: directory, withIntermediateDirectories: true)
            if fm.fileExists(atPath: partial.path) { try fm.removeItem(at: partial) }
            try fm.createDirectory(at: partial, withIntermediateDirectories: false)
        } catch {
            throw .io(path: directory.path, message: "can't create the checkpoint folder: \(error.localizedDescription)")
        }
        do {
            try beforeWriting?(PEFTAdapterFormat.weightsFileName)
            try PEFTAdapterFormat.write(parameters.adapter(), configuration: parameters.model, baseModel: baseModel,
                                        dropout: parameters.configuration.dropout, to: partial)
            try beforeWriting?(Self.optimizerFile)
            try SafetensorsWriter.write([(name: "exp_avg", shape: [optimizer.m.count], values: optimizer.m),
                                         (name: "exp_avg_sq", shape: [optimizer.v.count], values: optimizer.v)],
                                        metadata: ["step": String(optimizer.step)],
                                        to: partial.appendingPathComponent(Self.optimizerFile))
            try beforeWriting?(Self.stateFile)
            try AtomicFileWriter.write(Array(try encodeJSON(state)), to: partial.appendingPathComponent(Self.stateFile))
        } catch {
            try? fm.removeItem(at: partial)
            throw .io(path: final.path, message: "the checkpoint could not be written (\(error)); the previous checkpoint is intact")
        }
        do {
            if fm.fileExists(atPath: final.path) { try fm.removeItem(at: final) }
            guard rename(partial.path, final.path) == 0 else { throw CocoaError(.fileWriteUnknown) }
            syncFolder(directory)
            try AtomicFileWriter.write(Array(final.lastPathComponent.utf8), to: directory.appendingPathComponent(Self.latestFile))
        } catch {
            try? fm.removeItem(at: partial)
            throw .io(path: final.path, message: "the checkpoint could not be put in place (\(error)); the previous checkpoint is intact")
        }
        prune(keep: keep, current: final.lastPathComponent)
        return final
    }

    /// The newest complete checkpoint, if any.
    func latest() -> URL? {
        let pointer = directory.appendingPathComponent(Self.latestFile)
        guard let name = try? String(contentsOf: pointer, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines),
              !name.isEmpty else { return nil }
        let url = directory.appendingPathComponent(name)
        return FileManager.default.fileExists(atPath: url.appendingPathComponent(Self.stateFile).path) ? url : nil
    }

    /// Reads a checkpoint into `parameters`; returns the optimizer and the state.
    func load(_ url: URL, into parameters: LoRAParameters) throws(TrainingError) -> (AdamW, TrainerState) {
        let state: TrainerState
        do {
            let data = try Data(contentsOf: url.appendingPathComponent(Self.stateFile))
            state = try JSONDecoder().decode(TrainerState.self, from: data)
        } catch {
            throw .checkpoint(path: url.path, message: "trainer_state.json can't be read (\(error.localizedDescription)); the checkpoint is incomplete")
        }
        do {
            let adapter = try PEFTAdapterFormat.read(url, configuration: parameters.model)
            if let problem = parameters.load(adapter) { throw TrainingError.checkpoint(path: url.path, message: problem) }
            let moments = try SafetensorsFile.read(url.appendingPathComponent(Self.optimizerFile))
            guard let m = moments.tensors["exp_avg"]?.values, let v = moments.tensors["exp_avg_sq"]?.values,
                  m.count == parameters.count, v.count == parameters.count else {
                throw TrainingError.checkpoint(path: url.path, message: "optimizer.safetensors doesn't match the adapter's \(parameters.count) parameters")
            }
            return (AdamW(m: m, v: v, step: state.optimizerStep, weightDecay: state.options.weightDecay), state)
        } catch let error as TrainingError {
            throw error
        } catch {
            throw .checkpoint(path: url.path, message: "\(error)")
        }
    }

    private func prune(keep: Int, current: String) {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: directory.path) else { return }
        let complete = names.filter { $0.hasPrefix("step-") }.sorted()
        for name in complete.dropLast(max(1, keep)) where name != current {
            try? fm.removeItem(at: directory.appendingPathComponent(name))
        }
        // Partial folders of runs that died mid-write.
        for name in names where name.hasPrefix(".step-") && name.contains(".partial-") {
            try? fm.removeItem(at: directory.appendingPathComponent(name))
        }
    }
}

func encodeJSON<T: Encodable>(_ value: T) throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    return try encoder.encode(value)
}

func syncFolder(_ url: URL) {
    let folder = open(url.path, O_RDONLY | O_CLOEXEC)
    if folder >= 0 {
        fsync(folder)
        close(folder)
    }
}
