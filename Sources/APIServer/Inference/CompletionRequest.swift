import ChatDataset
import Foundation
import LanguageModel
import OpenAIAPI

/// A validated chat completion request in typed form: what the engine runs.
public struct CompletionRequest: Sendable, Equatable {
    /// The conversation (roles system, user and assistant; `developer` is mapped to system).
    public var messages: [ChatMessage]
    /// Most tokens per choice; nil = as many as the context has left.
    public var maxTokens: Int?
    /// 0 = greedy.
    public var temperature: Float
    public var topP: Float
    /// Choice i samples with seed + i; nil = a random seed per choice.
    public var seed: UInt64?
    /// Stop before any of these strings (at most 4).
    public var stop: [String]
    /// Choices to generate (OpenAI's `n`).
    public var choices: Int
    /// nil = no log probabilities; k = each token's log probability and the k most likely alternatives.
    public var topLogprobs: Int?

    public init(messages: [ChatMessage], maxTokens: Int? = nil, temperature: Float = 1, topP: Float = 1,
                seed: UInt64? = nil, stop: [String] = [], choices: Int = 1, topLogprobs: Int? = nil) {
        self.messages = messages
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.topP = topP
        self.seed = seed
        self.stop = stop
        self.choices = choices
        self.topLogprobs = topLogprobs
    }
}

/// What a running completion reports, in order: for each choice (one after another)
/// `began`, any number of `delta`s, then `finished`.
public enum CompletionEvent: Sendable, Equatable {
    /// Choice `choice` starts (its prompt is about to be processed).
    case began(choice: Int)
    /// New text of a choice, with the log probabilities of the tokens that produced it (empty
    /// when not requested).
    case delta(choice: Int, text: String, logprobs: [TokenLogprob])
    /// A choice ended. `logprobs` holds the tokens whose text was never shown (a stop sequence).
    case finished(choice: Int, reason: FinishReason, completionTokens: Int, logprobs: [TokenLogprob])
}

/// A completion the engine accepted: the prompt fits, and generation runs on the engine's thread.
///
/// Iterate `events`; dropping them, or calling `cancel()`, stops the generation at its next token.
public struct CompletionRun: Sendable {
    /// Tokens of the formatted prompt (counted once in `usage`, whatever `n`).
    public let promptTokens: Int
    /// Events until every choice finished; the stream throws `InferenceError` when generation fails.
    public let events: AsyncThrowingStream<CompletionEvent, any Error>
    let flag: CancellationFlag

    /// Stops the generation (a client went away).
    public func cancel() { flag.cancel() }

    /// Tokens generated so far, over all choices (counted on the generation thread, whether or not
    /// their events have been read yet).
    public var generatedTokens: Int { flag.generated }
}

/// Set once, read from the generation thread at every token; also counts the tokens generated.
final class CancellationFlag: @unchecked Sendable {
    // @unchecked: `cancelled` and `generated` are only touched while holding `lock`.
    private let lock = NSLock()
    private var cancelled = false
    private var count = 0

    func cancel() { lock.withLock { cancelled = true } }
    var isCancelled: Bool { lock.withLock { cancelled } }
    /// Counts a generated token; returns false once cancelled (the generation stops there).
    func tokenGenerated() -> Bool {
        lock.withLock {
            count += 1
            return !cancelled
        }
    }
    var generated: Int { lock.withLock { count } }
}
