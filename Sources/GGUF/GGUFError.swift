/// Everything that can go wrong reading, dequantizing or writing a GGUF file. Each case names the
/// file, the key or tensor and the byte offset where one is known, and its description says what to
/// do about it.
public enum GGUFError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file cannot be opened, inspected or mapped into memory.
    case cannotOpen(path: String, reason: String)
    /// The first four bytes are not `GGUF`.
    case notGGUF(path: String, magic: [UInt8])
    /// A GGUF version this reader does not read (only 2 and 3 are supported).
    case unsupportedVersion(path: String, version: UInt32)
    /// The file ends in the middle of `reading` (a field such as "the value of key 'general.name'").
    case truncated(path: String, reading: String, offset: Int, fileSize: Int)
    /// A length or count that cannot be right: it describes more bytes than the whole file holds.
    case implausibleLength(path: String, what: String, length: UInt64, offset: Int, fileSize: Int)
    /// A string that is not valid UTF-8.
    case invalidString(path: String, what: String, offset: Int)
    /// A metadata value type code outside GGUF's 0...12.
    case unknownValueType(path: String, key: String, type: UInt32, offset: Int)
    /// A metadata value that is present but unusable (a key given twice, a bad `general.alignment`).
    case invalidMetadata(path: String, key: String, offset: Int, reason: String)
    /// A tensor's ggml type number is not one this library knows.
    case unknownTensorType(path: String, tensor: String, type: UInt32, offset: Int)
    /// A tensor description that is inconsistent (shape, name, alignment); `reason` says how.
    case invalidTensorInfo(path: String, tensor: String, offset: Int, reason: String)
    /// A tensor whose data lies (partly) beyond the end of the file.
    case tensorOutOfBounds(path: String, tensor: String, start: Int, end: Int, fileSize: Int)
    /// The ggml type cannot be dequantized (`operation` "dequantize") or quantized ("quantize") here.
    case unsupportedType(type: GGMLType, operation: String, tensor: String?, path: String?)
    /// A buffer of the wrong size was handed to a quantization routine or to the writer.
    case sizeMismatch(what: String, expected: Int, actual: Int)
    /// A tensor handed to `GGUFWriter` cannot be written; `reason` says why.
    case invalidTensor(name: String, reason: String)
    /// The file could not be written; the destination was left as it was.
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason):
            return "cannot open \(path): \(reason)"
        case .notGGUF(let path, let magic):
            let shown = magic.map { (0x20..<0x7f).contains($0) ? String(UnicodeScalar($0)) : "." }.joined()
            return "\(path) is not a GGUF file: it starts with \"\(shown)\" (\(Self.hex(magic))) instead of \"GGUF\"; "
                + "check that the download finished and that this is a .gguf model, not a safetensors or PyTorch file"
        case .unsupportedVersion(let path, let version):
            if version == 1 {
                return "\(path) is GGUF version 1, an early 2023 format this reader does not support; "
                    + "convert the model again with a current llama.cpp (convert_hf_to_gguf.py) to get version 3"
            }
            if version > 0xFFFF, version.byteSwapped <= 3 {
                return "\(path) is a big-endian GGUF file (version \(version.byteSwapped)); only little-endian files "
                    + "are supported, so convert the model again without --bigendian"
            }
            return "\(path) is GGUF version \(version), but only versions 2 and 3 are supported; "
                + "update finetune or convert the model with a llama.cpp that writes version 3"
        case .truncated(let path, let reading, let offset, let fileSize):
            return "\(path) is truncated: it ends at byte \(fileSize) while reading \(reading) at byte \(offset); "
                + "the file is incomplete, so download or copy it again"
        case .implausibleLength(let path, let what, let length, let offset, let fileSize):
            return "\(path) is corrupt: \(what) at byte \(offset) is \(length), more than the whole file "
                + "(\(fileSize) bytes) could hold; download or convert the model again"
        case .invalidString(let path, let what, let offset):
            return "\(path) is corrupt: \(what) at byte \(offset) is not valid UTF-8; download or convert the model again"
        case .unknownValueType(let path, let key, let type, let offset):
            return "\(path): key '\(key)' has value type \(type) at byte \(offset), which is not a GGUF type (0 to 12); "
                + "the file is corrupt or was written by a newer tool"
        case .invalidMetadata(let path, let key, let offset, let reason):
            return "\(path): key '\(key)' at byte \(offset) \(reason)"
        case .unknownTensorType(let path, let tensor, let type, let offset):
            let known = Self.otherTypeNames[type].map { " (\($0))" } ?? ""
            return "\(path): tensor '\(tensor)' has ggml type \(type)\(known) at byte \(offset), which this library "
                + "cannot load; use a model quantized as \(Self.dequantizableNames)"
        case .invalidTensorInfo(let path, let tensor, let offset, let reason):
            return "\(path): tensor '\(tensor)' (described at byte \(offset)) \(reason); the file is corrupt or was "
                + "written by a broken converter"
        case .tensorOutOfBounds(let path, let tensor, let start, let end, let fileSize):
            return "\(path): the data of tensor '\(tensor)' runs from byte \(start) to \(end), past the end of the file "
                + "(\(fileSize) bytes); the file is truncated, so download or copy it again"
        case .unsupportedType(let type, let operation, let tensor, let path):
            if operation == "quantize" {
                let subject = tensor.map { "tensor '\($0)'" } ?? "values"
                return "\(subject) cannot be quantized to \(type.name) here; choose F32, F16, BF16, Q8_0, Q4_0 or Q4_1"
            }
            guard let tensor else {
                return "ggml type \(type.name) cannot be dequantized by this library; use \(Self.dequantizableNames)"
            }
            let place = path.map { " in \($0)" } ?? ""
            return "tensor '\(tensor)'\(place) is \(type.name), which this library cannot dequantize; "
                + "use a model quantized as \(Self.dequantizableNames)"
        case .sizeMismatch(let what, let expected, let actual):
            return "\(what) is \(actual), but must be \(expected)"
        case .invalidTensor(let name, let reason):
            return "cannot add tensor '\(name)': \(reason)"
        case .cannotWrite(let path, let reason):
            return "cannot write \(path): \(reason); nothing was written there"
        }
    }

    static let dequantizableNames = "F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q4_K or Q6_K"

    /// ggml types outside `GGMLType`, named so that the message says what the file holds.
    static let otherTypeNames: [UInt32: String] = [
        4: "Q4_2, removed from ggml in 2023", 5: "Q4_3, removed from ggml in 2023",
        16: "IQ2_XXS", 17: "IQ2_XS", 18: "IQ3_XXS", 19: "IQ1_S", 20: "IQ4_NL", 21: "IQ3_S", 22: "IQ2_S",
        23: "IQ4_XS", 29: "IQ1_M", 31: "Q4_0_4_4", 32: "Q4_0_4_8", 33: "Q4_0_8_8", 34: "TQ1_0", 35: "TQ2_0",
        39: "MXFP4",
    ]

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String($0, radix: 16, uppercase: true).count == 1 ? "0" + String($0, radix: 16, uppercase: true)
                                                                      : String($0, radix: 16, uppercase: true) }
            .joined(separator: " ")
    }
}
