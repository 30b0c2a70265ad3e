import ChatDataset
import Foundation
import GGUF

/// Writes safetensors files (the layout is described on `SafetensorsFile`).
///
/// The header lists `__metadata__` first, then the tensors in the order given, their data back to
/// back from offset 0; it is padded with spaces so that the data starts at a multiple of 8, as
/// the reference implementation does.
///
/// ```swift
/// try SafetensorsWriter.write([(name: "w", shape: [2, 3], values: [1, 2, 3, 4, 5, 6])],
///                             metadata: ["format": "pt"], dtype: .bf16, to: url)
/// ```
public enum SafetensorsWriter {
    /// Writes `tensors` atomically (temporary file in the same folder, fsync, rename).
    /// - Parameters:
    ///   - tensors: unique non-empty names; `values.count` the product of `shape` (row-major).
    ///   - metadata: the `__metadata__` strings (omitted when empty).
    ///   - dtype: how every tensor is stored; F16 and BF16 round to nearest even.
    /// - Throws: `ExportError.invalidValues` for a duplicate name or a count that doesn't match the
    ///   shape, `.cannotWrite` when the file can't be written.
    public static func write(_ tensors: [(name: String, shape: [Int], values: [Float])],
                             metadata: [String: String] = [:], dtype: SafetensorsDType = .f32,
                             to url: URL) throws(ExportError) {
        let header = try encodedHeader(tensors.map { ($0.name, $0.shape, $0.values.count) }, metadata: metadata, dtype: dtype)
        let file = try AtomicFileWriter(url)
        try file.write(withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) })
        try file.write(header)
        for tensor in tensors {
            let bytes: [UInt8]
            do { bytes = try GGMLQuantization.quantize(dtype.ggmlType, tensor.values) } catch { throw .gguf(error) }
            try file.write(bytes)
        }
        try file.commit()
    }

    /// The JSON header, padded with spaces to a multiple of 8 bytes.
    static func encodedHeader(_ tensors: [(name: String, shape: [Int], count: Int)], metadata: [String: String],
                              dtype: SafetensorsDType) throws(ExportError) -> [UInt8] {
        var json = "{"
        var fields: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { quoted($0) + ":" + quoted(metadata[$0] ?? "") }
            fields.append(quoted("__metadata__") + ":{" + pairs.joined(separator: ",") + "}")
        }
        var names: Set<String> = []
        var offset = 0
        for tensor in tensors {
            guard !tensor.name.isEmpty, tensor.name != "__metadata__", names.insert(tensor.name).inserted else {
                throw .invalidValues(tensor: tensor.name, reason: "tensor names must be unique, non-empty and not '__metadata__'")
            }
            guard tensor.shape.allSatisfy({ $0 >= 0 }), let elements = elementCount(tensor.shape), elements == tensor.count else {
                throw .invalidValues(tensor: tensor.name, reason: "\(tensor.count) values were given for shape \(tensor.shape)")
            }
            let end = offset + elements * dtype.byteCount
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            fields.append(quoted(tensor.name) + ":{\"dtype\":\"\(dtype.rawValue)\",\"shape\":[\(shape)],"
                          + "\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        json += fields.joined(separator: ",") + "}"
        var bytes = Array(json.utf8)
        bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - bytes.count % 8) % 8))
        return bytes
    }

    /// The product of `shape`, or nil when it overflows.
    private static func elementCount(_ shape: [Int]) -> Int? {
        var count = 1
        for size in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            if overflow { return nil }
            count = product
        }
        return count
    }

    /// A JSON string literal (ChatDataset's JSON writer does the escaping).
    static func quoted(_ text: String) -> String {
        var out: [UInt8] = []
        JSONWriter.writeString(text, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
