import ChatDataset
import Foundation
import GGUF
import LanguageModel
@testable import LoRATraining
import TensorCore
import Testing

/// The real SmolLM2 file, when present (`make test` fetches it).
enum ReferenceModel {
    static var url: URL? {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["FINETUNE_TEST_MODEL"] { return URL(fileURLWithPath: path) }
        let home = environment["FINETUNE_HOME"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/finetune")
        let url = home.appendingPathComponent("models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf")
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }
    static var isAvailable: Bool { url != nil }
}

/// scripts/reference/make_lora_fixtures.py: transformers + PEFT in fp32 on the same GGUF.
struct LoRAReferenceFixture: Decodable {
    struct Example: Decodable {
        let ids: [Int32]
        let trained: [Int]
        let labels: [Int32]
    }
    struct TensorSummary: Decodable {
        let name: String
        let shape: [Int]
        let norm: Double
        let sum: Double
        let first: [Float]
    }
    struct Gradient: Decodable {
        let examples: [Int]
        let loss: Double
        let label_count: Int
        let tensors: [TensorSummary]
        let full: [String: [Float]]
    }
    struct Step: Decodable {
        let step: Int
        let examples: [Int]
        let loss: Double
        let grad_norm: Double
        let learning_rate: Double
    }
    struct Training: Decodable {
        let steps: [Step]
        let final_b_norm: Double
    }
    let examples: [Example]
    let gradient: Gradient
    let training: Training

    static func load() throws -> LoRAReferenceFixture {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/lora_reference.json")
        return try JSONDecoder().decode(LoRAReferenceFixture.self, from: Data(contentsOf: url))
    }

    static func chatExamples() throws -> [ChatExample] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/reference_examples.jsonl")
        return try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map { line in
            try ChatExample(json: try JSONValue(parsing: String(line)))
        }
    }
}

@Suite("LoRA training against transformers + PEFT", .serialized, .enabled(if: ReferenceModel.isAvailable, "needs the SmolLM2 model (make test fetches it)"))
struct PEFTReferenceTests {
    static let moduleOrder: [LoRATarget] = [.query, .key, .value, .output, .gate, .up, .down]

    /// The fixture's initial values: A[i][j] = 0.02 sin(0.7i + 0.013j + 1.3l + 0.5m + 0.1),
    /// B[i][j] = 0.01 cos(0.11i + 0.9j + 0.7l + 0.3m), in Hugging Face row order.
    static func initialize(_ parameters: LoRAParameters, withB: Bool) {
        let c = parameters.model, r = parameters.configuration.rank
        for layer in 0..<c.layerCount {
            for (m, target) in moduleOrder.enumerated() {
                let shape = target.shape(in: c)
                let l = Double(layer), md = Double(m)
                var a = [Float](repeating: 0, count: r * shape.in)
                for i in 0..<r { for j in 0..<shape.in { a[i * shape.in + j] = Float(0.02 * sin(0.7 * Double(i) + 0.013 * Double(j) + 1.3 * l + 0.5 * md + 0.1)) } }
                var b = [Float](repeating: 0, count: shape.out * r)
                if withB {
                    for i in 0..<shape.out { for j in 0..<r { b[i * r + j] = Float(0.01 * cos(0.11 * Double(i) + 0.9 * Double(j) + 0.7 * l + 0.3 * md)) } }
                    b = toGGUF(b, target: target, configuration: c, rank: r)
                }
                parameters.set(layer: layer, target: target, factor: .a, to: a)
                parameters.set(layer: layer, target: target, factor: .b, to: b)
            }
        }
    }

    static func toGGUF(_ rows: [Float], target: LoRATarget, configuration c: LlamaConfiguration, rank: Int) -> [Float] {
        guard target.isRotaryPermuted else { return rows }
        let heads = target == .query ? c.headCount : c.kvHeadCount
        return RotaryRowOrder.gguf(fromHuggingFace: rows, heads: heads, headDimension: c.headDimension, columns: rank)
    }

    static func toHuggingFace(_ rows: [Float], target: LoRATarget, configuration c: LlamaConfiguration, rank: Int) -> [Float] {
        guard target.isRotaryPermuted else { return rows }
        let heads = target == .query ? c.headCount : c.kvHeadCount
        return RotaryRowOrder.huggingFace(fromGGUF: rows, heads: heads, headDimension: c.headDimension, columns: rank)
    }

    static func setUp() throws -> (LlamaModel, GGUFFile) {
        let url = try #require(ReferenceModel.url)
        let file = try GGUFFile(contentsOf: url)
        return (try LlamaModel(file: file, threads: 2), file)
    }

    @Test("the chat template and the loss mask give the reference's token ids and trained tokens")
    func masks() throws {
        let (_, file) = try Self.setUp()
        let fixture = try LoRAReferenceFixture.load()
        let encoder = ExampleEncoder(formatter: try ChatFormatter(file: file), maxLength: 4096)
        for (index, (example, expected)) in zip(try LoRAReferenceFixture.chatExamples(), fixture.examples).enumerated() {
            let encoded = try encoder.encode(example)
            #expect(encoded.tokens == expected.ids, "example \(index): token ids differ")
            #expect(encoded.trained.map { $0 ? 1 : 0 } == expected.trained, "example \(index): trained tokens differ")
            var batch = TrainingBatch()
            batch.append(tokens: encoded.tokens, trained: encoded.trained)
            #expect(batch.labels == expected.labels.map { $0 < 0 ? -1 : $0 }, "example \(index): labels differ")
        }
    }

    /// Tolerances: loss 1e-4 relative; each gradient tensor's norm 2e-3 relative; every compared
    /// gradient value within 2e-3 of the tensor's largest value (fp32 both sides; the
    /// differences come from summation order).
    @Test("one batch: the loss and all 420 LoRA gradients match PEFT's")
    func gradients() throws {
        let (model, _) = try Self.setUp()
        let fixture = try LoRAReferenceFixture.load()
        let trainable = LlamaTrainingModel(model: model, lora: LoRAConfiguration(rank: 8, alpha: 16, dropout: 0), precision: .float32)
        Self.initialize(trainable.parameters, withB: true)
        var batch = TrainingBatch()
        for index in fixture.gradient.examples {
            let example = fixture.examples[index]
            batch.append(tokens: example.ids, trained: example.trained.map { $0 != 0 })
        }
        #expect(batch.trainedCount == fixture.gradient.label_count)
        trainable.parameters.zeroGradients()
        let result = trainable.run(batch, gradientScale: 1 / Float(batch.trainedCount), backward: true, seed: 0)
        let lossError = abs(result.meanLoss - fixture.gradient.loss) / fixture.gradient.loss
        #expect(lossError < 1e-4, "loss \(result.meanLoss) vs PEFT \(fixture.gradient.loss)")

        let c = model.configuration
        var worstNorm = (0.0, ""), worstValue = (0.0, "")
        for summary in fixture.gradient.tensors {
            let parts = summary.name.split(separator: ".")      // layers.L.module.lora_X
            let layer = Int(parts[1])!, target = LoRATarget(rawValue: String(parts[2]))!
            let isA = parts[3] == "lora_A"
            var gradient = trainable.parameters.gradient(layer: layer, target: target, factor: isA ? .a : .b)
            if !isA { gradient = Self.toHuggingFace(gradient, target: target, configuration: c, rank: 8) }
            let norm = gradient.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            let normError = abs(norm - summary.norm) / max(summary.norm, 1e-12)
            if normError > worstNorm.0 { worstNorm = (normError, summary.name) }
            let reference = fixture.gradient.full[summary.name] ?? summary.first
            let scale = Double(reference.map { abs($0) }.max() ?? 0)
            let worst = zip(gradient, reference).map { Double(abs($0 - $1)) }.max() ?? 0
            if scale > 0, worst / scale > worstValue.0 { worstValue = (worst / scale, summary.name) }
        }
        #expect(worstNorm.0 < 2e-3, "worst gradient norm difference \(worstNorm.0) in \(worstNorm.1)")
        #expect(worstValue.0 < 2e-3, "worst gradient value difference \(worstValue.0) in \(worstValue.1)")
        print("PEFT reference: loss \(result.meanLoss) vs \(fixture.gradient.loss); worst norm diff \(worstNorm); worst value diff \(worstValue)")
    }

    /// The same 20 optimizer steps as the reference (AdamW 1e-3, wd 0.01, clip 1.0, cosine with 2
    /// warm-up steps, batches of 4): every step's loss within 0.5% and gradient norm within 2%.
    @Test("20 training steps follow PEFT's loss curve")
    func lossCurve() throws {
        let (worstLoss, worstNorm) = try curve(precision: .float32)
        #expect(worstLoss.0 < 5e-3, "worst loss difference \(worstLoss.0) at step \(worstLoss.1)")
        #expect(worstNorm.0 < 2e-2, "worst gradient norm difference \(worstNorm.0) at step \(worstNorm.1)")
        print("PEFT 20-step curve, fp32: worst loss diff \(worstLoss), worst grad-norm diff \(worstNorm)")
    }

    /// bf16 products (fp32 accumulation and master weights) against PEFT's fp32 curve: every
    /// step's loss within 3%.
    @Test("20 training steps with bf16 products stay within 3% of PEFT's fp32 loss curve",
          .enabled(if: MatrixPrecision.bfloat16.isSupported, "needs native bf16 (AVX512_BF16)"))
    func lossCurveBF16() throws {
        let (worstLoss, worstNorm) = try curve(precision: .bfloat16)
        #expect(worstLoss.0 < 3e-2, "worst loss difference \(worstLoss.0) at step \(worstLoss.1)")
        print("PEFT 20-step curve, bf16: worst loss diff \(worstLoss), worst grad-norm diff \(worstNorm)")
    }

    func curve(precision: MatrixPrecision) throws -> (loss: (Double, Int), norm: (Double, Int)) {
        let (model, _) = try Self.setUp()
        let fixture = try LoRAReferenceFixture.load()
        let trainable = LlamaTrainingModel(model: model, lora: LoRAConfiguration(rank: 8, alpha: 16, dropout: 0), precision: precision)
        Self.initialize(trainable.parameters, withB: false)
        var optimizer = AdamW(parameterCount: trainable.parameters.count, weightDecay: 0.01)
        let schedule = LearningRateSchedule(peak: 1e-3, warmupSteps: 2, totalSteps: 20, decay: .cosine)
        var worstLoss = (0.0, 0), worstNorm = (0.0, 0)
        for step in fixture.training.steps {
            var batch = TrainingBatch()
            for index in step.examples {
                let example = fixture.examples[index]
                batch.append(tokens: example.ids, trained: example.trained.map { $0 != 0 })
            }
            trainable.parameters.zeroGradients()
            let result = trainable.run(batch, gradientScale: 1 / Float(batch.trainedCount), backward: true, seed: 0)
            let norm = clipGradients(trainable.parameters.gradients.pointer, count: trainable.parameters.count, maxNorm: 1)
            let rate = schedule.rate(at: step.step)
            #expect(abs(Double(rate) - step.learning_rate) < 1e-9)
            optimizer.update(trainable.parameters.values.pointer, gradients: trainable.parameters.gradients.pointer,
                             count: trainable.parameters.count, rate: rate)
            let lossError = abs(result.meanLoss - step.loss) / step.loss
            let normError = abs(norm - step.grad_norm) / step.grad_norm
            if lossError > worstLoss.0 { worstLoss = (lossError, step.step) }
            if normError > worstNorm.0 { worstNorm = (normError, step.step) }
        }
        return (worstLoss, worstNorm)
    }
}
