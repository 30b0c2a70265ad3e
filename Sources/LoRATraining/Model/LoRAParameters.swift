import ChatDataset
import Foundation
import LanguageModel

/// Every trainable value of a LoRA adapter in one flat buffer, with gradients beside it, so the
/// optimizer is one loop (the layout of llm.c's parameter buffer).
///
/// Layout: for each layer, for each target in `LoRATarget.allCases` order that is adapted:
/// A [r][in] then B [out][r]. B rows of q and k follow the GGUF file's row order.
///
/// `@unchecked Sendable`: owned by one trainer; kernels write disjoint gradient slices.
public final class LoRAParameters: @unchecked Sendable {
    public let configuration: LoRAConfiguration
    public let model: LlamaConfiguration
    /// All values. [count]
    let values: FloatBuffer
    /// Gradients, the same layout. [count]
    let gradients: FloatBuffer
    /// Where each (layer, target)'s A and B start.
    private let offsets: [[LoRATarget: Int]]
    public var count: Int { values.count }

    /// Zero-initialised parameters for a model.
    public init(configuration: LoRAConfiguration, model: LlamaConfiguration) {
        self.configuration = configuration
        self.model = model
        var offsets: [[LoRATarget: Int]] = []
        var total = 0
        let r = configuration.rank
        for _ in 0..<model.layerCount {
            var layer: [LoRATarget: Int] = [:]
            for target in configuration.targets {
                layer[target] = total
                let shape = target.shape(in: model)
                total += r * shape.in + shape.out * r
            }
            offsets.append(layer)
        }
        self.offsets = offsets
        values = FloatBuffer(count: total)
        gradients = FloatBuffer(count: total)
    }

    /// Pointers to one adapted layer's factors and their gradients.
    struct View {
        let a: UnsafeMutablePointer<Float>        // [r][in]
        let b: UnsafeMutablePointer<Float>        // [out][r]
        let gradA: UnsafeMutablePointer<Float>    // [r][in]
        let gradB: UnsafeMutablePointer<Float>    // [out][r]
        let rank: Int
        let inputs: Int
        let outputs: Int
    }

    func view(layer: Int, target: LoRATarget) -> View? {
        guard let offset = offsets[layer][target] else { return nil }
        let shape = target.shape(in: model), r = configuration.rank
        let bOffset = offset + r * shape.in
        return View(a: values[offset], b: values[bOffset], gradA: gradients[offset], gradB: gradients[bOffset],
                    rank: r, inputs: shape.in, outputs: shape.out)
    }

    /// PEFT's initialisation: A from Kaiming-uniform with a = √5, i.e. U(−1/√in, 1/√in); B = 0, so
    /// the adapted model starts as the base model.
    public func initialize(seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        for layer in 0..<model.layerCount {
            for target in configuration.targets {
                guard let v = view(layer: layer, target: target) else { continue }
                let bound = 1 / Float(v.inputs).squareRoot()
                for i in 0..<(v.rank * v.inputs) { v.a[i] = Float.random(in: -bound...bound, using: &generator) }
                v.b.update(repeating: 0, count: v.outputs * v.rank)
            }
        }
    }

    public func zeroGradients() { gradients.zero() }

    /// The values as an adapter (copies).
    public func adapter() -> LowRankAdapter {
        let layers = (0..<model.layerCount).map { layer in
            var factors: [LoRATarget: LowRankAdapter.Factors] = [:]
            for target in configuration.targets {
                guard let v = view(layer: layer, target: target) else { continue }
                factors[target] = .init(a: Array(UnsafeBufferPointer(start: v.a, count: v.rank * v.inputs)),
                                        b: Array(UnsafeBufferPointer(start: v.b, count: v.outputs * v.rank)))
            }
            return factors
        }
        return LowRankAdapter(rank: configuration.rank, alpha: configuration.alpha, targets: configuration.targets, layers: layers)
    }

    /// Loads values from an adapter with the same rank, targets and model.
    /// - Returns: nil on success, else what doesn't match.
    public func load(_ adapter: LowRankAdapter) -> String? {
        if let problem = adapter.mismatch(with: model) { return problem }
        guard adapter.rank == configuration.rank, adapter.targets == configuration.targets else {
            return "the adapter has rank \(adapter.rank) on \(adapter.targets.map(\.rawValue)), the run rank \(configuration.rank) on \(configuration.targets.map(\.rawValue))"
        }
        for layer in 0..<model.layerCount {
            for target in configuration.targets {
                guard let v = view(layer: layer, target: target), let f = adapter.layers[layer][target] else { continue }
                f.a.withUnsafeBufferPointer { v.a.update(from: $0.baseAddress!, count: $0.count) }
                f.b.withUnsafeBufferPointer { v.b.update(from: $0.baseAddress!, count: $0.count) }
            }
        }
        return nil
    }

    /// The values, as a plain array (checkpoints, tests).
    public var allValues: [Float] { Array(UnsafeBufferPointer(start: values.pointer, count: count)) }
    /// The gradients, as a plain array.
    public var allGradients: [Float] { Array(UnsafeBufferPointer(start: gradients.pointer, count: count)) }

    public func setValues(_ new: [Float]) {
        precondition(new.count == count, "parameter count")
        new.withUnsafeBufferPointer { values.pointer.update(from: $0.baseAddress!, count: count) }
    }

    /// One tensor's gradient, for tests: A [r][in] or B [out][r].
    public func gradient(layer: Int, target: LoRATarget, factor: Factor) -> [Float] {
        guard let v = view(layer: layer, target: target) else { return [] }
        switch factor {
        case .a: return Array(UnsafeBufferPointer(start: v.gradA, count: v.rank * v.inputs))
        case .b: return Array(UnsafeBufferPointer(start: v.gradB, count: v.outputs * v.rank))
        }
    }

    /// Sets one tensor's values, for tests and imports.
    public func set(layer: Int, target: LoRATarget, factor: Factor, to new: [Float]) {
        guard let v = view(layer: layer, target: target) else { return }
        let destination = factor == .a ? v.a : v.b
        let expected = factor == .a ? v.rank * v.inputs : v.outputs * v.rank
        precondition(new.count == expected, "factor size")
        new.withUnsafeBufferPointer { destination.update(from: $0.baseAddress!, count: expected) }
    }

    public enum Factor: Sendable { case a, b }
}
