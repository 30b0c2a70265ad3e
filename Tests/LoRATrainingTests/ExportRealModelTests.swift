import Foundation
import GGUF
import LanguageModel
@testable import LoRATraining
import Testing
import Tokenization

/// The SmolLM2-135M-Instruct Q4_1 file, when present: $FINETUNE_TEST_MODEL, the finetune cache
/// (`make test` fetches it there) or /work/models.
enum ExportRealModel {
    static var url: URL? {
        let environment = ProcessInfo.processInfo.environment
        let home = environment["FINETUNE_HOME"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/finetune")
        let candidates = [
            environment["FINETUNE_TEST_MODEL"].map { URL(fileURLWithPath: $0) },
            home.appendingPathComponent("models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf"),
            URL(fileURLWithPath: "/work/models/SmolLM2-135M-Instruct.Q4_1.gguf"),
        ]
        return candidates.compactMap { $0 }.first { FileManager.default.fileExists(atPath: $0.path) }
    }
    static var isAvailable: Bool { url != nil }
}

/// Exports from the real model. With $FINETUNE_EXPORT_KEEP set to a folder, the adapter, the PEFT
/// folder and the merged model are also left there, for scripts/check_llama_cpp.py.
@Suite("Export from SmolLM2-135M", .enabled(if: ExportRealModel.isAvailable, "needs SmolLM2-135M-Instruct.Q4_1.gguf (make test fetches it)"))
struct ExportRealModelTests {
    static let prompt = "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n"

    /// Greedy continuation of `tokens`, and the logits of every prompt position.
    func run(_ model: LlamaModel, _ tokens: [Int], steps: Int) throws -> (logits: [Float], greedy: [Int]) {
        let session = model.makeSession(capacity: tokens.count + steps)
        let all = try model.forward(tokens, session: session, logits: .all)
        let V = model.configuration.vocabularySize
        var next = Sampler.argmax(Array(all[(all.count - V)...]))
        var greedy = [next]
        for _ in 1..<steps {
            next = Sampler.argmax(try model.forward([next], session: session))
            greedy.append(next)
        }
        return (all, greedy)
    }

    /// The adapter is folded into the base's Q4_1 weights in f32 and stored as F16 and as Q8_0.
    /// F16 keeps the folded weights to 2⁻¹¹ (measured: logits within 0.04 of base+adapter). Q8_0
    /// adds its own rounding of every weight: re-quantizing the base alone to Q8_0, with no adapter,
    /// already moves logits (±35) by up to 0.9 here, so Q8_0 is held to 1.5; the adapter itself
    /// moves logits by about 16 and changes the greedy answer.
    @Test("the merged F16 and Q8_0 models decode like the base model with the adapter")
    func mergedMatchesAdapter() throws {
        let url = try #require(ExportRealModel.url)
        let base = try GGUFFile(contentsOf: url)
        let configuration = try LlamaConfiguration(gguf: base)
        let adapter = ExportFixtures.adapter(configuration, rank: 8, alpha: 16, seed: 17, aScale: 0.1, bScale: 0.1)
        let keep = ProcessInfo.processInfo.environment["FINETUNE_EXPORT_KEEP"].map { URL(fileURLWithPath: $0) }
        let directory = try keep ?? ExportFixtures.temporaryDirectory()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { if keep == nil { try? FileManager.default.removeItem(at: directory) } }

        let tokens = try ByteLevelBPETokenizer(gguf: base).encode(Self.prompt)
        let adapted = try run(try LlamaModel(file: base, threads: 2, adapter: adapter), tokens, steps: 8)
        let plain = try run(try LlamaModel(file: base, threads: 2), tokens, steps: 8)
        let (effect, _) = ExportFixtures.worstDifference(plain.logits, adapted.logits)
        for (type, tolerance) in [(MergedModelExport.WeightType.f16, Float(0.1)), (.q8_0, 1.5)] {
            let mergedURL = directory.appendingPathComponent("smollm2-merged-\(type.rawValue).gguf")
            let start = Date()
            var steps = 0
            try MergedModelExport.write(base: base, adapter: adapter, type: type, to: mergedURL) { _, _ in steps += 1 }
            let seconds = Date().timeIntervalSince(start)
            #expect(steps == base.tensors.count)
            let merged = try run(try LlamaModel(file: try GGUFFile(contentsOf: mergedURL), threads: 2), tokens, steps: 8)
            let (worst, scale) = ExportFixtures.worstDifference(merged.logits, adapted.logits)
            let size = (try? FileManager.default.attributesOfItem(atPath: mergedURL.path)[.size] as? Int) ?? 0
            print("SmolLM2 merged \(type.rawValue) (\(size / 1_000_000) MB, written in \(String(format: "%.1f", seconds)) s): worst logit "
                  + "difference to base+adapter \(worst) over \(tokens.count) positions (largest logit \(scale)); the adapter "
                  + "moves logits by \(effect). Greedy: adapted \(adapted.greedy), merged \(merged.greedy), base \(plain.greedy)")
            #expect(worst < tolerance, "merged \(type.rawValue) logits differ from base+adapter by \(worst)")
            #expect(Array(merged.greedy.prefix(4)) == Array(adapted.greedy.prefix(4)))
        }
        #expect(effect > 5, "the adapter changes the model too little (\(effect)) for the comparison to mean much")

        try GGUFAdapterFormat.write(adapter, base: base, to: directory.appendingPathComponent("smollm2-adapter.gguf"))
        try PEFTAdapterFormat.write(adapter, configuration: configuration, baseModel: "HuggingFaceTB/SmolLM2-135M-Instruct",
                                    dropout: 0, to: directory.appendingPathComponent("smollm2-peft"))
        #expect(try GGUFAdapterFormat.read(directory.appendingPathComponent("smollm2-adapter.gguf"), configuration: configuration) == adapter)
        #expect(try PEFTAdapterFormat.read(directory.appendingPathComponent("smollm2-peft"), configuration: configuration) == adapter)
    }
}
