#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ChatDataset
import Foundation
import LanguageModel
import TensorCore

/// Times LoRA training steps on fixed random sequences (every position trained), the setup of
/// `bench/train_peers.py`: forward, backward and an AdamW update per step.
public struct TrainingBenchmark: Sendable {
    public var sequences = 4
    public var length = 256
    public var warmupSteps = 1
    public var steps = 5
    public var lora = LoRAConfiguration(rank: 8, alpha: 16, dropout: 0)
    public var precision: MatrixPrecision = .bestAvailable
    public var seed: UInt64 = 0

    public init() {}

    public struct Result: Sendable, Codable {
        public var tokensPerSecond: Double
        public var peakMemoryBytes: Int
        public var secondsPerStep: [Double]
        public var losses: [Double]
        public var precision: String
        public var threads: Int
        public var tokensPerStep: Int

        enum CodingKeys: String, CodingKey {
            case losses, precision, threads
            case tokensPerSecond = "tokens_per_second"
            case peakMemoryBytes = "peak_memory_bytes"
            case secondsPerStep = "seconds_per_step"
            case tokensPerStep = "tokens_per_step"
        }
    }

    /// Runs warm-up then timed steps. `progress(step, total)` after each step.
    public func run(_ model: LlamaModel, progress: (Int, Int) -> Void = { _, _ in }) -> Result {
        let trainable = LlamaTrainingModel(model: model, lora: lora, precision: precision)
        trainable.parameters.initialize(seed: seed)
        var generator = SeededGenerator(seed: seed &+ 1)
        var batch = TrainingBatch()
        let vocabulary = model.configuration.vocabularySize
        for _ in 0..<sequences {
            let ids = (0..<length).map { _ in Int32(generator.next() % UInt64(vocabulary)) }
            batch.append(tokens: ids, trained: [false] + [Bool](repeating: true, count: length - 1))
        }
        var optimizer = AdamW(parameterCount: trainable.parameters.count)
        let clock = ContinuousClock()
        var seconds: [Double] = [], losses: [Double] = []
        for step in 0..<(warmupSteps + steps) {
            let start = clock.now
            trainable.parameters.zeroGradients()
            let result = trainable.run(batch, gradientScale: 1 / Float(batch.trainedCount), backward: true, seed: UInt64(step))
            clipGradients(trainable.parameters.gradients.pointer, count: trainable.parameters.count, maxNorm: 1)
            optimizer.update(trainable.parameters.values.pointer, gradients: trainable.parameters.gradients.pointer,
                             count: trainable.parameters.count, rate: 1e-4)
            if step >= warmupSteps {
                seconds.append((clock.now - start).seconds)
                losses.append(result.meanLoss)
            }
            progress(step + 1, warmupSteps + steps)
        }
        var usage = rusage()
        #if os(Linux)
        getrusage(RUSAGE_SELF.rawValue, &usage)
        #else
        getrusage(RUSAGE_SELF, &usage)
        #endif
        #if os(Linux)
        let peak = Int(usage.ru_maxrss) * 1024
        #else
        let peak = Int(usage.ru_maxrss)
        #endif
        let total = seconds.reduce(0, +)
        return Result(tokensPerSecond: Double(batch.count * steps) / max(total, 1e-9), peakMemoryBytes: peak,
                      secondsPerStep: seconds, losses: losses, precision: precision.rawValue, threads: model.threadCount,
                      tokensPerStep: batch.count)
    }
}
