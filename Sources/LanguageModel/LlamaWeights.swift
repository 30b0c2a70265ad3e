import GGUF
import TensorCore

/// The weights of one transformer block. Linear weights are [out][in] rows, read in place from the
/// file; norm weights are f32.
package struct LlamaBlockWeights: @unchecked Sendable {
    // @unchecked: WeightMatrix points into the immutable mapped file kept alive by `owner`.
    package let attentionNorm: [Float]     // [C]
    package let query: WeightMatrix        // [H*hd][C]
    package let key: WeightMatrix          // [KV*hd][C]
    package let value: WeightMatrix        // [KV*hd][C]
    package let output: WeightMatrix       // [C][H*hd]
    package let feedForwardNorm: [Float]   // [C]
    package let gate: WeightMatrix         // [F][C]
    package let up: WeightMatrix           // [F][C]
    package let down: WeightMatrix         // [C][F]

    /// The frozen weight a LoRA adapter on `target` sits beside.
    package subscript(target: LoRATarget) -> WeightMatrix {
        switch target {
        case .query: query
        case .key: key
        case .value: value
        case .output: output
        case .gate: gate
        case .up: up
        case .down: down
        }
    }
}

/// All weights of a Llama model. GGUF tensor names are mapped here and nowhere else.
package struct LlamaWeights: @unchecked Sendable {
    package let tokenEmbedding: WeightMatrix   // [V][C]
    package let blocks: [LlamaBlockWeights]
    package let outputNorm: [Float]            // [C]
    /// The output head, [V][C]; the token embedding when the model ties them.
    package let outputHead: WeightMatrix
    package let tiedEmbedding: Bool

    package init(file: GGUFFile, configuration config: LlamaConfiguration) throws(LanguageModelError) {
        let loader = WeightLoader(file: file)
        let C = config.embeddingLength, F = config.feedForwardLength
        let V = config.vocabularySize
        tokenEmbedding = try loader.matrix("token_embd.weight", rows: V, columns: C)
        outputNorm = try loader.vector("output_norm.weight", count: C)
        if file.tensor(named: "output.weight") != nil {
            outputHead = try loader.matrix("output.weight", rows: V, columns: C)
            tiedEmbedding = false
        } else {
            outputHead = tokenEmbedding
            tiedEmbedding = true
        }
        var blocks: [LlamaBlockWeights] = []
        blocks.reserveCapacity(config.layerCount)
        for layer in 0..<config.layerCount {
            let p = "blk.\(layer)."
            blocks.append(LlamaBlockWeights(
                attentionNorm: try loader.vector(p + "attn_norm.weight", count: C),
                query: try loader.matrix(p + "attn_q.weight", rows: config.queryWidth, columns: C),
                key: try loader.matrix(p + "attn_k.weight", rows: config.kvWidth, columns: C),
                value: try loader.matrix(p + "attn_v.weight", rows: config.kvWidth, columns: C),
                output: try loader.matrix(p + "attn_output.weight", rows: C, columns: config.queryWidth),
                feedForwardNorm: try loader.vector(p + "ffn_norm.weight", count: C),
                gate: try loader.matrix(p + "ffn_gate.weight", rows: F, columns: C),
                up: try loader.matrix(p + "ffn_up.weight", rows: F, columns: C),
                down: try loader.matrix(p + "ffn_down.weight", rows: C, columns: F)
            ))
        }
        self.blocks = blocks
    }
}

/// Finds tensors, checks their shapes, and wraps them for the kernels.
private struct WeightLoader {
    let file: GGUFFile
    var name: String { file.url.lastPathComponent }

    func info(_ tensor: String) throws(LanguageModelError) -> GGUFTensorInfo {
        guard let info = file.tensor(named: tensor) else { throw .missingTensor(file: name, tensor: tensor) }
        return info
    }

    /// A [rows][columns] matrix, stored in GGUF as shape [columns, rows].
    func matrix(_ tensor: String, rows: Int, columns: Int) throws(LanguageModelError) -> WeightMatrix {
        let info = try info(tensor)
        guard info.shape == [columns, rows] else {
            throw .tensorShape(file: name, tensor: tensor, expected: [columns, rows], actual: info.shape)
        }
        guard let base = file.bytes(of: info).baseAddress,
              let matrix = WeightMatrix(type: Int32(info.type.rawValue), rows: rows, columns: columns, base: base, owner: file)
        else {
            throw .unsupportedTensorType(file: name, tensor: tensor, type: info.type.name)
        }
        return matrix.repackedForDecoding()
    }

    func vector(_ tensor: String, count: Int) throws(LanguageModelError) -> [Float] {
        let info = try info(tensor)
        guard info.elementCount == count else {
            throw .tensorShape(file: name, tensor: tensor, expected: [count], actual: info.shape)
        }
        do { return try file.floats(of: info) } catch { throw .unreadableFile(error.description) }
    }
}
