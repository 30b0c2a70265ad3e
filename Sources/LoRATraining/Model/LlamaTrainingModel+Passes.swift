import LanguageModel
import TensorCore

// The forward and backward passes, block by block in mirrored order. M = tokens in the batch.
extension LlamaTrainingModel {
    private var attention: SegmentAttention {
        let c = configuration
        return SegmentAttention(heads: c.headCount, kvHeads: c.kvHeadCount, headDimension: c.headDimension,
                                scale: 1 / Float(c.headDimension).squareRoot())
    }

    /// A distinct dropout seed per layer and target.
    private func dropoutSeed(_ seed: UInt64, layer: Int, target: LoRATarget) -> UInt64 {
        let index = UInt64(layer * LoRATarget.allCases.count + LoRATarget.allCases.firstIndex(of: target)!)
        return seed &+ (index &+ 1) &* 0x9E37_79B9_7F4A_7C15
    }

    func forward(_ batch: TrainingBatch, _ a: TrainingActivations, rope: (cos: [Float], sin: [Float], negativeSin: [Float]),
                 training: Bool, seed: UInt64) {
        let c = configuration, M = batch.count, C = c.embeddingLength, F = c.feedForwardLength
        let dropout = training ? lora.dropout : 0
        let embedding = base.weights.tokenEmbedding
        for (t, token) in batch.tokens.enumerated() {             // residual[0][t] = embedding row
            let row = embedding.row(Int(token))
            row.withUnsafeBufferPointer { (a.residual[0].pointer + t * C).update(from: $0.baseAddress!, count: C) }
        }
        for (index, layer) in layers.enumerated() {
            let L = a.layers[index], x = a.residual[index].pointer
            func linear(_ target: LoRATarget, _ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>) {
                layer.linear[target]!.forward(input, m: M, into: output, hidden: L.loraHidden[target]?.pointer,
                                              dropped: a.dropped.pointer, dropout: dropout,
                                              seed: dropoutSeed(seed, layer: index, target: target), pool: pool)
            }
            // Attention: normed1 = rmsnorm(x); q, k, v; RoPE; attention; middle = x + Wo·attended.
            layer.attentionNorm.withUnsafeBufferPointer {
                RMSNorm.forward(x, weight: $0.baseAddress!, n: M, dim: C, eps: c.rmsNormEpsilon, into: L.normed1.pointer, rstd: L.rstd1.pointer, pool: pool)
            }
            linear(.query, L.normed1.pointer, into: L.query.pointer)
            linear(.key, L.normed1.pointer, into: L.key.pointer)
            linear(.value, L.normed1.pointer, into: L.value.pointer)
            rope.cos.withUnsafeBufferPointer { cos in
                rope.sin.withUnsafeBufferPointer { sin in
                    Rotary.apply(L.query.pointer, n: M, heads: c.headCount, headDimension: c.headDimension,
                                 rotaryDimension: c.rotaryDimension, cos: cos.baseAddress!, sin: sin.baseAddress!, pool: pool)
                    Rotary.apply(L.key.pointer, n: M, heads: c.kvHeadCount, headDimension: c.headDimension,
                                 rotaryDimension: c.rotaryDimension, cos: cos.baseAddress!, sin: sin.baseAddress!, pool: pool)
                }
            }
            attention.forward(q: L.query.pointer, k: L.key.pointer, v: L.value.pointer, segments: batch.segments,
                              into: L.attended.pointer, scratch: a.attentionScratch.pointer, pool: pool)
            linear(.output, L.attended.pointer, into: a.projected.pointer)
            L.middle.pointer.update(from: x, count: M * C)
            addInPlace(L.middle.pointer, a.projected.pointer, count: M * C, pool: pool)
            // Feed-forward: normed2 = rmsnorm(middle); next = middle + Wdown·(silu(Wgate·normed2) ⊙ Wup·normed2).
            layer.feedForwardNorm.withUnsafeBufferPointer {
                RMSNorm.forward(L.middle.pointer, weight: $0.baseAddress!, n: M, dim: C, eps: c.rmsNormEpsilon,
                                into: L.normed2.pointer, rstd: L.rstd2.pointer, pool: pool)
            }
            linear(.gate, L.normed2.pointer, into: L.gate.pointer)
            linear(.up, L.normed2.pointer, into: L.up.pointer)
            SwiGLU.forward(gate: L.gate.pointer, up: L.up.pointer, into: a.h.pointer, count: M * F, pool: pool)
            linear(.down, a.h.pointer, into: a.projected.pointer)
            let next = a.residual[index + 1].pointer
            next.update(from: L.middle.pointer, count: M * C)
            addInPlace(next, a.projected.pointer, count: M * C, pool: pool)
        }
    }

    /// The output norm and head on labelled positions only, cross-entropy, and (when `backward`)
    /// the gradient of the final hidden states into `a.dResidual`.
    func headAndLoss(_ batch: TrainingBatch, _ a: TrainingActivations, gradientScale: Float, backward: Bool) -> BatchResult {
        let c = configuration, M = batch.count, C = c.embeddingLength, V = c.vocabularySize
        if backward { a.dResidual.zero(M * C) }
        let rows = batch.labels.indices.filter { batch.labels[$0] >= 0 }
        let P = rows.count
        guard P > 0 else { return BatchResult() }
        let hidden = FloatBuffer(count: P * C), normed = FloatBuffer(count: P * C), rstd = FloatBuffer(count: P)
        let final = a.residual[c.layerCount].pointer
        for (i, row) in rows.enumerated() { (hidden.pointer + i * C).update(from: final + row * C, count: C) }
        base.weights.outputNorm.withUnsafeBufferPointer {
            RMSNorm.forward(hidden.pointer, weight: $0.baseAddress!, n: P, dim: C, eps: c.rmsNormEpsilon, into: normed.pointer, rstd: rstd.pointer, pool: pool)
        }
        let dNormed = FloatBuffer(count: backward ? P * C : 1)
        let logits = FloatBuffer(count: Self.headChunk * V)
        var losses = [Float](repeating: 0, count: Self.headChunk)
        var correct = [UInt8](repeating: 0, count: Self.headChunk)
        var result = BatchResult()
        var begin = 0
        while begin < P {
            let n = min(Self.headChunk, P - begin)
            let labels = rows[begin..<(begin + n)].map { batch.labels[$0] }
            head.forward(normed.pointer + begin * C, m: n, into: logits.pointer, pool: pool)
            labels.withUnsafeBufferPointer { labels in
                CrossEntropy.forwardBackward(logits.pointer, n: n, vocab: V, labels: labels.baseAddress!, gradScale: gradientScale,
                                             losses: &losses, correct: &correct, pool: pool)
            }
            for i in 0..<n {
                result.lossSum += Double(losses[i])
                result.correct += Int(correct[i])
            }
            if backward { head.backward(logits.pointer, m: n, into: dNormed.pointer + begin * C, pool: pool) }
            begin += n
        }
        result.count = P
        guard backward else { return result }
        let dHidden = FloatBuffer(count: P * C)
        base.weights.outputNorm.withUnsafeBufferPointer {
            RMSNorm.backward(dNormed.pointer, x: hidden.pointer, weight: $0.baseAddress!, rstd: rstd.pointer, n: P, dim: C,
                             accumulateInto: dHidden.pointer, pool: pool)
        }
        for (i, row) in rows.enumerated() { (a.dResidual.pointer + row * C).update(from: dHidden.pointer + i * C, count: C) }
        return result
    }

    func backward(_ batch: TrainingBatch, _ a: TrainingActivations, rope: (cos: [Float], sin: [Float], negativeSin: [Float]), seed: UInt64) {
        let c = configuration, M = batch.count, C = c.embeddingLength, F = c.feedForwardLength
        let dX = a.dResidual.pointer            // d loss / d residual[index + 1], updated in place down the stack
        for (index, layer) in layers.enumerated().reversed() {
            let L = a.layers[index]
            func linear(_ target: LoRATarget, _ dy: UnsafePointer<Float>, input: UnsafePointer<Float>,
                        into dx: UnsafeMutablePointer<Float>?, accumulate: Bool) {
                layer.linear[target]!.backward(dy, x: input, m: M, hidden: L.loraHidden[target]?.pointer, into: dx,
                                               accumulate: accumulate, scratch: a.loraScratch.pointer, dropout: lora.dropout,
                                               seed: dropoutSeed(seed, layer: index, target: target), pool: pool)
            }
            // Feed-forward, mirrored.
            SwiGLU.forward(gate: L.gate.pointer, up: L.up.pointer, into: a.h.pointer, count: M * F, pool: pool)   // recomputed
            linear(.down, dX, input: a.h.pointer, into: a.dH.pointer, accumulate: false)
            SwiGLU.backward(a.dH.pointer, gate: L.gate.pointer, up: L.up.pointer, gateGradient: a.dGate.pointer,
                            upGradient: a.dUp.pointer, count: M * F, pool: pool)
            linear(.gate, a.dGate.pointer, input: L.normed2.pointer, into: a.dNormed.pointer, accumulate: false)
            linear(.up, a.dUp.pointer, input: L.normed2.pointer, into: a.dNormed.pointer, accumulate: true)
            layer.feedForwardNorm.withUnsafeBufferPointer {
                RMSNorm.backward(a.dNormed.pointer, x: L.middle.pointer, weight: $0.baseAddress!, rstd: L.rstd2.pointer,
                                 n: M, dim: C, accumulateInto: dX, pool: pool)
            }
            // Attention, mirrored.
            linear(.output, dX, input: L.attended.pointer, into: a.dAttended.pointer, accumulate: false)
            attention.backward(dOut: a.dAttended.pointer, q: L.query.pointer, k: L.key.pointer, v: L.value.pointer,
                               segments: batch.segments, dq: a.dQuery.pointer, dk: a.dKey.pointer, dv: a.dValue.pointer,
                               scratch: a.attentionScratch.pointer, pool: pool)
            rope.cos.withUnsafeBufferPointer { cos in
                rope.negativeSin.withUnsafeBufferPointer { sin in
                    Rotary.apply(a.dQuery.pointer, n: M, heads: c.headCount, headDimension: c.headDimension,
                                 rotaryDimension: c.rotaryDimension, cos: cos.baseAddress!, sin: sin.baseAddress!, pool: pool)
                    Rotary.apply(a.dKey.pointer, n: M, heads: c.kvHeadCount, headDimension: c.headDimension,
                                 rotaryDimension: c.rotaryDimension, cos: cos.baseAddress!, sin: sin.baseAddress!, pool: pool)
                }
            }
            // The first block's input is the (frozen) embedding: no gradient needed below it.
            let dNormed: UnsafeMutablePointer<Float>? = index > 0 ? a.dNormed.pointer : nil
            linear(.query, a.dQuery.pointer, input: L.normed1.pointer, into: dNormed, accumulate: false)
            linear(.key, a.dKey.pointer, input: L.normed1.pointer, into: dNormed, accumulate: true)
            linear(.value, a.dValue.pointer, input: L.normed1.pointer, into: dNormed, accumulate: true)
            if index > 0 {
                layer.attentionNorm.withUnsafeBufferPointer {
                    RMSNorm.backward(a.dNormed.pointer, x: a.residual[index].pointer, weight: $0.baseAddress!, rstd: L.rstd1.pointer,
                                     n: M, dim: C, accumulateInto: dX, pool: pool)
                }
            }
        }
    }
}
