import Foundation
import LanguageModel
import Logging
import OpenAIAPI
import TensorCore
import Tokenization

/// Runs chat completions for the server: one generation thread serves requests in arrival
/// order, models come from a `ModelCache`, and each completion streams its tokens as events.
///
/// ```swift
/// let engine = InferenceEngine(threads: 2, logger: logger)
/// let run = try await engine.start(CompletionRequest(messages: [.init(role: .user, content: "Hi")]), model: serving)
/// for try await event in run.events { … }
/// ```
public final class InferenceEngine: Sendable {
    /// The loaded models (shared by every request).
    public let cache: ModelCache
    private let thread = GenerationThread()
    private let worker: GenerationWorker

    /// - Parameters:
    ///   - threads: compute threads of each model's forward pass.
    ///   - adapterCapacity: LoRA adapters kept loaded (least recently used ones are dropped).
    ///   - logger: receives one debug line per completion with its timings.
    public init(threads: Int = ThreadPool.defaultThreadCount, adapterCapacity: Int = 8,
                logger: Logger = Logger(label: "finetune.inference")) {
        cache = ModelCache(threads: threads, adapterCapacity: adapterCapacity)
        worker = GenerationWorker(cache: cache, logger: logger)
    }

    /// Queues a completion and waits until it reaches the generation thread, which loads the
    /// model (once), formats the prompt and checks that it fits. Generation then goes on in the
    /// background; read it from the returned run's `events`.
    ///
    /// Cancelling the calling task while the request waits in the queue withdraws it.
    /// - Throws: `InferenceError` when the model can't be loaded, the prompt can't be formatted or
    ///   doesn't fit the context, or the engine was shut down; `CancellationError` when withdrawn.
    public func start(_ request: CompletionRequest, model: ServingModel) async throws -> CompletionRun {
        let flag = CancellationFlag()
        let worker = worker
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (accepted: CheckedContinuation<CompletionRun, any Error>) in
                let queued = thread.submit { worker.run(request, model: model, flag: flag, accepted: accepted) }
                if !queued { accepted.resume(throwing: InferenceError.shutDown) }
            }
        } onCancel: {
            flag.cancel()
        }
    }

    /// Requests waiting behind the one being generated.
    public var queuedRequests: Int { thread.waiting }

    /// Refuses new requests; the queued ones still run.
    public func shutdown() { thread.stop() }
}

/// The generation thread's side of the engine.
final class GenerationWorker: @unchecked Sendable {
    // @unchecked: `cachedSession` is only touched inside `run`, which only the engine's single
    // generation thread calls, one job at a time.
    let cache: ModelCache
    let logger: Logger
    /// The last completion's KV cache: a request for the same model and prompt (the next choice of
    /// `n`, a retry, a conversation that grows) only computes the tokens after the shared prefix.
    private var cachedSession: (key: String, session: LlamaSession)?

    init(cache: ModelCache, logger: Logger) {
        self.cache = cache
        self.logger = logger
    }

    func run(_ request: CompletionRequest, model: ServingModel, flag: CancellationFlag,
             accepted: CheckedContinuation<CompletionRun, any Error>) {
        guard !flag.isCancelled else { return accepted.resume(throwing: CancellationError()) }
        let ready: ReadyModel
        let prompt: [Int]
        do {
            ready = try cache.model(for: model)
            prompt = try ready.formatter.prompt(request.messages)
        } catch let error as InferenceError {
            return accepted.resume(throwing: error)
        } catch {
            return accepted.resume(throwing: InferenceError.invalidPrompt(String(describing: error)))
        }
        let context = ready.model.configuration.contextLength
        guard !prompt.isEmpty else { return accepted.resume(throwing: InferenceError.invalidPrompt("The messages produced an empty prompt.")) }
        guard prompt.count < context else {
            return accepted.resume(throwing: InferenceError.contextOverflow(promptTokens: prompt.count, contextLength: context))
        }
        let budget = max(0, min(request.maxTokens ?? .max, context - prompt.count))
        let (events, continuation) = AsyncThrowingStream.makeStream(of: CompletionEvent.self, throwing: (any Error).self)
        continuation.onTermination = { _ in flag.cancel() }
        accepted.resume(returning: CompletionRun(promptTokens: prompt.count, events: events, flag: flag))

        let session = session(for: ready, capacity: prompt.count + budget)
        let generator = TextGenerator(model: ready.model, tokenizer: ready.formatter.tokenizer)
        let started = ContinuousClock.now
        var generatedTokens = 0
        do {
            for choice in 0..<request.choices {
                guard !flag.isCancelled else { break }
                continuation.yield(.began(choice: choice))
                let seed = request.seed.map { $0 &+ UInt64(choice) } ?? UInt64.random(in: .min ... .max)
                let parameters = GenerationParameters(
                    maxTokens: budget, sampling: SamplingParameters(temperature: request.temperature, topP: request.topP, seed: seed),
                    stop: request.stop, stopAtEndOfTurn: true, topLogprobs: request.topLogprobs)
                var pending: [TokenLogprob] = []
                let result = try generator.generateSteps(prompt: prompt, parameters: parameters, session: session) { step in
                    guard flag.tokenGenerated() else { return false }
                    if let logprob = step.logprob { pending.append(Self.wire(logprob, step.alternatives, ready.formatter.tokenizer)) }
                    if !step.text.isEmpty {
                        continuation.yield(.delta(choice: choice, text: step.text, logprobs: pending))
                        pending.removeAll()
                    }
                    return true
                }
                generatedTokens += result.tokens.count
                guard !flag.isCancelled else { break }
                continuation.yield(.finished(choice: choice, reason: result.finishReason,
                                             completionTokens: result.tokens.count, logprobs: pending))
            }
            continuation.finish()
        } catch {
            // A session left half-written must not be reused.
            cachedSession = nil
            continuation.finish(throwing: InferenceError.generationFailed(String(describing: error)))
        }
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        logger.debug("completion", metadata: [
            "model": "\(model.id)", "prompt_tokens": "\(prompt.count)", "completion_tokens": "\(generatedTokens)",
            "seconds": "\(String(format: "%.2f", seconds))", "cancelled": "\(flag.isCancelled)",
        ])
    }

    /// The cached session when it belongs to this model and is large enough, else a new one.
    private func session(for ready: ReadyModel, capacity: Int) -> LlamaSession {
        if let cached = cachedSession, cached.key == ready.key, cached.session.capacity >= capacity {
            return cached.session
        }
        let session = ready.model.makeSession(capacity: capacity)
        cachedSession = (ready.key, session)
        return session
    }

    /// A token's log probability in OpenAI's form: the token's text, its bytes, the alternatives.
    static func wire(_ token: ScoredToken, _ alternatives: [ScoredToken], _ tokenizer: some Tokenizer) -> TokenLogprob {
        func describe(_ id: Int) -> (String, [Int]) {
            let bytes = tokenizer.bytes(for: id)
            return (String(decoding: bytes, as: UTF8.self), bytes.map(Int.init))
        }
        let (text, bytes) = describe(token.id)
        return TokenLogprob(token: text, logprob: Double(token.logprob), bytes: bytes, topLogprobs: alternatives.map {
            let (text, bytes) = describe($0.id)
            return TopLogprob(token: text, logprob: Double($0.logprob), bytes: bytes)
        })
    }
}
