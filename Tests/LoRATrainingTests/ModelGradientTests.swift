import Foundation
import GGUF
import LanguageModel
@testable import LoRATraining
import TensorCore
import Testing

/// The whole model's backward pass against finite differences of its loss, on a tiny random
/// Llama with adapters on every target, two packed examples and a partial label mask.
@Suite("Training model gradients")
struct ModelGradientTests {
    static func batch() -> TrainingBatch {
        var batch = TrainingBatch()
        batch.append(tokens: [1, 5, 9, 13, 2, 7], trained: [false, false, false, true, true, true])
        batch.append(tokens: [3, 8, 21, 34, 5], trained: [false, true, true, false, true])
        return batch
    }

    func randomized(_ trainable: LlamaTrainingModel, seed: UInt64) {
        var values = TestValues(seed: seed)
        trainable.parameters.setValues(values.array(trainable.parameters.count, scale: 0.3))
    }

    @Test("every adapter tensor's gradient matches finite differences of the mean loss")
    func wholeModel() throws {
        let tiny = try TinyLlamaFile.forTraining()
        defer { tiny.remove() }
        let trainable = LlamaTrainingModel(model: try tiny.model(), lora: LoRAConfiguration(rank: 2, alpha: 4, dropout: 0), precision: .float32)
        randomized(trainable, seed: 11)
        let batch = Self.batch()
        let scale = 1 / Float(batch.trainedCount)
        trainable.parameters.zeroGradients()
        _ = trainable.run(batch, gradientScale: scale, backward: true, seed: 1)
        let analytic = trainable.parameters.allGradients
        var values = trainable.parameters.allValues
        // A few entries of every tensor: the first and last of each A and B.
        var indices: [Int] = []
        var offset = 0
        let c = TinyLlamaFile.trainingConfiguration
        for _ in 0..<c.layerCount {
            for target in LoRATarget.allCases {
                let shape = target.shape(in: c)
                let aCount = 2 * shape.in, bCount = shape.out * 2
                indices += [offset, offset + aCount / 2, offset + aCount - 1, offset + aCount, offset + aCount + bCount / 2, offset + aCount + bCount - 1]
                offset += aCount + bCount
            }
        }
        let check = finiteDifferenceError(values: &values, analytic: analytic, indices: indices, step: 1e-2) { candidate in
            trainable.parameters.setValues(candidate)
            return trainable.run(batch, gradientScale: 0, backward: false, seed: 1).meanLoss
        }
        #expect(check.worst < 2e-2, "worst relative error \(check.worst) at parameter \(check.index)")
        #expect(analytic.contains { $0 != 0 })
    }

    @Test("packing examples into one batch gives each example's own loss and gradients")
    func packingIsExact() throws {
        let tiny = try TinyLlamaFile.forTraining()
        defer { tiny.remove() }
        let trainable = LlamaTrainingModel(model: try tiny.model(), lora: LoRAConfiguration(rank: 2, alpha: 4, dropout: 0), precision: .float32)
        randomized(trainable, seed: 12)
        let packed = Self.batch()
        trainable.parameters.zeroGradients()
        let together = trainable.run(packed, gradientScale: 1, backward: true, seed: 1)
        let packedGradients = trainable.parameters.allGradients

        trainable.parameters.zeroGradients()
        var separate = BatchResult()
        var first = TrainingBatch(), second = TrainingBatch()
        first.append(tokens: [1, 5, 9, 13, 2, 7], trained: [false, false, false, true, true, true])
        second.append(tokens: [3, 8, 21, 34, 5], trained: [false, true, true, false, true])
        separate = separate + trainable.run(first, gradientScale: 1, backward: true, seed: 1)
        separate = separate + trainable.run(second, gradientScale: 1, backward: true, seed: 1)
        let separateGradients = trainable.parameters.allGradients
        #expect(together.count == separate.count)
        #expect(abs(together.lossSum - separate.lossSum) < 1e-4 * abs(separate.lossSum))
        let worst = zip(packedGradients, separateGradients).map { abs($0 - $1) }.max() ?? 0
        let largest = separateGradients.map { abs($0) }.max() ?? 1
        #expect(worst <= 1e-4 * largest, "worst gradient difference \(worst) of \(largest)")
    }

    @Test("the training forward pass gives the inference runtime's logits-based loss")
    func matchesInference() throws {
        let tiny = try TinyLlamaFile.forTraining()
        defer { tiny.remove() }
        let trainable = LlamaTrainingModel(model: try tiny.model(), lora: LoRAConfiguration(rank: 2, alpha: 4, dropout: 0), precision: .float32)
        randomized(trainable, seed: 13)
        var batch = TrainingBatch()
        let tokens: [Int32] = [4, 17, 29, 3, 11]
        batch.append(tokens: tokens, trained: [false, true, true, true, true])
        let result = trainable.run(batch, gradientScale: 0, backward: false, seed: 1)
        // The same adapter through the inference runtime.
        let adapted = try LlamaModel(file: try GGUF.GGUFFile(contentsOf: tiny.url), threads: 1, adapter: trainable.parameters.adapter())
        let session = adapted.makeSession(capacity: 16)
        let logits = try adapted.forward(tokens.map(Int.init), session: session, logits: .all)
        let V = TinyLlamaFile.trainingConfiguration.vocabularySize
        var expected = 0.0
        for t in 0..<(tokens.count - 1) {
            let row = logits[(t * V)..<((t + 1) * V)].map(Double.init)
            let m = row.max()!
            expected += log(row.reduce(0) { $0 + exp($1 - m) }) + m - row[Int(tokens[t + 1])]
        }
        #expect(abs(result.lossSum - expected) < 1e-4 * expected, "training \(result.lossSum) vs inference \(expected)")
    }
}
