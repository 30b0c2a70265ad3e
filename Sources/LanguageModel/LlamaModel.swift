import Foundation
import GGUF
import TensorCore

/// Which logits a forward pass returns.
public enum LogitsRequest: Sendable {
    /// None (only fill the cache: a prompt prefix).
    case none
    /// The last token's (generation).
    case last
    /// Every new token's, [n][V] (evaluation, tests).
    case all
}

/// A Llama-architecture decoder (Llama 2/3, SmolLM, Mistral-style GGUF files): RMSNorm,
/// rotary embeddings, grouped-query attention, SwiGLU feed-forward, tied or separate output head.
///
/// References: Touvron et al. 2023 (LLaMA); the tensor layout of GGUF Llama files (llama.cpp's
/// `llm_build_llama`). Pure computation: no IO, no printing.
///
/// ```swift
/// let model = try LlamaModel(file: try GGUFFile(contentsOf: url))
/// let session = model.makeSession(capacity: 512)
/// let logits = try model.forward([1, 2, 3], session: session)    // [V] for the last token
/// ```
public final class LlamaModel: @unchecked Sendable {
    // @unchecked: weights are immutable; `lock` serialises forward passes, which share `pool`.
    // Models made by `withAdapter` share `weights`, `pool` and the same `lock` object, so two of
    // them never run on the pool at once.
    public let configuration: LlamaConfiguration
    package let weights: LlamaWeights
    package let pool: ThreadPool
    /// LoRA factors added to the frozen weights' products, if any.
    public let adapter: LowRankAdapter?
    private let lock: NSLock
    /// The GGUF file's name, for error messages.
    private let fileName: String
    /// Tokens processed per forward step of a long prompt (bounds the scratch memory).
    public static let defaultBatch = 256

    /// - Parameters:
    ///   - file: a GGUF file with `general.architecture = llama`.
    ///   - threads: compute threads (default: every core).
    ///   - adapter: a LoRA adapter trained for this model, applied beside the frozen weights.
    /// - Throws: `LanguageModelError` for another architecture, missing or misshapen tensors,
    ///   weight types the runtime can't run, or an adapter that doesn't fit the model.
    public init(file: GGUFFile, threads: Int = ThreadPool.defaultThreadCount, adapter: LowRankAdapter? = nil) throws(LanguageModelError) {
        let config = try LlamaConfiguration(gguf: file)
        if let adapter, let problem = adapter.mismatch(with: config) {
            throw .adapterMismatch(file: file.url.lastPathComponent, message: problem)
        }
        self.adapter = adapter
        configuration = config
        weights = try LlamaWeights(file: file, configuration: config)
        pool = ThreadPool(threadCount: threads)
        lock = NSLock()
        fileName = file.url.lastPathComponent
        BLAS.useSingleThread()
    }

    private init(sharing base: LlamaModel, adapter: LowRankAdapter?) {
        configuration = base.configuration
        weights = base.weights
        pool = base.pool
        lock = base.lock
        fileName = base.fileName
        self.adapter = adapter
    }

    /// The same frozen weights with another adapter (or none), without copying or re-reading
    /// anything: the new model shares this one's weights, thread pool and forward-pass lock, so
    /// forward passes of the two never overlap.
    ///
    /// ```swift
    /// let base = try LlamaModel(file: file)
    /// let tuned = try base.withAdapter(try AdapterSource(path: run).read(configuration: base.configuration))
    /// ```
    /// - Parameter adapter: LoRA factors trained for this model, or nil for the bare model.
    /// - Throws: `LanguageModelError.adapterMismatch` when the adapter doesn't fit the model.
    public func withAdapter(_ adapter: LowRankAdapter?) throws(LanguageModelError) -> LlamaModel {
        if let adapter, let problem = adapter.mismatch(with: configuration) {
            throw .adapterMismatch(file: fileName, message: problem)
        }
        return LlamaModel(sharing: self, adapter: adapter)
    }

    /// Threads the kernels use.
    public var threadCount: Int { pool.threadCount }

    /// A new, empty conversation state holding up to `capacity` tokens (at most the context length).
    public func makeSession(capacity: Int? = nil, batch: Int = LlamaModel.defaultBatch) -> LlamaSession {
        let size = min(configuration.contextLength, max(1, capacity ?? configuration.contextLength))
        return LlamaSession(configuration: configuration, capacity: size, batch: max(1, min(batch, size)))
    }

    /// Runs `tokens` after the session's cached tokens and returns the requested logits.
    /// - Returns: [V] for `.last`, [n][V] flattened for `.all`, empty for `.none`.
    /// - Throws: `LanguageModelError.emptyPrompt`, `.contextOverflow`, `.tokenOutOfRange`.
    public func forward(_ tokens: [Int], session: LlamaSession, logits request: LogitsRequest = .last) throws(LanguageModelError) -> [Float] {
        guard !tokens.isEmpty else { throw .emptyPrompt }
        guard session.count + tokens.count <= session.capacity else {
            throw .contextOverflow(tokens: session.count + tokens.count, contextLength: session.capacity)
        }
        let V = configuration.vocabularySize
        if let bad = tokens.first(where: { $0 < 0 || $0 >= V }) { throw .tokenOutOfRange(id: bad, vocabularySize: V) }

        lock.lock()
        defer { lock.unlock() }
        var output: [Float] = []
        if request == .all { output.reserveCapacity(tokens.count * V) }
        let batch = session.workspace.batch
        var begin = 0
        while begin < tokens.count {
            let end = min(tokens.count, begin + batch)
            let chunk = tokens[begin..<end]
            let isLast = end == tokens.count
            step(chunk, session: session)
            switch request {
            case .none: break
            case .last where isLast: output = head(session: session, rows: (chunk.count - 1)..<chunk.count)
            case .last: break
            case .all: output += head(session: session, rows: 0..<chunk.count)
            }
            session.didAppend(chunk)
            begin = end
        }
        return output
    }

    /// One forward step over ≤ batch tokens, leaving the final hidden states in `workspace.x`.
    private func step(_ tokens: ArraySlice<Int>, session: LlamaSession) {
        let c = configuration, w = session.workspace
        let n = tokens.count, start = session.count
        let C = c.embeddingLength, kvW = c.kvWidth

        for (t, token) in tokens.enumerated() {     // x[t] = embedding row
            let row = weights.tokenEmbedding.row(token)
            row.withUnsafeBufferPointer { (w.x + t * C).update(from: $0.baseAddress!, count: C) }
        }
        w.prepareRotary(start: start, n: n)
        let scale = 1 / Float(c.headDimension).squareRoot()

        for (layer, block) in weights.blocks.enumerated() {
            let keys = session.keys[layer] + start * kvW, values = session.values[layer] + start * kvW
            // Attention: normed = rmsnorm(x); q, k, v projections; RoPE; attention; x += Wo · attended.
            block.attentionNorm.withUnsafeBufferPointer {
                Kernels.rmsNorm(w.x, weight: $0.baseAddress!, n: n, dim: C, eps: c.rmsNormEpsilon, into: w.normed)
            }
            Kernels.matmul([block.query, block.key, block.value], w.normed, n: n, into: [w.query, keys, values], pool: pool)
            if let lora = adapter?.layers[layer] {
                addLowRank(lora[.query], w.normed, n: n, into: w.query, width: c.queryWidth)
                addLowRank(lora[.key], w.normed, n: n, into: keys, width: kvW)
                addLowRank(lora[.value], w.normed, n: n, into: values, width: kvW)
            }
            Kernels.rope(w.query, n: n, heads: c.headCount, headDim: c.headDimension, rotaryDim: c.rotaryDimension, cos: w.cos, sin: w.sin)
            Kernels.rope(keys, n: n, heads: c.kvHeadCount, headDim: c.headDimension, rotaryDim: c.rotaryDimension, cos: w.cos, sin: w.sin)
            Kernels.attention(q: w.query, n: n, heads: c.headCount, kvHeads: c.kvHeadCount, headDim: c.headDimension,
                              keys: session.keys[layer], values: session.values[layer], start: start, scale: scale,
                              into: w.attended, pool: pool)
            Kernels.matmul(block.output, w.attended, n: n, into: w.projected, pool: pool)
            addLowRank(adapter?.layers[layer][.output], w.attended, n: n, into: w.projected, width: C)
            Kernels.add(w.x, w.projected, count: n * C)
            // Feed-forward: x += Wdown · (silu(Wgate · normed) ⊙ (Wup · normed)).
            block.feedForwardNorm.withUnsafeBufferPointer {
                Kernels.rmsNorm(w.x, weight: $0.baseAddress!, n: n, dim: C, eps: c.rmsNormEpsilon, into: w.normed)
            }
            if let lora = adapter?.layers[layer], lora[.gate] != nil || lora[.up] != nil {
                let F = c.feedForwardLength
                Kernels.matmul([block.gate, block.up], w.normed, n: n, into: [w.gate, w.up], pool: pool)
                addLowRank(lora[.gate], w.normed, n: n, into: w.gate, width: F)
                addLowRank(lora[.up], w.normed, n: n, into: w.up, width: F)
                Kernels.siluMul(w.gate, w.up, count: n * F, pool: pool)
            } else {
                Kernels.swiglu(gate: block.gate, up: block.up, w.normed, n: n, into: w.gate, scratch: w.up, pool: pool)
            }
            Kernels.matmul(block.down, w.gate, n: n, into: w.projected, pool: pool)
            addLowRank(adapter?.layers[layer][.down], w.gate, n: n, into: w.projected, width: C)
            Kernels.add(w.x, w.projected, count: n * C)
        }
    }

    /// out[n][width] += scale · (x[n][in] · Aᵀ) · Bᵀ, the adapter's share of a linear layer.
    private func addLowRank(_ factors: LowRankAdapter.Factors?, _ x: UnsafePointer<Float>, n: Int,
                            into out: UnsafeMutablePointer<Float>, width: Int) {
        guard let factors, let adapter else { return }
        let r = adapter.rank, inWidth = factors.a.count / r
        var hidden = [Float](repeating: 0, count: n * r)     // [n][r]
        factors.a.withUnsafeBufferPointer { a in
            hidden.withUnsafeMutableBufferPointer { h in
                BLAS.gemm(transposeB: true, m: n, n: r, k: inWidth, a: x, lda: inWidth,
                          b: a.baseAddress!, ldb: inWidth, c: h.baseAddress!, ldc: r)
            }
        }
        factors.b.withUnsafeBufferPointer { b in
            hidden.withUnsafeBufferPointer { h in
                BLAS.gemm(transposeB: true, m: n, n: width, k: r, a: h.baseAddress!, lda: r,
                          b: b.baseAddress!, ldb: r, c: out, ldc: width, alpha: adapter.scale, beta: 1)
            }
        }
    }

    /// Logits [rows.count][V] for rows of the last step's hidden states.
    private func head(session: LlamaSession, rows: Range<Int>) -> [Float] {
        let c = configuration, w = session.workspace, C = c.embeddingLength
        let hidden = w.x + rows.lowerBound * C
        weights.outputNorm.withUnsafeBufferPointer {
            Kernels.rmsNorm(hidden, weight: $0.baseAddress!, n: rows.count, dim: C, eps: c.rmsNormEpsilon, into: w.normed)
        }
        var logits = [Float](repeating: 0, count: rows.count * c.vocabularySize)
        logits.withUnsafeMutableBufferPointer {
            Kernels.matmul(weights.outputHead, w.normed, n: rows.count, into: $0.baseAddress!, pool: pool)
        }
        return logits
    }
}
