import Foundation
import GGUF
import LanguageModel
@testable import LoRATraining
import Testing

@Suite("llama.cpp GGUF LoRA adapters")
struct ExportGGUFAdapterTests {
    static let configuration = TinyLlamaFile.exportConfiguration

    func withBase(_ body: (GGUFFile, URL) throws -> Void) throws {
        let tiny = try TinyLlamaFile.forExport()
        defer { tiny.remove() }
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("adapter-\(UUID().uuidString).gguf")
        defer { try? FileManager.default.removeItem(at: output) }
        try body(try GGUFFile(contentsOf: tiny.url), output)
    }

    @Test("write then read gives back the same adapter", arguments: [[LoRATarget.query, .value], LoRATarget.allCases])
    func roundTrip(targets: [LoRATarget]) throws {
        let adapter = ExportFixtures.adapter(Self.configuration, rank: 4, alpha: 12, targets: targets)
        try withBase { base, url in
            try GGUFAdapterFormat.write(adapter, base: base, to: url)
            #expect(try GGUFAdapterFormat.read(url) == adapter)
            #expect(try GGUFAdapterFormat.read(url, configuration: Self.configuration) == adapter)
        }
    }

    @Test("metadata, tensor names, shapes and types are what llama.cpp's loader checks")
    func layout() throws {
        let c = Self.configuration, r = 3
        let adapter = ExportFixtures.adapter(c, rank: r, alpha: 7.5, targets: [.key, .output, .up])
        try withBase { base, url in
            try GGUFAdapterFormat.write(adapter, base: base, to: url)
            let file = try GGUFFile(contentsOf: url)
            #expect(file.metadata["general.architecture"] == .string("llama"))
            #expect(file.metadata["general.type"] == .string("adapter"))
            #expect(file.metadata["adapter.type"] == .string("lora"))
            #expect(file.metadata["adapter.lora.alpha"] == .float32(7.5), "llama.cpp reads alpha with gguf_get_val_f32")
            #expect(file.tensors.count == 2 * c.layerCount * 3)
            for layer in 0..<c.layerCount {
                for target in [LoRATarget.key, .output, .up] {
                    let weight = try #require(base.tensor(named: "blk.\(layer).\(target.ggufName).weight"))
                    let a = try #require(file.tensor(named: weight.name + ".lora_a"))
                    let b = try #require(file.tensor(named: weight.name + ".lora_b"))
                    // llama.cpp: model ne[0] == a ne[0], model ne[1] == b ne[1], a ne[1] == b ne[0].
                    #expect(a.shape == [weight.shape[0], r])
                    #expect(b.shape == [r, weight.shape[1]])
                    #expect(a.type == .f32 && b.type == .f32)
                    #expect(try file.floats(of: b) == adapter.layers[layer][target]?.b, "B rows stay in GGUF order")
                }
            }
        }
    }

    @Test("F16 factors read back within half-precision rounding")
    func halfPrecision() throws {
        let adapter = ExportFixtures.adapter(Self.configuration, rank: 2, targets: [.gate])
        try withBase { base, url in
            try GGUFAdapterFormat.write(adapter, base: base, type: .f16, to: url)
            let read = try GGUFAdapterFormat.read(url)
            #expect(try GGUFFile(contentsOf: url).tensors.allSatisfy { $0.type == .f16 })
            for layer in 0..<Self.configuration.layerCount {
                let pairs = zip(adapter.layers[layer][.gate]!.a + adapter.layers[layer][.gate]!.b,
                                read.layers[layer][.gate]!.a + read.layers[layer][.gate]!.b)
                #expect(pairs.allSatisfy { abs($0 - $1) <= abs($0) * 0x1p-11 + 1e-7 })
            }
        }
    }

    @Test("the adapter read back runs in LlamaModel like the original")
    func runsInModel() throws {
        let tiny = try TinyLlamaFile.forExport()
        defer { tiny.remove() }
        let adapter = ExportFixtures.adapter(Self.configuration, targets: [.query, .down])
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("adapter-\(UUID().uuidString).gguf")
        defer { try? FileManager.default.removeItem(at: url) }
        let base = try GGUFFile(contentsOf: tiny.url)
        try GGUFAdapterFormat.write(adapter, base: base, to: url)
        let model = try LlamaModel(file: base, threads: 1, adapter: try GGUFAdapterFormat.read(url, configuration: Self.configuration))
        let reference = try LlamaModel(file: base, threads: 1, adapter: adapter)
        let tokens = [3, 1, 4, 1, 5]
        #expect(try model.forward(tokens, session: model.makeSession()) == (try reference.forward(tokens, session: reference.makeSession())))
    }

    @Test("layers missing from the file get zero factors; a missing alpha means alpha = rank (llama.cpp's scale 1)")
    func sparseAdapter() throws {
        var writer = GGUFWriter()
        writer.set("general.architecture", .string("llama"))
        writer.set("general.type", .string("adapter"))
        writer.set("adapter.type", .string("lora"))
        try writer.addTensor(name: "blk.1.attn_v.weight.lora_a", shape: [64, 2], values: (0..<128).map(Float.init), as: .f32)
        try writer.addTensor(name: "blk.1.attn_v.weight.lora_b", shape: [2, 32], values: (0..<64).map(Float.init), as: .f32)
        try writer.addTensor(name: "blk.1.attn_norm.weight", shape: [64], values: .init(repeating: 1, count: 64), as: .f32)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("adapter-\(UUID().uuidString).gguf")
        defer { try? FileManager.default.removeItem(at: url) }
        try writer.write(to: url)
        let adapter = try GGUFAdapterFormat.read(url, configuration: Self.configuration)
        #expect(adapter.rank == 2 && adapter.alpha == 2 && adapter.scale == 1)
        #expect(adapter.targets == [.value])
        #expect(adapter.layers[0][.value]?.a == [Float](repeating: 0, count: 128))
        #expect(adapter.layers[1][.value]?.b == (0..<64).map(Float.init))
        #expect(adapter.mismatch(with: Self.configuration) == nil)
    }

    @Test("files that aren't LoRA adapters, or don't fit the model, give errors naming the tensor")
    func errors() throws {
        let tiny = try TinyLlamaFile.forExport()
        defer { tiny.remove() }
        // A model is not an adapter.
        let notAdapter = try #require(throws: ExportError.self) { try GGUFAdapterFormat.read(tiny.url) }
        guard case .invalidConfiguration(_, "adapter.type", _) = notAdapter else { Issue.record("got \(notAdapter)"); return }

        func adapterFile(_ tensors: [(String, [Int])]) throws -> URL {
            var writer = GGUFWriter()
            writer.set("general.architecture", .string("llama"))
            writer.set("general.type", .string("adapter"))
            writer.set("adapter.type", .string("lora"))
            writer.set("adapter.lora.alpha", .float32(4))
            for (name, shape) in tensors {
                try writer.addTensor(name: name, shape: shape, values: .init(repeating: 0.5, count: shape.reduce(1, *)), as: .f32)
            }
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("adapter-\(UUID().uuidString).gguf")
            try writer.write(to: url)
            return url
        }
        let cases: [([(String, [Int])], ExportError)] = [
            ([("blk.0.attn_q.weight.lora_a", [64, 2])], .missingTensor(path: "", tensor: "blk.0.attn_q.weight.lora_b")),
            ([("blk.0.attn_q.weight.lora_a", [64, 2]), ("blk.0.attn_q.weight.lora_b", [3, 64])],
             .rankMismatch(path: "", tensor: "blk.0.attn_q.weight.lora_b", expected: 2, actual: 3)),
            ([("blk.0.attn_q.weight.lora_a", [32, 2]), ("blk.0.attn_q.weight.lora_b", [2, 64])],
             .tensorShape(path: "", tensor: "blk.0.attn_q.weight.lora_a", expected: [64, 2], actual: [32, 2])),
            ([("token_embd.weight.lora_a", [64, 2])], .unexpectedTensor(path: "", tensor: "token_embd.weight.lora_a", reason: "")),
            ([("blk.0.attn_q.weight.lora_c", [64, 2])], .unexpectedTensor(path: "", tensor: "blk.0.attn_q.weight.lora_c", reason: "")),
            ([("blk.7.attn_q.weight.lora_a", [64, 2]), ("blk.7.attn_q.weight.lora_b", [2, 64])],
             .unexpectedTensor(path: "", tensor: "blk.7.attn_q.weight.lora_a", reason: "")),
        ]
        for (tensors, expected) in cases {
            let url = try adapterFile(tensors)
            defer { try? FileManager.default.removeItem(at: url) }
            let error = try #require(throws: ExportError.self) { try GGUFAdapterFormat.read(url, configuration: Self.configuration) }
            #expect(Self.sameCase(error, expected), "expected \(expected), got \(error)")
            #expect(error.description.contains(url.lastPathComponent))
        }
    }

    @Test("an adapter that doesn't fit the base is not written")
    func mismatch() throws {
        let adapter = ExportFixtures.adapter(ExportPEFTTests.smolLM2, rank: 2, targets: [.query])
        try withBase { base, url in
            #expect(throws: ExportError.self) { try GGUFAdapterFormat.write(adapter, base: base, to: url) }
            #expect(!FileManager.default.fileExists(atPath: url.path))
        }
    }

    /// Same case and tensor (paths and reasons aside).
    static func sameCase(_ a: ExportError, _ b: ExportError) -> Bool {
        switch (a, b) {
        case let (.missingTensor(_, x), .missingTensor(_, y)): x == y
        case let (.rankMismatch(_, x, e1, a1), .rankMismatch(_, y, e2, a2)): x == y && e1 == e2 && a1 == a2
        case let (.tensorShape(_, x, e1, a1), .tensorShape(_, y, e2, a2)): x == y && e1 == e2 && a1 == a2
        case let (.unexpectedTensor(_, x, _), .unexpectedTensor(_, y, _)): x == y
        default: false
        }
    }
}
