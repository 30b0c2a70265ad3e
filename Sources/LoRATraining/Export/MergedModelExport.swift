import Foundation
import GGUF
import LanguageModel
import TensorCore

/// Folds a LoRA adapter into its base model and writes a standalone GGUF model that llama.cpp,
/// Ollama, LM Studio and finetune run without the adapter: for every adapted layer
/// W' = W + (alpha/r)·B·A, computed in f32 from the dequantized base weight.
///
/// Every 2-D tensor is written as the chosen type (F16 where Q8_0's blocks of 32 don't divide a
/// row), every 1-D tensor (the norms) as F32. All metadata is copied from the base, except
/// `general.name`, which gets a suffix, and `general.file_type`, which names the new type.
///
/// Memory: tensors are read from the memory-mapped base, merged and written one at a time, so the
/// peak is about one tensor in f32 plus its encoded bytes (the 49152×576 embedding of SmolLM2-135M:
/// 113 MB), whatever the size of the model.
///
/// ```swift
/// let base = try GGUFFile(contentsOf: modelURL)
/// try MergedModelExport.write(base: base, adapter: adapter, type: .q8_0, to: outputURL) { done, total in
///     print("\(done)/\(total) tensors")
/// }
/// ```
public enum MergedModelExport {
    /// The type of the merged 2-D weights.
    public enum WeightType: String, Sendable, CaseIterable, Codable {
        /// IEEE half precision: 2 bytes a weight, rounding error about 2⁻¹¹ relative.
        case f16
        /// 8-bit blocks of 32 with an f16 scale: 1.06 bytes a weight, llama.cpp's near-lossless quantization.
        case q8_0

        var ggmlType: GGMLType { self == .f16 ? .f16 : .q8_0 }
        /// llama.cpp's `llama_ftype`: MOSTLY_F16 = 1, MOSTLY_Q8_0 = 7.
        var fileType: UInt32 { self == .f16 ? 1 : 7 }
    }

    /// Appended to the base's `general.name` unless a name is given.
    public static let nameSuffix = " (merged)"

    /// Writes the merged model atomically (temporary file in the same folder, fsync, rename).
    /// - Parameters:
    ///   - base: the model the adapter was trained on.
    ///   - name: `general.name` of the result; by default the base's name + `nameSuffix`.
    ///   - progress: called after each tensor with (tensors written, tensors in all).
    /// - Throws: `ExportError.adapterMismatch` when the adapter doesn't fit `base` or `base` isn't a
    ///   Llama model, `.invalidValues` for NaN factors, `.gguf` for a base tensor of a type that
    ///   can't be dequantized or when the file can't be written (`GGUFError.cannotWrite`).
    public static func write(base: GGUFFile, adapter: LowRankAdapter, type: WeightType, to url: URL,
                             name: String? = nil, progress: ((Int, Int) -> Void)? = nil) throws(ExportError) {
        let configuration = try configuration(of: base)
        if let problem = adapter.mismatch(with: configuration) {
            throw .adapterMismatch(path: base.url.path, reason: "the adapter doesn't fit this model: \(problem); use the base model it was trained on")
        }
        // Weight name → the factors added to it.
        var adapted: [String: LowRankAdapter.Factors] = [:]
        for (layer, factors) in adapter.layers.enumerated() {
            for target in adapter.targets {
                guard let pair = factors[target] else { continue }     // mismatch() checked it is there
                let tensor = GGUFAdapterFormat.weightName(layer: layer, target: target)
                if pair.a.contains(where: { !$0.isFinite }) || pair.b.contains(where: { !$0.isFinite }) {
                    throw .invalidValues(tensor: tensor, reason: "the adapter's factors hold NaN or infinite values; "
                                         + "training diverged, so train again with a lower learning rate")
                }
                let (out, inWidth) = target.shape(in: configuration)
                guard let info = base.tensor(named: tensor) else { throw .missingTensor(path: base.url.path, tensor: tensor) }
                guard info.shape == [inWidth, out] else {
                    throw .tensorShape(path: base.url.path, tensor: tensor, expected: [inWidth, out], actual: info.shape)
                }
                adapted[tensor] = pair
            }
        }

        let plan = base.tensors.map { tensor in
            (name: tensor.name, shape: tensor.shape, type: outputType(of: tensor, requested: type.ggmlType))
        }
        let writer: GGUFStreamingWriter
        do {
            writer = try GGUFStreamingWriter(url: url, metadata: metadata(of: base, type: type, name: name),
                                             tensors: plan, alignment: base.alignment)
        } catch { throw .gguf(error) }
        for (index, tensor) in base.tensors.enumerated() {
            var values = try dequantize(tensor, in: base)
            if let pair = adapted[tensor.name] {
                let (inWidth, out) = (tensor.shape[0], tensor.shape[1])
                addLowRank(pair, rank: adapter.rank, scale: adapter.scale, out: out, in: inWidth, to: &values)
            }
            do { try writer.append(try GGMLQuantization.quantize(plan[index].type, values)) } catch { throw .gguf(error) }
            progress?(index + 1, plan.count)
        }
        do { try writer.finish() } catch { throw .gguf(error) }
    }

    /// W[out][in] += scale · B[out][r] · A[r][in], in f32.
    static func addLowRank(_ factors: LowRankAdapter.Factors, rank r: Int, scale: Float, out: Int, in inWidth: Int,
                           to weight: inout [Float]) {
        precondition(weight.count == out * inWidth && factors.a.count == r * inWidth && factors.b.count == out * r)
        factors.b.withUnsafeBufferPointer { b in
            factors.a.withUnsafeBufferPointer { a in
                weight.withUnsafeMutableBufferPointer { w in
                    guard let bBase = b.baseAddress, let aBase = a.baseAddress, let wBase = w.baseAddress else { return }
                    BLAS.gemm(m: out, n: inWidth, k: r, a: bBase, lda: r, b: aBase, ldb: inWidth,
                              c: wBase, ldc: inWidth, alpha: scale, beta: 1)
                }
            }
        }
    }

    /// 2-D and larger tensors as `requested` (F16 when a row isn't a whole number of its blocks), 1-D as F32.
    static func outputType(of tensor: GGUFTensorInfo, requested: GGMLType) -> GGMLType {
        guard tensor.shape.count >= 2 else { return .f32 }
        return tensor.shape[0] % requested.blockSize == 0 ? requested : .f16
    }

    /// The base's metadata with a new `general.name` and `general.file_type`.
    static func metadata(of base: GGUFFile, type: WeightType, name: String?) -> [(key: String, value: GGUFValue)] {
        var entries: [(key: String, value: GGUFValue)] = []
        for key in base.metadataKeys {
            guard let value = base.metadata[key] else { continue }
            entries.append((key, value))
        }
        let newName = name ?? ((base.string("general.name") ?? base.url.deletingPathExtension().lastPathComponent) + nameSuffix)
        for (key, value) in [("general.name", GGUFValue.string(newName)), ("general.file_type", .uint32(type.fileType))] {
            if let index = entries.firstIndex(where: { $0.key == key }) { entries[index].value = value } else { entries.append((key, value)) }
        }
        return entries
    }

    /// A base tensor as f32, through the GGUF library or, for types only the kernels decode
    /// (Q5_0, Q5_1), through `WeightMatrix`.
    static func dequantize(_ tensor: GGUFTensorInfo, in file: GGUFFile) throws(ExportError) -> [Float] {
        if tensor.type.canDequantize {
            do { return try file.floats(of: tensor) } catch { throw .gguf(error) }
        }
        let columns = tensor.shape.first ?? 0
        guard columns > 0, let base = file.bytes(of: tensor).baseAddress,
              let matrix = WeightMatrix(type: Int32(tensor.type.rawValue), rows: tensor.elementCount / columns,
                                        columns: columns, base: base, owner: file) else {
            throw .gguf(.unsupportedType(type: tensor.type, operation: "dequantize", tensor: tensor.name, path: file.url.path))
        }
        return matrix.dequantized()
    }

    /// The base's Llama configuration, or an error saying it isn't a model finetune can export.
    static func configuration(of base: GGUFFile) throws(ExportError) -> LlamaConfiguration {
        do { return try LlamaConfiguration(gguf: base) } catch {
            throw .adapterMismatch(path: base.url.path, reason: "the base model can't be read as a Llama model (\(error.description))")
        }
    }
}
