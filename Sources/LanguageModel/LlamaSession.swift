import Foundation
import TensorCore

/// The state of one conversation with a model: the key/value cache of the tokens seen so far and
/// the scratch buffers of a forward pass. Not thread-safe: one forward pass at a time per session.
public final class LlamaSession {
    public let configuration: LlamaConfiguration
    /// Tokens whose keys and values are cached.
    public private(set) var count = 0
    /// Tokens the cache can hold.
    public let capacity: Int
    /// Token ids in the cache, in order.
    public private(set) var tokens: [Int] = []

    /// Per layer: keys and values, each [capacity][KV*hd].
    let keys: [UnsafeMutablePointer<Float>]
    let values: [UnsafeMutablePointer<Float>]
    /// Scratch for up to `batch` tokens per forward step.
    let workspace: LlamaWorkspace

    init(configuration config: LlamaConfiguration, capacity: Int, batch: Int) {
        self.configuration = config
        self.capacity = capacity
        let size = capacity * config.kvWidth
        keys = (0..<config.layerCount).map { _ in UnsafeMutablePointer<Float>.allocate(capacity: size) }
        values = (0..<config.layerCount).map { _ in UnsafeMutablePointer<Float>.allocate(capacity: size) }
        workspace = LlamaWorkspace(configuration: config, batch: batch)
    }

    deinit {
        keys.forEach { $0.deallocate() }
        values.forEach { $0.deallocate() }
    }

    /// Forgets every token from `newCount` on (to reuse a shared prompt prefix).
    public func truncate(to newCount: Int) {
        precondition(newCount >= 0 && newCount <= count, "truncate(to: \(newCount)) outside 0...\(count)")
        count = newCount
        tokens.removeLast(tokens.count - newCount)
    }

    func didAppend(_ new: ArraySlice<Int>) {
        count += new.count
        tokens.append(contentsOf: new)
    }
}

/// Scratch buffers for a forward step of up to `batch` tokens.
final class LlamaWorkspace {
    let batch: Int
    let x: UnsafeMutablePointer<Float>          // [batch][C] residual stream
    let normed: UnsafeMutablePointer<Float>     // [batch][C]
    let query: UnsafeMutablePointer<Float>      // [batch][H*hd]
    let attended: UnsafeMutablePointer<Float>   // [batch][H*hd]
    let projected: UnsafeMutablePointer<Float>  // [batch][C]
    let gate: UnsafeMutablePointer<Float>       // [batch][F]
    let up: UnsafeMutablePointer<Float>         // [batch][F]
    let cos: UnsafeMutablePointer<Float>        // [batch][rot/2]
    let sin: UnsafeMutablePointer<Float>        // [batch][rot/2]
    let inverseFrequencies: [Float]             // [rot/2]

    init(configuration c: LlamaConfiguration, batch: Int) {
        self.batch = batch
        func buffer(_ n: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: n)
            p.initialize(repeating: 0, count: n)
            return p
        }
        x = buffer(batch * c.embeddingLength)
        normed = buffer(batch * c.embeddingLength)
        query = buffer(batch * c.queryWidth)
        attended = buffer(batch * c.queryWidth)
        projected = buffer(batch * c.embeddingLength)
        gate = buffer(batch * c.feedForwardLength)
        up = buffer(batch * c.feedForwardLength)
        cos = buffer(batch * c.rotaryDimension / 2)
        sin = buffer(batch * c.rotaryDimension / 2)
        // As the reference computes them, in f32: base^(-2i/d).
        inverseFrequencies = (0..<c.rotaryDimension / 2).map {
            1 / powf(c.ropeFrequencyBase, Float(2 * $0) / Float(c.rotaryDimension))
        }
    }

    deinit {
        [x, normed, query, attended, projected, gate, up, cos, sin].forEach { $0.deallocate() }
    }

    /// Fills the RoPE angle tables for positions start..<start+n.
    func prepareRotary(start: Int, n: Int) {
        let half = inverseFrequencies.count
        for t in 0..<n {
            let position = Float(start + t)
            for i in 0..<half {
                let angle = position * inverseFrequencies[i]
                cos[t * half + i] = cosf(angle)
                sin[t * half + i] = sinf(angle)
            }
        }
    }
}
