import Foundation
import LanguageModel
@testable import LoRATraining
import Testing

@Suite("PEFT adapter folders")
struct ExportPEFTTests {
    static let configuration = TinyLlamaFile.exportConfiguration
    /// SmolLM2-135M's shapes: 9 query heads, 3 key/value heads of 64.
    static let smolLM2 = LlamaConfiguration(layerCount: 2, embeddingLength: 576, feedForwardLength: 1536, headCount: 9,
                                            kvHeadCount: 3, vocabularySize: 49152)

    func withFolder(_ body: (URL) throws -> Void) throws {
        let directory = try ExportFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try body(directory.appendingPathComponent("adapter"))
    }

    @Test("write then read gives back the same adapter", arguments: [
        [LoRATarget.query, .value], LoRATarget.allCases, [.key, .down],
    ])
    func roundTrip(targets: [LoRATarget]) throws {
        for configuration in [Self.configuration, Self.smolLM2] {
            let adapter = ExportFixtures.adapter(configuration, rank: 4, alpha: 16, targets: targets)
            try withFolder { folder in
                try PEFTAdapterFormat.write(adapter, configuration: configuration, baseModel: "HuggingFaceTB/SmolLM2-135M-Instruct",
                                            dropout: 0.05, to: folder)
                #expect(try PEFTAdapterFormat.read(folder, configuration: configuration) == adapter)
            }
        }
    }

    @Test("BF16 factors read back rounded, with rank, alpha and targets intact")
    func bf16RoundTrip() throws {
        let adapter = ExportFixtures.adapter(Self.configuration, rank: 2, alpha: 3.5, targets: [.up])
        try withFolder { folder in
            try PEFTAdapterFormat.write(adapter, configuration: Self.configuration, baseModel: "m", dropout: 0, dtype: .bf16, to: folder)
            let read = try PEFTAdapterFormat.read(folder, configuration: Self.configuration)
            #expect(read.rank == 2 && read.alpha == 3.5 && read.targets == [.up])
            let original = adapter.layers[1][.up]!.a, restored = read.layers[1][.up]!.a
            #expect(zip(original, restored).allSatisfy { abs($0 - $1) <= abs($0) * 0x1p-8 })
        }
    }

    @Test("adapter_config.json has the keys PEFT loads")
    func configurationFile() throws {
        let adapter = ExportFixtures.adapter(Self.configuration, rank: 8, alpha: 16, targets: [.value, .query, .gate])
        try withFolder { folder in
            try PEFTAdapterFormat.write(adapter, configuration: Self.configuration, baseModel: "HuggingFaceTB/SmolLM2-135M-Instruct",
                                        dropout: 0.05, to: folder)
            let data = try Data(contentsOf: folder.appendingPathComponent("adapter_config.json"))
            let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            #expect(json["peft_type"] as? String == "LORA")
            #expect(json["task_type"] as? String == "CAUSAL_LM")
            #expect(json["r"] as? Int == 8)
            #expect(json["lora_alpha"] as? Int == 16)
            #expect(json["target_modules"] as? [String] == ["gate_proj", "q_proj", "v_proj"])
            #expect(json["bias"] as? String == "none")
            #expect(json["fan_in_fan_out"] as? Bool == false)
            #expect(json["inference_mode"] as? Bool == true)
            #expect(json["base_model_name_or_path"] as? String == "HuggingFaceTB/SmolLM2-135M-Instruct")
            #expect(json["modules_to_save"] is NSNull)
            let text = String(decoding: data, as: UTF8.self)
            #expect(text.contains("\"lora_dropout\" : 0.05"), "dropout written as the decimal the user gave")
            #expect(text.contains("HuggingFaceTB/SmolLM2"), "slashes not escaped")
        }
    }

    @Test("tensor names and shapes are PEFT's")
    func tensorNames() throws {
        let c = Self.configuration
        let adapter = ExportFixtures.adapter(c, rank: 4, targets: [.output, .down])
        try withFolder { folder in
            try PEFTAdapterFormat.write(adapter, configuration: c, baseModel: "m", dropout: 0, to: folder)
            let file = try SafetensorsFile.read(folder.appendingPathComponent("adapter_model.safetensors"))
            #expect(file.metadata["format"] == "pt")
            #expect(Set(file.names) == [
                "base_model.model.model.layers.0.self_attn.o_proj.lora_A.weight", "base_model.model.model.layers.0.self_attn.o_proj.lora_B.weight",
                "base_model.model.model.layers.0.mlp.down_proj.lora_A.weight", "base_model.model.model.layers.0.mlp.down_proj.lora_B.weight",
                "base_model.model.model.layers.1.self_attn.o_proj.lora_A.weight", "base_model.model.model.layers.1.self_attn.o_proj.lora_B.weight",
                "base_model.model.model.layers.1.mlp.down_proj.lora_A.weight", "base_model.model.model.layers.1.mlp.down_proj.lora_B.weight",
            ])
            #expect(file.tensors["base_model.model.model.layers.1.mlp.down_proj.lora_A.weight"]?.shape == [4, c.feedForwardLength])
            #expect(file.tensors["base_model.model.model.layers.1.mlp.down_proj.lora_B.weight"]?.shape == [c.embeddingLength, 4])
            #expect(file.tensors["base_model.model.model.layers.0.mlp.down_proj.lora_B.weight"]?.values == adapter.layers[0][.down]?.b)
        }
    }

    /// B rows are labelled with their GGUF row number; in the file, HF row h·hd + c·hd/2 + i must
    /// hold GGUF row h·hd + 2i + c (llama.cpp's `permute`), for q (9 heads) and k (3 heads), and
    /// v must be untouched.
    @Test("q and k B rows are written in Hugging Face order")
    func rotaryRowOrder() throws {
        let c = Self.smolLM2, r = 2, hd = c.headDimension
        var adapter = ExportFixtures.adapter(c, rank: r, targets: [.query, .key, .value])
        for layer in 0..<c.layerCount {
            for target in adapter.targets {
                let out = target.shape(in: c).out
                adapter.layers[layer][target]?.b = (0..<(out * r)).map { Float($0 / r) + Float($0 % r) / 10 }
            }
        }
        try withFolder { folder in
            try PEFTAdapterFormat.write(adapter, configuration: c, baseModel: "m", dropout: 0, to: folder)
            let file = try SafetensorsFile.read(folder.appendingPathComponent("adapter_model.safetensors"))
            for (target, heads) in [(LoRATarget.query, c.headCount), (.key, c.kvHeadCount)] {
                let b = try #require(file.tensors["base_model.model.model.layers.1.\(target.peftPath).lora_B.weight"]?.values)
                var wrong = 0
                for h in 0..<heads {
                    for i in 0..<(hd / 2) {
                        for part in 0..<2 {
                            let hfRow = h * hd + part * (hd / 2) + i, ggufRow = h * hd + 2 * i + part
                            if b[hfRow * r] != Float(ggufRow) || b[hfRow * r + 1] != Float(ggufRow) + 0.1 { wrong += 1 }
                        }
                    }
                }
                #expect(wrong == 0, "\(target): \(wrong) rows in the wrong place")
                #expect(b[r * 1] == 2, "\(target): HF row 1 is GGUF row 2")
                #expect(b[r * (hd / 2)] == 1, "\(target): HF row hd/2 is GGUF row 1")
            }
            let v = try #require(file.tensors["base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight"]?.values)
            #expect(v == adapter.layers[0][.value]?.b)
        }
    }

    @Test("the row reordering and its inverse undo each other")
    func rowOrderInverse() {
        var random = TestValues(seed: 5)
        let rows = random.array(6 * 8 * 3)
        let hf = RotaryRowOrder.huggingFace(fromGGUF: rows, heads: 6, headDimension: 8, columns: 3)
        #expect(hf != rows)
        #expect(RotaryRowOrder.gguf(fromHuggingFace: hf, heads: 6, headDimension: 8, columns: 3) == rows)
    }

    @Test("rsLoRA's alpha/√r scale and layers_to_transform are honoured")
    func rsLoRAAndLayerSubset() throws {
        let c = Self.configuration
        let adapter = ExportFixtures.adapter(c, rank: 4, alpha: 8, targets: [.query])
        try withFolder { folder in
            try PEFTAdapterFormat.write(adapter, configuration: c, baseModel: "m", dropout: 0, to: folder)
            let configURL = folder.appendingPathComponent("adapter_config.json")
            var json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as? [String: Any])
            json["use_rslora"] = true
            json["layers_to_transform"] = [0]
            try JSONSerialization.data(withJSONObject: json).write(to: configURL)
            // Drop layer 1's tensors, as PEFT would not have saved them.
            let weightsURL = folder.appendingPathComponent("adapter_model.safetensors")
            let file = try SafetensorsFile.read(weightsURL)
            let kept = file.names.filter { $0.contains("layers.0.") }
            try SafetensorsWriter.write(kept.map { ($0, file.tensors[$0]!.shape, file.tensors[$0]!.values) }, to: weightsURL)

            let read = try PEFTAdapterFormat.read(folder, configuration: c)
            #expect(abs(read.scale - 8 / Float(4).squareRoot()) < 1e-6)
            #expect(read.layers[0] == adapter.layers[0])
            #expect(read.layers[1][.query]?.b.allSatisfy { $0 == 0 } == true)
        }
    }

    // MARK: Errors

    @Test("a folder without adapter_config.json says what a PEFT folder holds")
    func missingConfiguration() throws {
        try withFolder { folder in
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let error = try #require(throws: ExportError.self) { try PEFTAdapterFormat.read(folder, configuration: Self.configuration) }
            guard case .missingFile(let path, _) = error else { Issue.record("got \(error)"); return }
            #expect(path.hasSuffix("adapter_config.json"))
            #expect(error.description.contains("adapter_model.safetensors"))
        }
    }

    @Test("a configuration whose rank disagrees with the tensors is a rank mismatch naming the tensor")
    func wrongRank() throws {
        let adapter = ExportFixtures.adapter(Self.configuration, rank: 4, targets: [.value])
        try withFolder { folder in
            try PEFTAdapterFormat.write(adapter, configuration: Self.configuration, baseModel: "m", dropout: 0, to: folder)
            try editConfiguration(folder) { $0["r"] = 8 }
            #expect(throws: ExportError.rankMismatch(path: folder.appendingPathComponent("adapter_model.safetensors").path,
                                                     tensor: "base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight",
                                                     expected: 8, actual: 4)) {
                try PEFTAdapterFormat.read(folder, configuration: Self.configuration)
            }
        }
    }

    @Test("an adapter read for a model of other widths is a shape error naming the tensor")
    func wrongModel() throws {
        let adapter = ExportFixtures.adapter(Self.configuration, rank: 4, targets: [.up])
        try withFolder { folder in
            try PEFTAdapterFormat.write(adapter, configuration: Self.configuration, baseModel: "m", dropout: 0, to: folder)
            let error = try #require(throws: ExportError.self) { try PEFTAdapterFormat.read(folder, configuration: Self.smolLM2) }
            guard case .tensorShape(_, let tensor, let expected, let actual) = error else { Issue.record("got \(error)"); return }
            #expect(tensor.hasSuffix("mlp.up_proj.lora_A.weight"))
            #expect(expected == [4, 576] && actual == [4, 64])
            #expect(error.description.contains("base model"))
        }
    }

    @Test("configurations that can't be honoured are refused by key", arguments: [
        ("use_dora", "true"), ("peft_type", "\"PREFIX_TUNING\""), ("rank_pattern", "{\"q_proj\": 2}"),
        ("modules_to_save", "[\"lm_head\"]"), ("r", "\"eight\""),
    ])
    func refusedConfigurations(key: String, value: String) throws {
        let adapter = ExportFixtures.adapter(Self.configuration, rank: 4, targets: [.value])
        try withFolder { folder in
            try PEFTAdapterFormat.write(adapter, configuration: Self.configuration, baseModel: "m", dropout: 0, to: folder)
            try editConfiguration(folder) { $0[key] = try JSONSerialization.jsonObject(with: Data(value.utf8), options: .fragmentsAllowed) }
            let error = try #require(throws: ExportError.self) { try PEFTAdapterFormat.read(folder, configuration: Self.configuration) }
            guard case .invalidConfiguration(_, let named, _) = error else { Issue.record("got \(error)"); return }
            #expect(named == key)
        }
    }

    @Test("missing, foreign and pickled weights are reported by name")
    func badWeights() throws {
        let c = Self.configuration
        let adapter = ExportFixtures.adapter(c, rank: 4, targets: [.value])
        try withFolder { folder in
            try PEFTAdapterFormat.write(adapter, configuration: c, baseModel: "m", dropout: 0, to: folder)
            let weightsURL = folder.appendingPathComponent("adapter_model.safetensors")
            let file = try SafetensorsFile.read(weightsURL)
            let tensors = file.names.map { ($0, file.tensors[$0]!.shape, file.tensors[$0]!.values) }

            try SafetensorsWriter.write(tensors.filter { !$0.0.contains("layers.1.self_attn.v_proj.lora_B") }, to: weightsURL)
            #expect(throws: ExportError.missingTensor(path: weightsURL.path, tensor: "base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight")) {
                try PEFTAdapterFormat.read(folder, configuration: c)
            }
            try SafetensorsWriter.write(tensors + [("base_model.model.lm_head.lora_A.weight", [4, 64], [Float](repeating: 0, count: 256))], to: weightsURL)
            let error = try #require(throws: ExportError.self) { try PEFTAdapterFormat.read(folder, configuration: c) }
            guard case .unexpectedTensor(_, let tensor, _) = error else { Issue.record("got \(error)"); return }
            #expect(tensor == "base_model.model.lm_head.lora_A.weight")

            try FileManager.default.removeItem(at: weightsURL)
            try Data([0x80]).write(to: folder.appendingPathComponent("adapter_model.bin"))
            let pickled = try #require(throws: ExportError.self) { try PEFTAdapterFormat.read(folder, configuration: c) }
            #expect(pickled.description.contains("safe_serialization=True"))
        }
    }

    @Test("an adapter that doesn't fit the model, or holds NaN, is not written")
    func refusedWrites() throws {
        let adapter = ExportFixtures.adapter(Self.configuration, rank: 4, targets: [.value])
        try withFolder { folder in
            #expect(throws: ExportError.self) {
                try PEFTAdapterFormat.write(adapter, configuration: Self.smolLM2, baseModel: "m", dropout: 0, to: folder)
            }
            var broken = adapter
            broken.layers[0][.value]?.a[0] = .infinity
            #expect(throws: ExportError.self) {
                try PEFTAdapterFormat.write(broken, configuration: Self.configuration, baseModel: "m", dropout: 0, to: folder)
            }
            #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("adapter_model.safetensors").path))
        }
    }

    func editConfiguration(_ folder: URL, _ edit: (inout [String: Any]) throws -> Void) throws {
        let url = folder.appendingPathComponent("adapter_config.json")
        var json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        try edit(&json)
        try JSONSerialization.data(withJSONObject: json).write(to: url)
    }
}
