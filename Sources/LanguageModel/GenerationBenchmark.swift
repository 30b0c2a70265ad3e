import Foundation

/// Measures prompt processing (prefill) and token-by-token decoding the way llama.cpp's
/// `llama-bench` does (`-p 256 -n 128`): a prompt of fixed, arbitrary token ids, then greedy
/// decoding of a fixed number of tokens, each timed separately.
public struct GenerationBenchmark: Sendable {
    public var promptTokens: Int
    public var decodeTokens: Int

    public init(promptTokens: Int = 256, decodeTokens: Int = 128) {
        self.promptTokens = promptTokens
        self.decodeTokens = decodeTokens
    }

    public struct Measurement: Sendable, Codable {
        public var promptTokens: Int
        public var decodeTokens: Int
        public var prefillSeconds: Double
        public var decodeSeconds: Double
        public var prefillTokensPerSecond: Double { Double(promptTokens) / prefillSeconds }
        public var decodeTokensPerSecond: Double { Double(decodeTokens) / decodeSeconds }
    }

    /// One run: prefill `promptTokens`, then decode `decodeTokens`.
    public func run(_ model: LlamaModel) throws(LanguageModelError) -> Measurement {
        let V = model.configuration.vocabularySize
        // Arbitrary but fixed ids spread over the vocabulary.
        let prompt = (0..<promptTokens).map { ($0 * 7_919 + 13) % V }
        let session = model.makeSession(capacity: promptTokens + decodeTokens)
        let clock = ContinuousClock()
        let start = clock.now
        var logits = try model.forward(prompt, session: session)
        let prefill = clock.now - start
        let decodeStart = clock.now
        for _ in 0..<decodeTokens {
            logits = try model.forward([Sampler.argmax(logits)], session: session)
        }
        let decode = clock.now - decodeStart
        return Measurement(promptTokens: promptTokens, decodeTokens: decodeTokens,
                           prefillSeconds: prefill.seconds, decodeSeconds: decode.seconds)
    }
}
