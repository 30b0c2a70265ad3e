import Foundation
import LanguageModel
import OpenAIAPI

/// Turns a completion's events into stream chunks (API.md §8): the first chunk of each choice
/// carries `role: "assistant"` and empty content, text deltas follow, and exactly one chunk per
/// choice carries its `finish_reason`.
struct ChatChunkBuilder: Sendable {
    let id: String
    let created: Int
    let model: String
    /// Whether the request asked for logprobs (then every text chunk carries them).
    let logprobs: Bool

    /// The chunks for one event (none or one).
    func chunk(for event: CompletionEvent) -> ChatCompletionChunk? {
        switch event {
        case .began(let choice):
            return chunk(ChunkChoice(index: choice, delta: ChunkDelta(role: "assistant", content: "")))
        case let .delta(choice, text, entries):
            return chunk(ChunkChoice(index: choice, delta: ChunkDelta(content: text),
                                     logprobs: logprobs ? ChoiceLogprobs(content: entries) : nil))
        case let .finished(choice, reason, _, entries):
            return chunk(ChunkChoice(index: choice, delta: ChunkDelta(), finishReason: reason.rawValue,
                                     logprobs: logprobs && !entries.isEmpty ? ChoiceLogprobs(content: entries) : nil))
        }
    }

    /// The last chunk before `[DONE]` when `stream_options.include_usage` is set: no choices, the usage.
    func usageChunk(_ usage: CompletionUsage) -> ChatCompletionChunk {
        ChatCompletionChunk(id: id, created: created, model: model, choices: [], usage: usage)
    }

    private func chunk(_ choice: ChunkChoice) -> ChatCompletionChunk {
        ChatCompletionChunk(id: id, created: created, model: model, choices: [choice])
    }
}

/// Gathers a completion's events into one `ChatCompletion` (the non-streamed answer) and counts
/// usage for both forms.
struct ChatCompletionCollector: Sendable {
    private struct Choice {
        var text = ""
        var logprobs: [TokenLogprob] = []
        var finishReason: FinishReason?
    }

    let promptTokens: Int
    private var choices: [Int: Choice] = [:]
    private(set) var completionTokens = 0

    init(promptTokens: Int) {
        self.promptTokens = promptTokens
    }

    var usage: CompletionUsage { CompletionUsage(promptTokens: promptTokens, completionTokens: completionTokens) }

    mutating func add(_ event: CompletionEvent) {
        switch event {
        case .began(let choice):
            choices[choice] = Choice()
        case let .delta(choice, text, entries):
            choices[choice, default: Choice()].text += text
            choices[choice, default: Choice()].logprobs += entries
        case let .finished(choice, reason, tokens, entries):
            choices[choice, default: Choice()].logprobs += entries
            choices[choice, default: Choice()].finishReason = reason
            completionTokens += tokens
        }
    }

    /// The answer; `logprobs` says whether the request asked for them (else `logprobs: null`).
    func completion(id: String, created: Int, model: String, logprobs: Bool) -> ChatCompletion {
        let list = choices.keys.sorted().compactMap { index -> ChatCompletionChoice? in
            guard let choice = choices[index] else { return nil }
            return ChatCompletionChoice(
                index: index, message: AssistantMessage(content: choice.text),
                finishReason: (choice.finishReason ?? .stop).rawValue,
                logprobs: logprobs ? ChoiceLogprobs(content: choice.logprobs) : nil)
        }
        return ChatCompletion(id: id, created: created, model: model, choices: list, usage: usage)
    }
}
