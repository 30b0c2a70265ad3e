import Foundation
import LanguageModel
import TensorCore
import TensorKernels

/// What one forward (and backward) pass over a batch measured.
public struct BatchResult: Sendable, Equatable {
    /// Σ cross-entropy over labelled positions (nats).
    public var lossSum: Double = 0
    /// Labelled positions whose most likely next token was the label.
    public var correct: Int = 0
    /// Labelled positions.
    public var count: Int = 0

    public init() {}

    public static func + (lhs: BatchResult, rhs: BatchResult) -> BatchResult {
        var sum = lhs
        sum.lossSum += rhs.lossSum
        sum.correct += rhs.correct
        sum.count += rhs.count
        return sum
    }

    public var meanLoss: Double { count > 0 ? lossSum / Double(count) : .nan }
    public var accuracy: Double { count > 0 ? Double(correct) / Double(count) : .nan }
}

/// A Llama model with LoRA adapters that can be trained: the forward pass keeps what the backward
/// pass needs, and the backward pass accumulates gradients of the adapters only (the base weights
/// are frozen; the embedding gets no gradient).
///
/// References: Hu et al. 2021 (LoRA); the forward pass is `LlamaModel`'s; the layout of forward
/// and backward side by side follows Karpathy's llm.c.
///
/// ```swift
/// let trainable = LlamaTrainingModel(model: model, lora: LoRAConfiguration(rank: 8))
/// trainable.parameters.initialize(seed: 42)
/// let result = trainable.run(batch, gradientScale: 1 / Float(batch.trainedCount), backward: true, seed: 1)
/// ```
public final class LlamaTrainingModel: @unchecked Sendable {
    // @unchecked: one training step at a time uses the activations (the trainer serialises steps).
    public let configuration: LlamaConfiguration
    public let lora: LoRAConfiguration
    public let parameters: LoRAParameters
    public let precision: MatrixPrecision
    let pool: ThreadPool
    let base: LlamaModel
    let layers: [Layer]
    let head: FrozenMatrix                 // [V][C]
    private var activations: TrainingActivations?
    /// Labelled rows of the output head computed at once (bounds the logits buffer).
    static let headChunk = 128

    struct Layer {
        let attentionNorm: [Float]                 // [C]
        let feedForwardNorm: [Float]               // [C]
        let linear: [LoRATarget: LoRALinear]
    }

    /// - Parameters:
    ///   - model: the base model (its weights are read, not changed).
    ///   - lora: rank, alpha, dropout and target layers.
    ///   - precision: how frozen products run (bf16 where the CPU has it: `MatrixPrecision.bestAvailable`).
    public init(model: LlamaModel, lora: LoRAConfiguration, precision: MatrixPrecision = .bestAvailable) {
        base = model
        configuration = model.configuration
        self.lora = lora
        self.precision = precision
        pool = model.pool
        let parameters = LoRAParameters(configuration: lora, model: model.configuration)
        self.parameters = parameters
        let pool = model.pool
        layers = model.weights.blocks.enumerated().map { index, block in
            var linear: [LoRATarget: LoRALinear] = [:]
            for target in LoRATarget.allCases {
                linear[target] = LoRALinear(weight: FrozenMatrix(block[target], precision: precision, pool: pool),
                                            adapter: parameters.view(layer: index, target: target),
                                            scale: lora.scale)
            }
            return Layer(attentionNorm: block.attentionNorm, feedForwardNorm: block.feedForwardNorm, linear: linear)
        }
        head = FrozenMatrix(model.weights.outputHead, precision: precision, pool: pool)
    }

    /// Weights of the linear layers and the output head, the part a parameter count is about.
    public static func frozenParameterCount(_ c: LlamaConfiguration) -> Int {
        let block = LoRATarget.allCases.reduce(0) { sum, target in
            let shape = target.shape(in: c)
            return sum + shape.out * shape.in
        }
        return c.layerCount * block + c.vocabularySize * c.embeddingLength
    }

    /// Bytes the frozen weights take once prepared: 4 per weight either way (fp32 keeps an f32
    /// copy; bf16 keeps two 2-byte packed layouts, one per product).
    public static func frozenBytes(_ c: LlamaConfiguration) -> Int { 4 * frozenParameterCount(c) }

    /// Bytes the activations and scratch of a pass over `tokens` tokens take.
    public static func activationBytes(_ c: LlamaConfiguration, lora: LoRAConfiguration, tokens: Int, longestSegment: Int,
                                       threads: Int) -> Int {
        let M = tokens
        let perLayer = M * (2 + 4 * c.embeddingLength + c.queryWidth + 2 * c.kvWidth + 2 * c.feedForwardLength + lora.targets.count * lora.rank)
        let shared = M * (c.embeddingLength * (c.layerCount + 4) + c.queryWidth * 2 + c.kvWidth * 2 + c.feedForwardLength * 4
                          + lora.rank + 2 * max(c.embeddingLength, c.feedForwardLength))
        let attention = SegmentAttention.scratchCount(longestSegment: longestSegment, threads: threads)
        let headBuffers = Self.headChunk * c.vocabularySize + 3 * M * c.embeddingLength
        return 4 * (perLayer * c.layerCount + shared + attention + headBuffers)
    }

    private func prepare(for batch: TrainingBatch) -> TrainingActivations {
        let longest = batch.longestSegment
        if let current = activations, current.capacity >= batch.count, current.longestSegment >= longest { return current }
        let capacity = max(batch.count, activations?.capacity ?? 0)
        let longestSegment = max(longest, activations?.longestSegment ?? 0)
        activations = nil   // free before allocating the larger set
        let fresh = TrainingActivations(configuration, lora: lora, capacity: capacity,
                                        longestSegment: longestSegment, threads: pool.threadCount)
        activations = fresh
        return fresh
    }

    /// Releases the activation buffers (they are re-made on the next pass).
    public func releaseActivations() { activations = nil }

    /// Runs the batch forward, computes the loss on its labelled positions and, when `backward`,
    /// adds d(loss · gradientScale)/d(parameters) into `parameters`' gradients.
    /// - Parameters:
    ///   - gradientScale: multiplies each position's loss gradient (1 / labelled positions in the
    ///     optimizer step gives the mean).
    ///   - seed: dropout masks' seed (ignored when dropout is 0 or not training).
    public func run(_ batch: TrainingBatch, gradientScale: Float, backward: Bool, seed: UInt64) -> BatchResult {
        guard batch.count > 0 else { return BatchResult() }
        let a = prepare(for: batch)
        let rope = Rotary.tables(positions: batch.positions, rotaryDimension: configuration.rotaryDimension,
                                 base: configuration.ropeFrequencyBase)
        let training = backward
        forward(batch, a, rope: rope, training: training, seed: seed)
        let result = headAndLoss(batch, a, gradientScale: gradientScale, backward: backward)
        if backward { self.backward(batch, a, rope: rope, seed: seed) }
        return result
    }
}
