import Foundation
import Testing

@Suite("finetune chat --adapter and fine-tuned models on SmolLM2", .needsRealModel)
struct AdapterChatCLITests {
    let model = CLI.realModel ?? ""
    let question = "What is the capital of France?"

    @Test("--adapter changes the answer; a run folder, its PEFT folder, and the run as MODEL answer alike")
    func adapterForms() throws {
        let directory = try CLI.scratchDirectory()
        let run = try TestAdapter.writeRun(in: directory, baseModel: model)
        let plain = try TestAdapter.answer([model, question])
        let withRun = try TestAdapter.answer([model, "--adapter", run, question])
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(withRun.status == 0, "\(withRun.stderr)")
        #expect(!withRun.stdout.isEmpty)
        #expect(withRun.stdout != plain.stdout, "the random adapter should change the greedy answer")
        let withFolder = try TestAdapter.answer([model, "--adapter", run + "/adapter", question])
        #expect(withFolder.stdout == withRun.stdout, "\(withFolder.stderr)")
        let runAsModel = try TestAdapter.answer([run, question])     // the base comes from the run's config.json
        #expect(runAsModel.stdout == withRun.stdout, "\(runAsModel.stderr)")
    }

    @Test("a fine-tuned name chats with its adapter; models list shows its base; remove keeps the run")
    func fineTunedName() throws {
        let directory = try CLI.scratchDirectory()
        let run = try TestAdapter.writeRun(in: directory, baseModel: model)
        let home = directory + "/home"
        let name = "ft:smollm2-135m-instruct:test:abc123"
        try TestAdapter.writeRegistry(home: home, baseName: "smol", base: model, name: name, run: run)

        let byName = try TestAdapter.answer([name, question], home: home)
        let byAdapter = try TestAdapter.answer(["smol", "--adapter", run, question], home: home)
        #expect(byName.status == 0, "\(byName.stderr)")
        #expect(byName.stdout == byAdapter.stdout)

        let stacked = try TestAdapter.answer([name, "--adapter", run, question], home: home)
        #expect(stacked.status == 1)
        #expect(stacked.stderr.contains("adapters do not stack"))

        let listed = try ModelsCLITests.run(["models", "list"], home: home)
        #expect(listed.status == 0, "\(listed.stderr)")
        let row = try #require(listed.stdout.split(separator: "\n").first { $0.hasPrefix(name) })
        #expect(row.contains("smol") && row.contains(run + "/adapter"))

        let removed = try ModelsCLITests.run(["models", "remove", name, "--delete-file"], home: home)
        #expect(removed.status == 0, "\(removed.stderr)")
        #expect(removed.stdout.contains("its adapter stays at \(run)/adapter"))
        #expect(FileManager.default.fileExists(atPath: run + "/adapter/adapter_model.safetensors"))
        #expect(FileManager.default.fileExists(atPath: model))
        let after = try ModelsCLITests.run(["models", "list", "--json"], home: home)
        #expect(!after.stdout.contains(name))
        #expect(after.stdout.contains("\"smol\""))
    }

    @Test("an adapter for another model, or a model file given as the adapter, is refused by path")
    func wrongAdapter() throws {
        let directory = try CLI.scratchDirectory()
        let folder = URL(fileURLWithPath: directory + "/wrong")
        try TestAdapter.writePEFT(to: folder)
        // Claim rank 8 while the tensors have rank 4.
        let configURL = folder.appendingPathComponent("adapter_config.json")
        let text = try String(contentsOf: configURL, encoding: .utf8).replacingOccurrences(of: "\"r\":4", with: "\"r\":8")
        try text.write(to: configURL, atomically: true, encoding: .utf8)
        let mismatch = try TestAdapter.answer([model, "--adapter", folder.path, question])
        #expect(mismatch.status == 1)
        #expect(mismatch.stderr.contains(folder.path + "/adapter_model.safetensors"))
        #expect(mismatch.stderr.contains("rank 4, but the adapter's rank is 8"))

        let notAdapter = try TestAdapter.answer([model, "--adapter", model, question])
        #expect(notAdapter.status == 1)
        #expect(notAdapter.stderr.contains("is not a LoRA adapter"))
        #expect(notAdapter.stderr.contains(model))
    }
}

@Suite("finetune chat --adapter without a model")
struct AdapterChatErrorTests {
    @Test("a missing adapter path is named with what to give instead")
    func missingAdapter() throws {
        let result = try CLI.run(["chat", "any-model", "--adapter", "/no/such/adapter", "hi"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("/no/such/adapter does not exist"))
        #expect(result.stderr.contains("PEFT adapter folder"))
    }

    @Test("a folder that is neither an adapter nor a run is refused")
    func emptyFolder() throws {
        let directory = try CLI.scratchDirectory()
        let result = try CLI.run(["chat", "any-model", "--adapter", directory, "hi"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("neither an adapter nor a finished training run"))
    }
}
