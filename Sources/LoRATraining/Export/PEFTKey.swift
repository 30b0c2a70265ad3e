import Foundation
import LanguageModel

/// Maps PEFT tensor names to adapted layers, and PEFT configuration decoding errors to messages.
enum PEFTKey {
    /// Parses `base_model.model.model.layers.{i}.{module}.lora_A.weight` (also with an adapter name
    /// before `weight`, as some tools save: `lora_A.default.weight`).
    /// - Returns: the layer, the target and whether the tensor is A (else B).
    /// - Throws: `ExportError.unexpectedTensor` for any other tensor.
    static func parse(_ name: String, path: String) throws(ExportError) -> (layer: Int, target: LoRATarget, isA: Bool) {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard let factorIndex = parts.firstIndex(where: { $0 == "lora_A" || $0 == "lora_B" }) else {
            throw .unexpectedTensor(path: path, tensor: name, reason: "is not a LoRA factor (lora_A or lora_B); "
                                    + "adapters with extra trained modules or biases are not supported")
        }
        let tail = parts[(factorIndex + 1)...]
        guard tail.last == "weight", tail.count <= 2 else {
            throw .unexpectedTensor(path: path, tensor: name, reason: "ends in '\(tail.joined(separator: "."))', not 'weight'")
        }
        guard let layersIndex = parts[..<factorIndex].lastIndex(of: "layers"), layersIndex + 2 <= factorIndex,
              let layer = Int(parts[layersIndex + 1]), layer >= 0 else {
            throw .unexpectedTensor(path: path, tensor: name, reason: "is not inside a decoder layer (model.layers.N); "
                                    + "only the attention and MLP projections of a Llama model can be adapted")
        }
        let module = parts[(layersIndex + 2)..<factorIndex].joined(separator: ".")
        guard let target = LoRATarget.allCases.first(where: { $0.peftPath == module }) else {
            let names = LoRATarget.allCases.map(\.peftPath).joined(separator: ", ")
            throw .unexpectedTensor(path: path, tensor: name, reason: "adapts '\(module)', which is not one of \(names)")
        }
        return (layer, target, parts[factorIndex] == "lora_A")
    }

    /// An `ExportError` naming the key a `DecodingError` is about.
    static func configurationError(_ error: DecodingError, path: String) -> ExportError {
        func key(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case let .keyNotFound(missing, context):
            let full = (context.codingPath + [missing]).map(\.stringValue).joined(separator: ".")
            return .invalidConfiguration(path: path, key: full, reason: "is missing; a PEFT LoRA configuration needs it")
        case let .typeMismatch(type, context), let .valueNotFound(type, context):
            return .invalidConfiguration(path: path, key: key(context), reason: "is not a \(type) (\(context.debugDescription))")
        case let .dataCorrupted(context):
            let where_ = key(context)
            return .invalidConfiguration(path: path, key: where_.isEmpty ? "(file)" : where_,
                                         reason: "is not valid JSON (\(context.debugDescription)); save the adapter again")
        @unknown default:
            return .invalidConfiguration(path: path, key: "(file)", reason: "cannot be decoded: \(error)")
        }
    }
}
