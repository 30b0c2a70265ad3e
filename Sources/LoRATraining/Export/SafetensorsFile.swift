import Foundation
import GGUF

/// An element type of a safetensors tensor that this library converts to and from `Float`.
public enum SafetensorsDType: String, Sendable, CaseIterable, Codable {
    case f32 = "F32", f16 = "F16", bf16 = "BF16"

    /// Bytes per element.
    public var byteCount: Int { self == .f32 ? 4 : 2 }

    /// The ggml type with the same little-endian element encoding.
    var ggmlType: GGMLType {
        switch self {
        case .f32: .f32
        case .f16: .f16
        case .bf16: .bf16
        }
    }

    /// The other dtypes the format defines, to tell a tensor of another type from a corrupt header.
    static let otherNames: Set<String> = [
        "F64", "I64", "U64", "I32", "U32", "I16", "U16", "I8", "U8", "BOOL", "F8_E4M3", "F8_E5M2",
        "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2", "C64",
    ]
}

/// One tensor of a safetensors file, converted to `Float`.
public struct SafetensorsTensor: Sendable, Equatable {
    /// Row-major, outermost first (PyTorch order: a Linear weight is [out, in]).
    public var shape: [Int]
    /// How the values were stored.
    public var dtype: SafetensorsDType
    /// The values in row-major order.
    public var values: [Float]

    public init(shape: [Int], dtype: SafetensorsDType, values: [Float]) {
        self.shape = shape
        self.dtype = dtype
        self.values = values
    }
}

/// A safetensors file read into memory (https://github.com/huggingface/safetensors, the format
/// Hugging Face and PEFT save weights in).
///
/// The layout:
/// 1. N: the header's size in bytes, a u64, little-endian.
/// 2. The header: N bytes of UTF-8 JSON, an object that starts with `{`, padded at the end with
///    spaces (writers pad so that the data starts at a multiple of 8). Each key is a tensor name
///    whose value is `{"dtype": "F32", "shape": [out, in], "data_offsets": [begin, end]}`; the
///    optional key `__metadata__` holds an object of string values.
/// 3. The data: every tensor's elements, row-major and little-endian, at its offsets counted from
///    the first byte after the header. The tensors cover the data exactly: no gaps, no overlaps.
///
/// ```swift
/// let file = try SafetensorsFile.read(URL(fileURLWithPath: "adapter_model.safetensors"))
/// let a = file.tensors["base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"]  // [r, 576]
/// ```
public struct SafetensorsFile: Sendable {
    /// The header may not be larger than this (the reference implementation's limit).
    public static let maxHeaderSize = 100_000_000

    /// Tensors by name.
    public var tensors: [String: SafetensorsTensor]
    /// Tensor names in the order their data lies in the file.
    public var names: [String]
    /// The `__metadata__` strings.
    public var metadata: [String: String]

    /// Reads and checks a whole file.
    /// - Throws: `ExportError.missingFile` or `.cannotRead` when it can't be read,
    ///   `.malformedSafetensors` for broken framing (truncated, bad JSON, offsets that don't tile
    ///   the data), `.unsupportedDType` for a tensor that is not F32, F16 or BF16.
    public static func read(_ url: URL) throws(ExportError) -> SafetensorsFile {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw .missingFile(path: url.path, hint: "check the path, or save the weights as safetensors first")
        }
        let data: Data
        do { data = try Data(contentsOf: url, options: .mappedIfSafe) } catch {
            throw .cannotRead(path: url.path, reason: error.localizedDescription)
        }
        let result: Result<SafetensorsFile, ExportError> = data.withUnsafeBytes { bytes in
            do throws(ExportError) { return .success(try parse(bytes, path: url.path)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Parses the bytes of a safetensors file; `path` names it in errors.
    public static func parse(_ bytes: UnsafeRawBufferPointer, path: String) throws(ExportError) -> SafetensorsFile {
        func malformed(_ reason: String) -> ExportError { .malformedSafetensors(path: path, reason: reason) }
        guard bytes.count >= 8 else { throw malformed("it has \(bytes.count) bytes, fewer than the 8 of the header size") }
        let declared = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
        guard declared <= UInt64(maxHeaderSize) else {
            throw malformed("the header size is \(declared) bytes, more than the limit of \(maxHeaderSize)")
        }
        let headerSize = Int(declared)
        guard headerSize <= bytes.count - 8 else {
            throw malformed("the header size is \(headerSize) bytes, but only \(bytes.count - 8) follow it (truncated)")
        }
        let headerBytes = UnsafeRawBufferPointer(rebasing: bytes[8..<(8 + headerSize)])
        guard headerBytes.first == UInt8(ascii: "{") else { throw malformed("the header does not start with '{'") }
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: Data(headerBytes)) } catch {
            throw malformed("the header is not valid JSON (\(error.localizedDescription))")
        }
        guard let header = object as? [String: Any] else { throw malformed("the header is not a JSON object") }

        var metadata: [String: String] = [:]
        var entries: [(name: String, dtype: String, shape: [Int], begin: Int, end: Int)] = []
        for (name, value) in header {
            if name == "__metadata__" {
                guard let strings = value as? [String: Any] else { throw malformed("'__metadata__' is not an object") }
                for (key, item) in strings {
                    guard let text = item as? String else { throw malformed("'__metadata__'.'\(key)' is not a string") }
                    metadata[key] = text
                }
                continue
            }
            guard let fields = value as? [String: Any], let dtype = fields["dtype"] as? String,
                  let shape = integers(fields["shape"]), let offsets = integers(fields["data_offsets"]) else {
                throw malformed("tensor '\(name)' needs a string 'dtype', an integer array 'shape' and 'data_offsets'")
            }
            guard shape.allSatisfy({ $0 >= 0 }), offsets.count == 2, offsets[0] >= 0, offsets[0] <= offsets[1] else {
                throw malformed("tensor '\(name)' has shape \(shape) and data_offsets \(offsets); sizes must be ≥ 0 "
                                + "and the offsets a pair [begin, end] with begin ≤ end")
            }
            entries.append((name, dtype, shape, offsets[0], offsets[1]))
        }

        // The tensors must tile the data section exactly, in offset order.
        let dataSize = bytes.count - 8 - headerSize
        entries.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var position = 0
        for entry in entries {
            guard entry.begin == position else {
                throw malformed("tensor '\(entry.name)' starts at data byte \(entry.begin), but the previous tensor ends at \(position)")
            }
            guard entry.end <= dataSize else {
                throw malformed("tensor '\(entry.name)' ends at data byte \(entry.end), past the end of the data (\(dataSize) bytes; truncated?)")
            }
            position = entry.end
        }
        guard position == dataSize else {
            throw malformed("the tensors cover \(position) bytes of data, but the file holds \(dataSize)")
        }

        var tensors: [String: SafetensorsTensor] = [:]
        let data = UnsafeRawBufferPointer(rebasing: bytes[(8 + headerSize)...])
        for entry in entries {
            guard let dtype = SafetensorsDType(rawValue: entry.dtype) else {
                guard SafetensorsDType.otherNames.contains(entry.dtype) else {
                    throw malformed("tensor '\(entry.name)' has dtype '\(entry.dtype)', which the format does not define")
                }
                throw .unsupportedDType(path: path, tensor: entry.name, dtype: entry.dtype)
            }
            var count = 1
            for size in entry.shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: size)
                guard !overflow else { throw malformed("tensor '\(entry.name)' has an impossibly large shape \(entry.shape)") }
                count = product
            }
            let (bytesNeeded, overflow) = count.multipliedReportingOverflow(by: dtype.byteCount)
            guard !overflow, bytesNeeded == entry.end - entry.begin else {
                throw malformed("tensor '\(entry.name)' of shape \(entry.shape) as \(dtype.rawValue) needs \(count) × "
                                + "\(dtype.byteCount) bytes, but its offsets span \(entry.end - entry.begin)")
            }
            let source = UnsafeRawBufferPointer(rebasing: data[entry.begin..<entry.end])
            var values = [Float](repeating: 0, count: count)
            let failure: GGUFError? = values.withUnsafeMutableBufferPointer { destination in
                do throws(GGUFError) { try GGMLQuantization.dequantize(dtype.ggmlType, source, into: destination) } catch { return error }
                return nil
            }
            if let failure { throw .gguf(failure) }
            tensors[entry.name] = SafetensorsTensor(shape: entry.shape, dtype: dtype, values: values)
        }
        return SafetensorsFile(tensors: tensors, names: entries.map(\.name), metadata: metadata)
    }

    /// A JSON array of integers, or nil.
    private static func integers(_ value: Any?) -> [Int]? {
        guard let array = value as? [Any] else { return nil }
        var result: [Int] = []
        result.reserveCapacity(array.count)
        for element in array {
            guard let number = element as? NSNumber, let integer = Int(exactly: number.doubleValue),
                  Double(number.int64Value) == number.doubleValue else { return nil }
            result.append(integer)
        }
        return result
    }
}
