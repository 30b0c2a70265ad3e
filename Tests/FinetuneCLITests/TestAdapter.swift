import Foundation

/// Test inputs for the adapter commands, written byte by byte (the CLI tests link only the
/// binary, so the files come from the formats' specifications, not from the code under test).
enum TestAdapter {
    /// SmolLM2-135M's adapted shapes: q_proj [576 out][576 in], v_proj [192 out][576 in], 30 layers.
    static let modules = [("self_attn.q_proj", 576, 576), ("self_attn.v_proj", 192, 576)]
    static let layers = 30, rank = 4

    /// Writes a PEFT adapter folder for SmolLM2-135M with random factors (large enough to change
    /// the model's answers): `adapter_config.json` and an F32 `adapter_model.safetensors`
    /// (u64 little-endian header length, JSON header of dtype/shape/data_offsets, raw data).
    static func writePEFT(to folder: URL, seed: UInt64 = 1, baseModel: String = "HuggingFaceTB/SmolLM2-135M-Instruct") throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var random = SplitMix64(state: seed)
        var header: [String: Any] = ["__metadata__": ["format": "pt"]]
        var data = Data()
        for layer in 0..<layers {
            for (module, out, inWidth) in modules {
                for (part, shape) in [("A", [rank, inWidth]), ("B", [out, rank])] {
                    let begin = data.count
                    for _ in 0..<(shape[0] * shape[1]) {
                        let value = Float(random.unit() * 2 - 1) * 0.17    // uniform, standard deviation ≈ 0.1
                        withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) }
                    }
                    header["base_model.model.model.layers.\(layer).\(module).lora_\(part).weight"] =
                        ["dtype": "F32", "shape": shape, "data_offsets": [begin, data.count]]
                }
            }
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }    // the format pads the header with spaces
        var file = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { file.append(contentsOf: $0) }
        file.append(json)
        file.append(data)
        try file.write(to: folder.appendingPathComponent("adapter_model.safetensors"))
        let configuration: [String: Any] = [
            "peft_type": "LORA", "task_type": "CAUSAL_LM", "r": rank, "lora_alpha": 8, "lora_dropout": 0.0,
            "target_modules": ["q_proj", "v_proj"], "bias": "none", "fan_in_fan_out": false, "inference_mode": true,
            "base_model_name_or_path": baseModel,
        ]
        try JSONSerialization.data(withJSONObject: configuration, options: [.sortedKeys])
            .write(to: folder.appendingPathComponent("adapter_config.json"))
    }

    /// A training run folder as the trainer leaves it: `adapter/` and `config.json` naming `baseModel`.
    @discardableResult
    static func writeRun(in directory: String, baseModel: String, name: String = "run") throws -> String {
        let run = URL(fileURLWithPath: directory).appendingPathComponent(name)
        try writePEFT(to: run.appendingPathComponent("adapter"))
        try JSONSerialization.data(withJSONObject: ["base_model": baseModel, "options": [String: Any]()])
            .write(to: run.appendingPathComponent("config.json"))
        return run.path
    }

    /// Writes `home/models.json` registering `base` as `baseName` and a fine-tuned model `name` on
    /// it, in the registry's JSON format.
    static func writeRegistry(home: String, baseName: String, base: String, name: String, run: String) throws {
        let registry: [String: Any] = [
            "version": 1,
            "models": [
                ["name": baseName, "path": base, "origin": "added", "size_bytes": 1, "added_at": "2025-05-01T10:00:00Z"],
                ["name": name, "path": base, "origin": "fine_tuned", "size_bytes": 1, "added_at": "2025-05-01T10:00:00Z",
                 "base_model": baseName, "adapter_path": run + "/adapter", "run_path": run],
            ],
        ]
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        try JSONSerialization.data(withJSONObject: registry).write(to: URL(fileURLWithPath: home + "/models.json"))
    }

    /// A greedy answer of a few tokens: `finetune chat ARGS... --temperature 0 --max-tokens 8 --quiet`.
    static func answer(_ arguments: [String], home: String? = nil) throws -> CLI.Output {
        try CLI.run(["chat"] + arguments + ["--temperature", "0", "--max-tokens", "8", "--threads", "2", "--quiet"],
                    environment: home.map { ["FINETUNE_HOME": $0] } ?? [:])
    }

    /// SplitMix64 (Steele et al. 2014): a small, reproducible generator.
    struct SplitMix64 {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        /// Uniform in [0, 1).
        mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    }
}
