import Foundation
import Tokenization

/// What to generate and when to stop.
public struct GenerationParameters: Sendable, Equatable {
    /// Most tokens to generate.
    public var maxTokens: Int
    public var sampling: SamplingParameters
    /// Stop (without printing it) when the text produces one of these.
    public var stop: [String]
    /// Stop at the model's end-of-turn tokens (EOS, <|im_end|>, ...).
    public var stopAtEndOfTurn: Bool
    /// nil: no log probabilities; k: each step reports its token's log probability and the k most
    /// likely alternatives (OpenAI's `logprobs` / `top_logprobs`).
    public var topLogprobs: Int?

    public init(maxTokens: Int = 256, sampling: SamplingParameters = .greedy, stop: [String] = [],
                stopAtEndOfTurn: Bool = true, topLogprobs: Int? = nil) {
        self.maxTokens = maxTokens
        self.sampling = sampling
        self.stop = stop
        self.stopAtEndOfTurn = stopAtEndOfTurn
        self.topLogprobs = topLogprobs
    }
}

/// One step of generation as `TextGenerator.generateSteps` reports it.
public struct GenerationStep: Sendable {
    /// The generated token; nil for the final step that only releases held-back text.
    public var token: Int?
    /// Text that became final with this step. Often empty: an incomplete UTF-8 character or a
    /// possible start of a stop sequence is held back until later steps decide it.
    public var text: String
    /// The token's log probability, when `GenerationParameters.topLogprobs` is set.
    public var logprob: ScoredToken?
    /// The most likely tokens at this step, most likely first (`topLogprobs` of them).
    public var alternatives: [ScoredToken]
}

/// Why generation ended, with OpenAI's names.
public enum FinishReason: String, Sendable, Codable {
    /// An end-of-turn token or a stop sequence.
    case stop
    /// `maxTokens` or the end of the context.
    case length
}

/// The outcome of one generation, with timings.
public struct GenerationResult: Sendable {
    public var text: String
    /// Generated token ids (the stopping end-of-turn token excluded).
    public var tokens: [Int]
    public var finishReason: FinishReason
    public var promptTokens: Int
    /// Prompt tokens that had to be computed (the rest came from the session's cache).
    public var promptTokensComputed: Int
    public var promptSeconds: Double
    public var decodeSeconds: Double

    /// Generated tokens per second of decoding.
    public var decodeTokensPerSecond: Double { decodeSeconds > 0 ? Double(tokens.count) / decodeSeconds : 0 }
    /// Prompt tokens computed per second.
    public var promptTokensPerSecond: Double { promptSeconds > 0 ? Double(promptTokensComputed) / promptSeconds : 0 }
}

/// Generates text from a model: prefill the prompt, then sample token by token, streaming text as
/// it becomes complete UTF-8 and holding back anything that could be the start of a stop sequence.
public struct TextGenerator: Sendable {
    public let model: LlamaModel
    public let tokenizer: any Tokenizer

    public init(model: LlamaModel, tokenizer: any Tokenizer) {
        self.model = model
        self.tokenizer = tokenizer
    }

    /// - Parameters:
    ///   - prompt: token ids (BOS included if the model wants one).
    ///   - session: reuse a session to keep the cache of a shared prefix (interactive chat).
    ///   - onText: receives text as it is produced; return false to stop early.
    /// - Throws: `LanguageModelError` for an empty prompt, a prompt that fills the context, bad parameters.
    public func generate(
        prompt: [Int], parameters: GenerationParameters, session: LlamaSession? = nil,
        onText: (String) -> Bool = { _ in true }
    ) throws(LanguageModelError) -> GenerationResult {
        try generateSteps(prompt: prompt, parameters: parameters, session: session) { step in
            step.text.isEmpty || onText(step.text)
        }
    }

    /// Generates like `generate`, reporting every token: its id, the text it made final and,
    /// when asked for, its log probability and the most likely alternatives.
    ///
    /// ```swift
    /// var entries: [ScoredToken] = []
    /// let result = try generator.generateSteps(prompt: ids, parameters: .init(maxTokens: 16, topLogprobs: 2)) { step in
    ///     if let logprob = step.logprob { entries.append(logprob) }
    ///     return true
    /// }
    /// ```
    /// - Parameters:
    ///   - prompt: token ids (BOS included if the model wants one).
    ///   - session: reuse a session to keep the cache of a shared prefix.
    ///   - onStep: called after each generated token (the end-of-turn token that stops generation
    ///     is not reported) and once more with `token == nil` when held-back text remains at the
    ///     end; return false to stop early (finish reason `.stop`).
    /// - Throws: `LanguageModelError` for an empty prompt, a prompt that fills the context, bad parameters.
    public func generateSteps(
        prompt: [Int], parameters: GenerationParameters, session: LlamaSession? = nil,
        onStep: (GenerationStep) -> Bool
    ) throws(LanguageModelError) -> GenerationResult {
        guard !prompt.isEmpty else { throw .emptyPrompt }
        try parameters.sampling.validate()
        guard parameters.maxTokens >= 0 else {
            throw .invalidParameter(name: "max_tokens", message: "must be 0 or more, got \(parameters.maxTokens).")
        }
        if let k = parameters.topLogprobs, k < 0 {
            throw .invalidParameter(name: "top_logprobs", message: "must be 0 or more, got \(k).")
        }
        let context = model.configuration.contextLength
        guard prompt.count < context else { throw .contextOverflow(tokens: prompt.count + 1, contextLength: context) }
        let session = session ?? model.makeSession(capacity: min(context, prompt.count + parameters.maxTokens + 1))
        guard prompt.count < session.capacity else {
            throw .contextOverflow(tokens: prompt.count + 1, contextLength: session.capacity)
        }
        let budget = min(parameters.maxTokens, session.capacity - prompt.count)

        // Reuse the cached prefix; at least one prompt token must run to get logits.
        let shared = min(commonPrefix(session.tokens, prompt), prompt.count - 1)
        session.truncate(to: shared)
        let clock = ContinuousClock()
        let promptStart = clock.now
        var logits = try model.forward(Array(prompt[shared...]), session: session, logits: .last)
        let promptSeconds = (clock.now - promptStart).seconds

        var sampler = Sampler(parameters.sampling)
        var detokenizer = StreamingDetokenizer(tokenizer: tokenizer)
        var stops = StopSequenceFilter(parameters.stop)
        var generated: [Int] = []
        var text = ""
        var finish = FinishReason.length
        let decodeStart = clock.now
        while generated.count < budget {
            let token = sampler.sample(logits)
            if parameters.stopAtEndOfTurn, tokenizer.endOfTurnTokenIDs.contains(token) {
                finish = .stop
                break
            }
            generated.append(token)
            let (ready, stopped) = stops.push(detokenizer.append(token))
            text += ready
            var step = GenerationStep(token: token, text: ready, logprob: nil, alternatives: [])
            if let k = parameters.topLogprobs {
                let probabilities = TokenProbabilities(logits: logits)
                step.logprob = ScoredToken(id: token, logprob: probabilities.logprob(of: token))
                step.alternatives = probabilities.top(k)
            }
            if !onStep(step) { finish = .stop; break }
            if stopped { finish = .stop; break }
            if generated.count == budget { break }
            logits = try model.forward([token], session: session, logits: .last)
        }
        let decodeSeconds = (clock.now - decodeStart).seconds
        if !stops.stopped {
            let (rest, _) = stops.push(detokenizer.finish())
            let tail = rest + stops.flush()
            text += tail
            if !tail.isEmpty { _ = onStep(GenerationStep(token: nil, text: tail, logprob: nil, alternatives: [])) }
        }
        return GenerationResult(text: text, tokens: generated, finishReason: finish, promptTokens: prompt.count,
                                promptTokensComputed: prompt.count - shared, promptSeconds: promptSeconds,
                                decodeSeconds: decodeSeconds)
    }

    private func commonPrefix(_ a: [Int], _ b: [Int]) -> Int {
        var i = 0
        while i < a.count, i < b.count, a[i] == b[i] { i += 1 }
        return i
    }
}

/// Holds back text that might be the beginning of a stop sequence and cuts at the first match.
struct StopSequenceFilter {
    let sequences: [String]
    private var pending = ""
    private(set) var stopped = false

    init(_ sequences: [String]) { self.sequences = sequences.filter { !$0.isEmpty } }

    /// Adds text; returns what is safe to show and whether a stop sequence was reached.
    mutating func push(_ text: String) -> (String, Bool) {
        guard !stopped else { return ("", true) }
        guard !sequences.isEmpty else { return (text, false) }
        pending += text
        if let cut = sequences.compactMap({ pending.range(of: $0)?.lowerBound }).min() {
            stopped = true
            let ready = String(pending[..<cut])
            pending = ""
            return (ready, true)
        }
        // Keep the longest tail of `pending` that is a prefix of some stop sequence.
        var keep = 0
        for sequence in sequences {
            for length in stride(from: min(sequence.count, pending.count), to: keep, by: -1)
            where pending.hasSuffix(sequence.prefix(length)) {
                keep = length
                break
            }
        }
        let ready = String(pending.dropLast(keep))
        pending = String(pending.suffix(keep))
        return (ready, false)
    }

    /// What is still held back, once generation ended without a match.
    mutating func flush() -> String {
        defer { pending = "" }
        return stopped ? "" : pending
    }
}

extension Duration {
    var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) / 1e18
    }
}
