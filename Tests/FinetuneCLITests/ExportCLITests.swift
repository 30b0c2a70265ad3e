import Foundation
import Testing

@Suite("finetune export on SmolLM2: merged GGUF, llama.cpp adapter, PEFT folder", .needsRealModel)
struct ExportCLITests {
    let model = CLI.realModel ?? ""
    let question = "What is the capital of France?"

    @Test("--gguf-adapter and --peft write adapters that answer exactly as the run's own")
    func adapterFormats() throws {
        let directory = try CLI.scratchDirectory()
        let run = try TestAdapter.writeRun(in: directory, baseModel: model)
        let gguf = directory + "/lora.gguf", peft = directory + "/peft"
        let result = try CLI.run(["export", run, "--gguf-adapter", gguf, "--peft", peft])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Wrote the llama.cpp LoRA adapter (rank 4"))
        #expect(result.stdout.contains("llama-cli -m \(model) --lora \(gguf)"))
        #expect(result.stdout.contains("Wrote the PEFT adapter (rank 4): \(peft)"))
        let header = try #require(FileHandle(forReadingAtPath: gguf)?.readData(ofLength: 4))
        #expect(header == Data("GGUF".utf8))
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: peft + "/adapter_config.json"))) as? [String: Any]
        #expect(config?["r"] as? Int == 4)
        #expect(config?["base_model_name_or_path"] as? String == "HuggingFaceTB/SmolLM2-135M-Instruct")   // kept from the source

        let reference = try TestAdapter.answer([model, "--adapter", run, question])
        #expect(reference.status == 0, "\(reference.stderr)")
        for adapter in [gguf, peft] {
            let answer = try TestAdapter.answer([model, "--adapter", adapter, question])
            #expect(answer.status == 0, "\(answer.stderr)")
            #expect(answer.stdout == reference.stdout, "\(adapter)")
        }
    }

    @Test("--merge --type f16 -o writes a GGUF that answers as the base with the adapter, and says how to run it")
    func mergeF16() throws {
        let directory = try CLI.scratchDirectory()
        let run = try TestAdapter.writeRun(in: directory, baseModel: model)
        let merged = directory + "/merged.gguf"
        let result = try CLI.run(["export", run, "--merge", "--type", "f16", "-o", merged])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Wrote the merged model (f16, "))
        #expect(result.stdout.contains("finetune chat \(merged)"))
        #expect(result.stdout.contains("llama-cli -m \(merged)"))
        let size = try #require(try FileManager.default.attributesOfItem(atPath: merged)[.size] as? NSNumber).intValue
        #expect(size > 250_000_000 && size < 300_000_000)    // 134.5M weights at 2 bytes

        let withAdapter = try TestAdapter.answer([model, "--adapter", run, question])
        let fromMerged = try TestAdapter.answer([merged, question])
        #expect(fromMerged.status == 0, "\(fromMerged.stderr)")
        #expect(fromMerged.stdout == withAdapter.stdout)
    }

    @Test("--merge without -o writes merged-q8_0.gguf into the run folder; a fine-tuned name and --base work too")
    func mergeDefaults() throws {
        let directory = try CLI.scratchDirectory()
        let run = try TestAdapter.writeRun(in: directory, baseModel: "smol")
        let home = directory + "/home"
        let name = "ft:smol:test:1"
        try TestAdapter.writeRegistry(home: home, baseName: "smol", base: model, name: name, run: run)
        let result = try CLI.run(["export", name, "--merge"], environment: ["FINETUNE_HOME": home])
        #expect(result.status == 0, "\(result.stderr)")
        let merged = run + "/merged-q8_0.gguf"
        #expect(result.stdout.contains("Wrote the merged model (q8_0, "))
        #expect(result.stdout.contains(merged))
        let size = try #require(try FileManager.default.attributesOfItem(atPath: merged)[.size] as? NSNumber).intValue
        #expect(size > 130_000_000 && size < 160_000_000)    // 1.0625 bytes a weight
        let answer = try TestAdapter.answer([merged, question])
        #expect(answer.status == 0, "\(answer.stderr)")
        #expect(!answer.stdout.isEmpty)

        // A loose llama.cpp adapter needs --base.
        let gguf = directory + "/lora.gguf"
        #expect(try CLI.run(["export", run, "--gguf-adapter", gguf], environment: ["FINETUNE_HOME": home]).status == 0)
        let unknownBase = try CLI.run(["export", gguf, "--peft", directory + "/p"], environment: ["FINETUNE_HOME": home])
        #expect(unknownBase.status == 1)
        #expect(unknownBase.stderr.contains("name it with --base MODEL"))
        let withBase = try CLI.run(["export", gguf, "--base", "smol", "--peft", directory + "/p"], environment: ["FINETUNE_HOME": home])
        #expect(withBase.status == 0, "\(withBase.stderr)")
        #expect(FileManager.default.fileExists(atPath: directory + "/p/adapter_model.safetensors"))
    }
}

@Suite("finetune export: what it refuses")
struct ExportCLIErrorTests {
    @Test("nothing to export, -o or --type without --merge: usage errors that say what to add")
    func usage() throws {
        let nothing = try CLI.run(["export", "some-run"])
        #expect(nothing.status == 64)
        #expect(nothing.stderr.contains("Nothing to export: add --merge"))
        let output = try CLI.run(["export", "some-run", "-o", "x.gguf", "--peft", "dir"])
        #expect(output.status == 64)
        #expect(output.stderr.contains("-o/--output names the merged model; add --merge"))
        let type = try CLI.run(["export", "some-run", "--type", "f16", "--peft", "dir"])
        #expect(type.status == 64)
        let badType = try CLI.run(["export", "some-run", "--merge", "--type", "q4_0"])
        #expect(badType.status == 64)
        #expect(badType.stderr.contains("q8_0"))
    }

    @Test("a plain model, an unknown name or a folder that is no run is refused by name")
    func notAnAdapter() throws {
        let directory = try CLI.scratchDirectory()
        let home = directory + "/home"
        let base = directory + "/base.gguf"
        try ModelsCLITests.writeMinimalGGUF(to: base)
        #expect(try ModelsCLITests.run(["models", "add", base, "--name", "plain"], home: home).status == 0)

        let plain = try CLI.run(["export", "plain", "--merge"], environment: ["FINETUNE_HOME": home])
        #expect(plain.status == 1)
        #expect(plain.stderr.contains("'plain' is a plain model, not an adapter"))
        let unknown = try CLI.run(["export", "nothing-here", "--merge"], environment: ["FINETUNE_HOME": home])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("no model named 'nothing-here'"))
        let empty = directory + "/empty"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        let folder = try CLI.run(["export", empty, "--merge"], environment: ["FINETUNE_HOME": home])
        #expect(folder.status == 1)
        #expect(folder.stderr.contains(empty))
    }
}
