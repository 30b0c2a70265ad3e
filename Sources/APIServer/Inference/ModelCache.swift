import Foundation
import LanguageModel
import LoRATraining
import TensorCore

/// A model ready to generate: the network (with its adapter, if any) and the base model's
/// tokenizer and chat template.
public struct ReadyModel: Sendable {
    /// Identifies the weights: the base file, plus the adapter when there is one.
    public let key: String
    public let model: LlamaModel
    public let formatter: ChatFormatter
}

/// How often the cache had to read files, for tests and logs.
public struct ModelCacheStatistics: Sendable, Equatable {
    public var baseLoads = 0
    public var adapterLoads = 0
    public var adapterEvictions = 0
}

/// Loads each base GGUF once and each adapter once, so no request re-reads a model.
///
/// Base models stay loaded (a server serves a handful). Adapters sit beside their base's weights
/// (`LlamaModel.withAdapter`, no weight copy); the `adapterCapacity` most recently used are kept.
///
/// ```swift
/// let cache = ModelCache(threads: 2)
/// let ready = try cache.model(for: ServingModel(id: "ft:…", baseURL: gguf, adapterPath: run))
/// ```
public final class ModelCache: @unchecked Sendable {
    // @unchecked: every stored property below is read and written only while holding `lock`.
    private let lock = NSLock()
    private var bases: [String: LocalModel] = [:]
    /// Most recently used last.
    private var adapters: [(key: String, model: LlamaModel)] = []
    private var counts = ModelCacheStatistics()
    /// Compute threads of each loaded model.
    public let threads: Int
    /// Adapters kept loaded.
    public let adapterCapacity: Int

    public init(threads: Int = ThreadPool.defaultThreadCount, adapterCapacity: Int = 8) {
        self.threads = max(1, threads)
        self.adapterCapacity = max(1, adapterCapacity)
    }

    /// Loads counted so far.
    public var statistics: ModelCacheStatistics { lock.withLock { counts } }

    /// The network for `serving`, loading the base model and the adapter on first use.
    ///
    /// Holding the lock while reading files keeps two callers from loading the same model twice;
    /// the server calls this from its one generation thread.
    /// - Throws: `InferenceError.modelUnavailable` when the GGUF or the adapter can't be read or
    ///   the adapter doesn't fit the base model.
    public func model(for serving: ServingModel) throws(InferenceError) -> ReadyModel {
        lock.lock()
        defer { lock.unlock() }
        let baseKey = serving.baseURL.standardizedFileURL.path
        let base = try loadBase(baseKey, id: serving.id)
        guard let adapterURL = serving.adapterPath else {
            return ReadyModel(key: baseKey, model: base.model, formatter: base.formatter)
        }
        let key = baseKey + "\n" + adapterURL.standardizedFileURL.path
        if let index = adapters.firstIndex(where: { $0.key == key }) {
            let entry = adapters.remove(at: index)
            adapters.append(entry)
            return ReadyModel(key: key, model: entry.model, formatter: base.formatter)
        }
        let tuned: LlamaModel
        do {
            let adapter = try AdapterSource(path: adapterURL.path).read(configuration: base.model.configuration)
            tuned = try base.model.withAdapter(adapter)
        } catch {
            throw .modelUnavailable(model: serving.id, reason: String(describing: error))
        }
        counts.adapterLoads += 1
        adapters.append((key, tuned))
        if adapters.count > adapterCapacity {
            adapters.removeFirst(adapters.count - adapterCapacity)
            counts.adapterEvictions += 1
        }
        return ReadyModel(key: key, model: tuned, formatter: base.formatter)
    }

    private func loadBase(_ path: String, id: String) throws(InferenceError) -> LocalModel {
        if let loaded = bases[path] { return loaded }
        let loaded: LocalModel
        do { loaded = try LocalModel(url: URL(fileURLWithPath: path), threads: threads) } catch {
            throw .modelUnavailable(model: id, reason: error.description)
        }
        counts.baseLoads += 1
        bases[path] = loaded
        return loaded
    }
}
