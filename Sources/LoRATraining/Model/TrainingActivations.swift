import LanguageModel

/// What the forward pass keeps for the backward pass, sized for up to `capacity` tokens.
/// Shapes per layer, M = tokens in the batch: see the comments beside each buffer.
final class TrainingActivations {
    let capacity: Int            // M at most
    let longestSegment: Int      // T at most
    let layers: [LayerActivations]
    let residual: [FloatBuffer]  // L + 1 buffers [M][C]: the input of each layer, then the final hidden state
    // Scratch shared across layers.
    let h: FloatBuffer           // [M][F] swiglu output
    let projected: FloatBuffer   // [M][C]
    let dropped: FloatBuffer     // [M][max(in)] dropout scratch
    // Gradients.
    let dResidual: FloatBuffer   // [M][C]
    let dNormed: FloatBuffer     // [M][C]
    let dAttended: FloatBuffer   // [M][C]
    let dQuery: FloatBuffer      // [M][qW]
    let dKey: FloatBuffer        // [M][kvW]
    let dValue: FloatBuffer      // [M][kvW]
    let dGate: FloatBuffer       // [M][F]
    let dUp: FloatBuffer         // [M][F]
    let dH: FloatBuffer          // [M][F]
    let loraScratch: FloatBuffer // [M][r + max(in)]
    let attentionScratch: FloatBuffer // [threads][2][T][T]

    final class LayerActivations {
        let rstd1: FloatBuffer        // [M]
        let normed1: FloatBuffer      // [M][C]
        let query: FloatBuffer        // [M][qW] after RoPE
        let key: FloatBuffer          // [M][kvW] after RoPE
        let value: FloatBuffer        // [M][kvW]
        let attended: FloatBuffer     // [M][qW]
        let middle: FloatBuffer       // [M][C] residual after attention
        let rstd2: FloatBuffer        // [M]
        let normed2: FloatBuffer      // [M][C]
        let gate: FloatBuffer         // [M][F] before SiLU
        let up: FloatBuffer           // [M][F]
        let loraHidden: [LoRATarget: FloatBuffer]  // [M][r] per adapted target

        init(_ c: LlamaConfiguration, capacity M: Int, lora: LoRAConfiguration) {
            rstd1 = FloatBuffer(count: M)
            normed1 = FloatBuffer(count: M * c.embeddingLength)
            query = FloatBuffer(count: M * c.queryWidth)
            key = FloatBuffer(count: M * c.kvWidth)
            value = FloatBuffer(count: M * c.kvWidth)
            attended = FloatBuffer(count: M * c.queryWidth)
            middle = FloatBuffer(count: M * c.embeddingLength)
            rstd2 = FloatBuffer(count: M)
            normed2 = FloatBuffer(count: M * c.embeddingLength)
            gate = FloatBuffer(count: M * c.feedForwardLength)
            up = FloatBuffer(count: M * c.feedForwardLength)
            var hidden: [LoRATarget: FloatBuffer] = [:]
            for target in lora.targets { hidden[target] = FloatBuffer(count: M * lora.rank) }
            loraHidden = hidden
        }

        var bytes: Int {
            [rstd1, normed1, query, key, value, attended, middle, rstd2, normed2, gate, up].reduce(0) { $0 + $1.bytes }
                + loraHidden.values.reduce(0) { $0 + $1.bytes }
        }
    }

    init(_ c: LlamaConfiguration, lora: LoRAConfiguration, capacity M: Int, longestSegment: Int, threads: Int) {
        capacity = M
        self.longestSegment = longestSegment
        layers = (0..<c.layerCount).map { _ in LayerActivations(c, capacity: M, lora: lora) }
        residual = (0...c.layerCount).map { _ in FloatBuffer(count: M * c.embeddingLength) }
        let C = c.embeddingLength, F = c.feedForwardLength
        let widest = max(C, F, c.queryWidth)
        h = FloatBuffer(count: M * F)
        projected = FloatBuffer(count: M * C)
        dropped = FloatBuffer(count: M * widest)
        dResidual = FloatBuffer(count: M * C)
        dNormed = FloatBuffer(count: M * C)
        dAttended = FloatBuffer(count: M * c.queryWidth)
        dQuery = FloatBuffer(count: M * c.queryWidth)
        dKey = FloatBuffer(count: M * c.kvWidth)
        dValue = FloatBuffer(count: M * c.kvWidth)
        dGate = FloatBuffer(count: M * F)
        dUp = FloatBuffer(count: M * F)
        dH = FloatBuffer(count: M * F)
        loraScratch = FloatBuffer(count: M * (lora.rank + widest))
        attentionScratch = FloatBuffer(count: SegmentAttention.scratchCount(longestSegment: longestSegment, threads: threads))
    }

    /// Bytes held, for memory estimates.
    var bytes: Int {
        layers.reduce(0) { $0 + $1.bytes } + residual.reduce(0) { $0 + $1.bytes }
            + [h, projected, dropped, dResidual, dNormed, dAttended, dQuery, dKey, dValue, dGate, dUp, dH, loraScratch, attentionScratch]
            .reduce(0) { $0 + $1.bytes }
    }
}
