@testable import LoRATraining
import Testing

@Suite("Hyperparameters and schedules")
struct TrainerOptionsTests {
    @Test("auto picks about 3 epochs, a power-of-two batch and 1e-3 scaled by the batch for a small model")
    func automatic() throws {
        let h = try TrainingOptions().resolve(examples: 316, parameters: 135_000_000, contextLength: 8192)
        #expect(h.epochs == 3)
        #expect(h.batchSize == 8)
        #expect(h.learningRate == 1e-3)
        #expect(h.totalSteps == 40 * 3)
        #expect(Set(h.automatic) == ["n_epochs", "batch_size", "learning_rate"])
        let tiny = try TrainingOptions().resolve(examples: 20, parameters: 135_000_000, contextLength: 8192)
        #expect(tiny.epochs == 5)            // 100 examples' worth at least, as OpenAI does
        let big = try TrainingOptions().resolve(examples: 20_000, parameters: 7_000_000_000, contextLength: 8192)
        #expect(big.epochs == 1)
        #expect(big.learningRate < 1e-3)
    }

    @Test("values the user gives are kept and bad ones are refused with the option's name")
    func explicit() throws {
        var options = TrainingOptions()
        options.epochs = 2
        options.learningRate = 2e-4
        options.batchSize = 4
        let h = try options.resolve(examples: 100, parameters: 1, contextLength: 512)
        #expect(h.epochs == 2 && h.learningRate == 2e-4 && h.batchSize == 4 && h.automatic.isEmpty)
        options.learningRate = -1
        #expect(throws: TrainingError.invalidHyperparameter(name: "--learning-rate", message: "must be a positive number below 1, e.g. 1e-3 (or auto)")) {
            try options.resolve(examples: 100, parameters: 1, contextLength: 512)
        }
    }

    @Test("warm-up rises linearly from 0, cosine and linear decay end at 0")
    func schedules() {
        let cosine = LearningRateSchedule(peak: 1e-3, warmupSteps: 2, totalSteps: 20, decay: .cosine)
        #expect(cosine.rate(at: 0) == 0)
        #expect(cosine.rate(at: 1) == 5e-4)
        #expect(cosine.rate(at: 2) == 1e-3)
        #expect(abs(cosine.rate(at: 11) - 5e-4) < 1e-9)
        #expect(cosine.rate(at: 20) == 0)
        let linear = LearningRateSchedule(peak: 1e-3, warmupSteps: 0, totalSteps: 10, decay: .linear)
        #expect(abs(linear.rate(at: 5) - 5e-4) < 1e-9)
        #expect(LearningRateSchedule(peak: 1e-3, warmupSteps: 0, totalSteps: 10, decay: .constant).rate(at: 9) == 1e-3)
    }

    @Test("a step's examples are packed without padding and every epoch visits each example once")
    func batchPlan() {
        let examples = (0..<10).map { i in EncodedExample(tokens: [Int32](repeating: Int32(i), count: 5 + i), trained: [Bool](repeating: true, count: 5 + i), truncated: false) }
        let plan = BatchPlan(examples: examples, batchSize: 3, maxBatchTokens: 20, seed: 9)
        #expect(plan.stepsPerEpoch == 4)
        var seen: [Int32] = []
        for step in 0..<4 {
            let passes = plan.passes(step: step)
            #expect(passes.allSatisfy { $0.count <= 20 || $0.segments.count == 1 })
            seen += passes.flatMap { pass in pass.segments.map { pass.tokens[$0.start] } }
        }
        #expect(seen.sorted() == (0..<10).map { Int32($0) })
        #expect(plan.order(epoch: 0) != plan.order(epoch: 1))
        #expect(plan.order(epoch: 1) == BatchPlan(examples: examples, batchSize: 3, maxBatchTokens: 20, seed: 9).order(epoch: 1))
    }
}

@Suite("Divergence")
struct DivergenceTests {
    @Test("NaN, infinite gradients and a loss above both twice the start and ln(V) stop a run")
    func detection() {
        #expect(Trainer.divergence(loss: .nan, gradientNorm: 1, firstLoss: 2.7, vocabularySize: 49_152) != nil)
        #expect(Trainer.divergence(loss: 2, gradientNorm: .infinity, firstLoss: 2.7, vocabularySize: 49_152) != nil)
        #expect(Trainer.divergence(loss: 26, gradientNorm: 1347, firstLoss: 2.7, vocabularySize: 49_152)?.contains("exploded to 26.00") == true)
        // A noisy but healthy step, and the first step (nothing to compare with), pass.
        #expect(Trainer.divergence(loss: 5.1, gradientNorm: 3, firstLoss: 2.7, vocabularySize: 49_152) == nil)
        #expect(Trainer.divergence(loss: 9, gradientNorm: 3, firstLoss: nil, vocabularySize: 49_152) == nil)
    }
}
