import Foundation
import Testing
@testable import ModelHub

@Suite("registering, listing, removing and resolving local models")
struct ModelStoreTests {
    /// A store in a fresh home with the built-in catalog, and a folder holding a tiny model.
    static func makeStore() throws -> (ModelStore, URL) {
        let home = FinetuneHome(url: try TestFiles.scratch("home"))
        let files = try TestFiles.scratch("files")
        try TestFiles.writeTinyModel(to: files.appendingPathComponent("Tiny-Model.gguf"))
        return (ModelStore(home: home, catalog: .builtIn, environment: [:]), files)
    }

    @Test("add registers the absolute path under the file's lowercased stem, without copying")
    func addDefaultName() throws {
        let (store, files) = try Self.makeStore()
        let relative = files.appendingPathComponent("sub/../Tiny-Model.gguf").path
        let record = try store.add(path: relative)
        #expect(record.name == "tiny-model")
        #expect(record.path == files.appendingPathComponent("Tiny-Model.gguf").path)
        #expect(record.origin == .added)
        #expect(try store.list() == [record])
        #expect(!FileManager.default.fileExists(atPath: store.home.modelsDirectory.appendingPathComponent("tiny-model").path))
        let listing = try #require(try store.listings().first)
        #expect(listing.summary?.architecture == "llama")
        #expect(listing.summary?.parameterCount == 768)
        #expect(listing.summary?.quantization == "Q4_1")
        #expect(listing.summary?.contextLength == 2048)
    }

    @Test("add --name, and adding the same file under the same name again, are fine")
    func addNamed() throws {
        let (store, files) = try Self.makeStore()
        let path = files.appendingPathComponent("Tiny-Model.gguf").path
        try store.add(path: path, name: "mine")
        try store.add(path: path, name: "mine")
        try store.add(path: path, name: "other")
        #expect(try store.list().map(\.name) == ["mine", "other"])
    }

    @Test("a name used for another file, a catalog name, or a bad name is refused")
    func addRefused() throws {
        let (store, files) = try Self.makeStore()
        let path = files.appendingPathComponent("Tiny-Model.gguf").path
        try store.add(path: path, name: "mine")
        let second = files.appendingPathComponent("second.gguf")
        try TestFiles.writeTinyModel(to: second)
        #expect(throws: ModelHubError.nameTaken(name: "mine", by: path)) { try store.add(path: second.path, name: "mine") }
        let catalogName = try #require(throws: ModelHubError.self) { try store.add(path: path, name: "smollm2-135m-instruct") }
        #expect(catalogName.description.contains("already used by a catalog model"))
        #expect(throws: ModelHubError.invalidName("a/b")) { try store.add(path: path, name: "a/b") }
        #expect(ModelHubError.invalidName("a/b").description.contains("use letters, digits, '.', '_' and '-' only"))
        #expect(try store.list().map(\.name) == ["mine"])
    }

    @Test("a file that is not a GGUF model is not registered")
    func addNotGGUF() throws {
        let (store, files) = try Self.makeStore()
        let bogus = files.appendingPathComponent("weights.gguf")
        try Data(repeating: 7, count: 100).write(to: bogus)
        let error = try #require(throws: ModelHubError.self) { try store.add(path: bogus.path) }
        #expect(error.description.hasPrefix("\(bogus.path) is not a usable GGUF model: "))
        #expect(throws: ModelHubError.cannotRead(path: files.path + "/absent.gguf", reason: "no such file; check the path")) {
            try store.add(path: files.path + "/absent.gguf")
        }
        #expect(try store.list().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: store.home.registryURL.path))
    }

    @Test("resolve finds registered names and paths")
    func resolveFound() throws {
        let (store, files) = try Self.makeStore()
        let path = files.appendingPathComponent("Tiny-Model.gguf")
        try store.add(path: path.path, name: "mine")
        #expect(try store.resolve("mine").path == path.path)
        #expect(try store.resolve(path.path).path == path.path)
    }

    @Test("resolve explains what to do for a catalog model not pulled, an unknown name, a missing path or file")
    func resolveErrors() throws {
        let (store, files) = try Self.makeStore()
        let path = files.appendingPathComponent("Tiny-Model.gguf")
        try store.add(path: path.path, name: "mine")

        let notPulled = try #require(throws: ModelHubError.self) { try store.resolve("smollm2-135m-instruct") }
        #expect(notPulled == .notPulled(name: "smollm2-135m-instruct"))
        #expect(notPulled.description == "the model 'smollm2-135m-instruct' has not been downloaded yet; run `finetune models pull smollm2-135m-instruct`")

        let unknown = try #require(throws: ModelHubError.self) { try store.resolve("gpt-5") }
        #expect(unknown == .unknownModel(name: "gpt-5", known: ["mine", "smollm2-135m-instruct"]))
        #expect(unknown.description.contains("known models: mine, smollm2-135m-instruct"))

        let absent = try #require(throws: ModelHubError.self) { try store.resolve(files.path + "/absent.gguf") }
        #expect(absent.description.hasPrefix("cannot read \(files.path)/absent.gguf: no such file"))

        try FileManager.default.removeItem(at: path)
        let gone = try #require(throws: ModelHubError.self) { try store.resolve("mine") }
        #expect(gone == .missingFile(name: "mine", path: path.path))
        #expect(gone.description.contains("run `finetune models remove mine`"))
        let listing = try #require(try store.listings().first)
        #expect(listing.missing && listing.summary == nil && listing.problem == "file missing")
    }

    @Test("remove unregisters; an added model's file is never deleted")
    func remove() throws {
        let (store, files) = try Self.makeStore()
        let path = files.appendingPathComponent("Tiny-Model.gguf")
        try store.add(path: path.path, name: "mine")
        try store.add(path: path.path, name: "other")
        let removal = try store.remove("mine", deleteFile: true)
        #expect(removal.deletedFile == false)
        #expect(removal.record.name == "mine")
        #expect(FileManager.default.fileExists(atPath: path.path))
        #expect(try store.list().map(\.name) == ["other"])
        #expect(throws: ModelHubError.unknownModel(name: "mine", known: ["other"])) { try store.remove("mine") }
    }

    @Test("models.json is rewritten whole: failed changes leave it byte for byte, with no temporary files")
    func registrySurvives() throws {
        let (store, files) = try Self.makeStore()
        let path = files.appendingPathComponent("Tiny-Model.gguf").path
        try store.add(path: path, name: "mine")
        let before = try Data(contentsOf: store.home.registryURL)
        _ = try? store.add(path: files.path + "/absent.gguf", name: "x")
        _ = try? store.add(path: path, name: "smollm2-135m-instruct")
        _ = try? store.remove("nothing")
        #expect(try Data(contentsOf: store.home.registryURL) == before)
        #expect(TestFiles.tree(store.home.url).filter { $0.contains(".partial") }.isEmpty)
        // A second store over the same home sees the same registry.
        let again = ModelStore(home: store.home, catalog: .builtIn, environment: [:])
        #expect(try again.list() == store.list())
    }

    @Test("a damaged models.json is reported with the way out, and not overwritten")
    func damagedRegistry() throws {
        let (store, files) = try Self.makeStore()
        try FileManager.default.createDirectory(at: store.home.url, withIntermediateDirectories: true)
        try Data("{\"version\": 1, \"models\": [{\"name\": 3}]}".utf8).write(to: store.home.registryURL)
        let error = try #require(throws: ModelHubError.self) { try store.list() }
        #expect(error.description.hasPrefix("\(store.home.registryURL.path) is not a valid model registry (at .models[0].name"))
        #expect(error.description.hasSuffix("fix it, or delete it and register your models again (their files are not touched)"))
        #expect(throws: ModelHubError.self) { try store.add(path: files.appendingPathComponent("Tiny-Model.gguf").path) }
        #expect(try String(contentsOf: store.home.registryURL, encoding: .utf8) == "{\"version\": 1, \"models\": [{\"name\": 3}]}")
    }

    @Test("FINETUNE_HOME chooses the home; ~ is expanded; the default is ~/.cache/finetune")
    func homeFromEnvironment() {
        #expect(FinetuneHome(environment: ["FINETUNE_HOME": "/srv/ft", "HOME": "/home/u"]).url.path == "/srv/ft")
        #expect(FinetuneHome(environment: ["FINETUNE_HOME": "~/ft", "HOME": "/home/u"]).url.path == "/home/u/ft")
        #expect(FinetuneHome(environment: ["HOME": "/home/u"]).url.path == "/home/u/.cache/finetune")
        #expect(FinetuneHome(environment: ["HOME": "/home/u"]).registryURL.path == "/home/u/.cache/finetune/models.json")
    }
}
