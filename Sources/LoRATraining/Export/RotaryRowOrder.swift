/// The two orders of the output rows of q and k projections.
///
/// Hugging Face Llama checkpoints rotate the two halves of each head against each other; llama.cpp's
/// converter (convert_hf_to_gguf.py, `LlamaModel.permute`) reorders the rows so that RoPE rotates
/// adjacent pairs instead. For head h, pair i in 0..<hd/2 and component c in {0, 1}:
///
///     GGUF row  h·hd + 2·i + c   ==   HF row  h·hd + c·hd/2 + i
///
/// A LoRA B factor [out][r] of q or k follows its weight's rows, so adapters exported for Hugging
/// Face tools (PEFT) are reordered here, and those read from them reordered back.
enum RotaryRowOrder {
    /// Rows [heads·hd][columns] from GGUF order to Hugging Face order.
    static func huggingFace(fromGGUF rows: [Float], heads: Int, headDimension: Int, columns: Int) -> [Float] {
        reorder(rows, heads: heads, headDimension: headDimension, columns: columns, toHuggingFace: true)
    }

    /// Rows [heads·hd][columns] from Hugging Face order to GGUF order.
    static func gguf(fromHuggingFace rows: [Float], heads: Int, headDimension: Int, columns: Int) -> [Float] {
        reorder(rows, heads: heads, headDimension: headDimension, columns: columns, toHuggingFace: false)
    }

    private static func reorder(_ rows: [Float], heads: Int, headDimension hd: Int, columns: Int,
                                toHuggingFace: Bool) -> [Float] {
        precondition(rows.count == heads * hd * columns && hd % 2 == 0, "rows must be [heads·hd][columns] with an even hd")
        var out = [Float](repeating: 0, count: rows.count)
        for h in 0..<heads {
            for i in 0..<(hd / 2) {
                for c in 0..<2 {
                    let ggufRow = h * hd + 2 * i + c
                    let hfRow = h * hd + c * (hd / 2) + i
                    let (from, to) = toHuggingFace ? (ggufRow, hfRow) : (hfRow, ggufRow)
                    out[(to * columns)..<((to + 1) * columns)] = rows[(from * columns)..<((from + 1) * columns)]
                }
            }
        }
        return out
    }
}
