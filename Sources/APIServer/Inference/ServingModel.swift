import Foundation

/// A model a chat request can name, as the server's catalog resolves it: which base GGUF to run
/// and which LoRA adapter (if any) to put beside its weights.
public struct ServingModel: Sendable, Equatable {
    /// The id as the client requested it (echoed in responses).
    public var id: String
    /// The base model's GGUF file.
    public var baseURL: URL
    /// A PEFT adapter folder, a llama.cpp adapter `.gguf` or a training run folder; nil for the base model.
    public var adapterPath: URL?

    public init(id: String, baseURL: URL, adapterPath: URL?) {
        self.id = id
        self.baseURL = baseURL
        self.adapterPath = adapterPath
    }
}

/// Finds the files behind a model id (base models, fine-tuned models, checkpoints).
public protocol ModelResolver: Sendable {
    /// - Returns: nil when no servable model has this id (the chat endpoint answers 404
    ///   `model_not_found`).
    func servingModel(id: String) async throws -> ServingModel?
}
