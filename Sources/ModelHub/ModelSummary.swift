import Foundation
import GGUF

/// What `finetune models list` shows about a GGUF file, read from its header alone.
public struct ModelSummary: Sendable, Equatable, Codable {
    /// `general.architecture`, e.g. `llama`.
    public var architecture: String?
    /// `general.name`, when the file has one.
    public var modelName: String?
    /// The sum of all tensors' element counts.
    public var parameterCount: Int
    /// The name of `general.file_type` (`Q4_1`, `Q4_K_M`, ...), or, without that key, the tensor
    /// type that holds the most bytes.
    public var quantization: String
    /// `<architecture>.context_length`.
    public var contextLength: Int?
    public var tensorCount: Int
    public var fileSizeBytes: Int

    public init(architecture: String?, modelName: String?, parameterCount: Int, quantization: String,
                contextLength: Int?, tensorCount: Int, fileSizeBytes: Int) {
        self.architecture = architecture
        self.modelName = modelName
        self.parameterCount = parameterCount
        self.quantization = quantization
        self.contextLength = contextLength
        self.tensorCount = tensorCount
        self.fileSizeBytes = fileSizeBytes
    }

    /// Reads the summary of the GGUF file at `url`.
    /// - Throws: `ModelHubError.cannotRead` when the file is missing, `.invalidModel` with the GGUF
    ///   reader's message when it is not a valid GGUF file.
    public init(contentsOf url: URL) throws(ModelHubError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw .cannotRead(path: url.path, reason: "no such file; check the path")
        }
        guard !isDirectory.boolValue else {
            throw .cannotRead(path: url.path, reason: "it is a folder; give the path of a .gguf file")
        }
        let file: GGUFFile
        do {
            file = try GGUFFile(contentsOf: url)
        } catch {
            throw .invalidModel(path: url.path, reason: error.description)
        }
        self.init(gguf: file, fileSizeBytes: FileInfo.size(of: url.path) ?? 0)
    }

    /// The summary of an open GGUF file.
    public init(gguf file: GGUFFile, fileSizeBytes: Int) {
        let architecture = file.architecture
        var bytesByType: [GGMLType: Int] = [:]
        var parameters = 0
        for tensor in file.tensors {
            parameters += tensor.elementCount
            bytesByType[tensor.type, default: 0] += tensor.byteCount
        }
        let dominant = bytesByType.max { ($0.value, $1.key.rawValue) < ($1.value, $0.key.rawValue) }?.key
        let quantization = file.int("general.file_type").flatMap(Self.fileTypeName) ?? dominant?.name ?? "none"
        self.init(architecture: architecture, modelName: file.string("general.name"), parameterCount: parameters,
                  quantization: quantization,
                  contextLength: architecture.flatMap { file.int("\($0).context_length") },
                  tensorCount: file.tensors.count, fileSizeBytes: fileSizeBytes)
    }

    /// The parameter count in short form: `134.5M`, `1.2B`, `544`.
    public var formattedParameters: String {
        Self.shortCount(parameterCount)
    }

    static func shortCount(_ count: Int) -> String {
        let units: [(Double, String)] = [(1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")]
        for (scale, suffix) in units where Double(count) >= scale {
            return String(format: "%.1f%@", Double(count) / scale, suffix)
        }
        return String(count)
    }

    /// Names of llama.cpp's `llama_ftype` values (`general.file_type`), as gguf-py's
    /// `LlamaFileType` lists them (the values that are gone from llama.cpp are left out).
    static func fileTypeName(_ value: Int) -> String? {
        let names: [Int: String] = [
            0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K",
            11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S", 17: "Q5_K_M",
            18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S", 22: "IQ3_XS", 23: "IQ3_XXS", 24: "IQ1_S",
            25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M", 28: "IQ2_S", 29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M",
            32: "BF16", 36: "TQ1_0", 37: "TQ2_0", 38: "MXFP4_MOE",
        ]
        // Bit 10 (1024) marks a type llama.cpp guessed from the tensors.
        guard let name = names[value & ~1024] else { return nil }
        return value & 1024 != 0 ? name + " (guessed)" : name
    }
}
