import Foundation

/// The JSON coders for the wire format.
///
/// Keys come from each type's `CodingKeys` (snake case there), so no key strategy is set.
/// Timestamps are plain `Int` Unix seconds, so no date strategy is needed either.
///
/// ```swift
/// let data = try OpenAIJSON.encoder().encode(job)
/// let request = try OpenAIJSON.decoder().decode(CreateFineTuningJobRequest.self, from: body)
/// ```
public enum OpenAIJSON {
    /// A fresh encoder: slashes unescaped, keys sorted (stable output).
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return encoder
    }

    /// A fresh decoder. Unknown keys are ignored (the SDK may send new fields).
    public static func decoder() -> JSONDecoder {
        JSONDecoder()
    }
}
