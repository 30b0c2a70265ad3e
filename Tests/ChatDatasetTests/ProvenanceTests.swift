import ChatDataset
import Foundation
import Testing

@Suite("Data provenance sidecars")
struct ProvenanceTests {
    let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("provenance-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    func file(_ name: String, _ text: String) throws -> URL {
        let url = folder.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url
    }

    @Test("a split file inherits the prepare step, then adds its own")
    func inherits() throws {
        let prepared = try file("data.jsonl", "{\"messages\":[]}\n")
        let prepare = DataProvenance.Step(command: "finetune prepare items.csv -o data.jsonl", summary: "Prepared 1 example", input: "items.csv")
        try DataProvenance.record(prepare, producing: prepared, examples: 1)
        let train = try file("data_train.jsonl", "{\"messages\":[]}\n")
        let split = DataProvenance.Step(command: "finetune split data.jsonl", summary: "Split 1 example", input: "data.jsonl")
        try DataProvenance.record(split, producing: train, examples: 1, inheritingFrom: prepared)

        let read = try #require(DataProvenance.read(for: train))
        #expect(read.steps.map(\.command) == ["finetune prepare items.csv -o data.jsonl", "finetune split data.jsonl"])
        #expect(read.examples == 1)
        #expect(read.file == "data_train.jsonl")
        #expect(read.sha256 == (try DataProvenance.sha256(of: train)))
    }

    @Test("a sidecar is ignored once its file changes")
    func stale() throws {
        let data = try file("edited.jsonl", "{\"messages\":[]}\n")
        try DataProvenance.record(.init(command: "finetune prepare", summary: "", input: "x.csv"), producing: data, examples: 1)
        #expect(DataProvenance.read(for: data) != nil)
        try Data("{\"messages\":[]}\n{\"messages\":[]}\n".utf8).write(to: data)
        #expect(DataProvenance.read(for: data) == nil)
    }

    @Test("the SHA-256 of a known text")
    func sha256() throws {
        let url = try file("abc.txt", "abc")
        #expect(try DataProvenance.sha256(of: url) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
