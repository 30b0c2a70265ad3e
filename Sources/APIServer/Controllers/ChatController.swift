import Foundation
import Hummingbird
import Logging
import OpenAIAPI

/// `POST /v1/chat/completions` (API.md §8): a base model or a fine-tuned one, answered whole or
/// streamed as server-sent events.
///
/// Everything that can fail before the first token (the body, the parameters, the model, the
/// prompt's length) fails as a normal HTTP error; once a stream has started, an error is sent as
/// `data: {"error": …}`.
///
/// ```swift
/// ChatController(resolver: catalog, engine: InferenceEngine(threads: 2), maxBodyBytes: 8 << 20)
///     .addRoutes(to: router.group("v1"))
/// ```
struct ChatController<Resolver: ModelResolver>: Sendable {
    let resolver: Resolver
    let engine: InferenceEngine
    /// Largest JSON body accepted.
    let maxBodyBytes: Int

    func addRoutes<Context: RequestContext>(to group: RouterGroup<Context>) {
        group.post("chat/completions", use: create)
    }

    @Sendable func create(_ request: Request, context: some RequestContext) async throws -> Response {
        let body = try await request.decodeJSON(ChatCompletionRequest.self, context: context, limit: maxBodyBytes)
        let completion = try CompletionRequest(validating: body)
        guard let serving = try await resolver.servingModel(id: body.model) else {
            throw APIError.notFound("The model '\(body.model)' does not exist or you do not have access to it.",
                                    param: "model", code: "model_not_found")
        }
        let run: CompletionRun
        do {
            run = try await engine.start(completion, model: serving)
        } catch let error as InferenceError {
            throw Self.apiError(error)
        }
        let builder = ChatChunkBuilder(id: APIIdentifier.make(prefix: "chatcmpl-"), created: Int(Date().timeIntervalSince1970),
                                       model: body.model, logprobs: body.logprobs == true)
        if body.stream == true {
            return Self.stream(run, builder: builder, includeUsage: body.streamOptions?.includeUsage == true,
                               logger: context.logger, requestID: context.apiRequestID)
        }
        let collector = try await withTaskCancellationHandler {
            var collector = ChatCompletionCollector(promptTokens: run.promptTokens)
            for try await event in run.events { collector.add(event) }
            return collector
        } onCancel: {
            run.cancel()
        }
        return try jsonResponse(collector.completion(id: builder.id, created: builder.created, model: builder.model,
                                                     logprobs: builder.logprobs))
    }

    /// The SSE response: a chunk per event, the usage chunk when asked for, then `[DONE]`. A write
    /// that fails (the client went away) cancels the generation.
    static func stream(_ run: CompletionRun, builder: ChatChunkBuilder, includeUsage: Bool, logger: Logger,
                       requestID: String?) -> Response {
        let body = ResponseBody { writer in
            defer { run.cancel() }
            var collector = ChatCompletionCollector(promptTokens: run.promptTokens)
            var events = run.events.makeAsyncIterator()
            while true {
                let event: CompletionEvent?
                do {
                    event = try await events.next()
                } catch {
                    logger.error("chat completion failed mid-stream: \(String(reflecting: error))")
                    let detail = APIError.internalError(requestID: requestID).body
                    try await writer.write(try ServerSentEvents.event(detail))
                    try await writer.finish(nil)
                    return
                }
                guard let event else { break }
                collector.add(event)
                if let chunk = builder.chunk(for: event) { try await writer.write(try ServerSentEvents.event(chunk)) }
            }
            if includeUsage { try await writer.write(try ServerSentEvents.event(builder.usageChunk(collector.usage))) }
            try await writer.write(ServerSentEvents.done)
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: ServerSentEvents.headers, body: body)
    }

    /// 4xx for what the client can fix; server faults stay errors the middleware reports as 500/503.
    static func apiError(_ error: InferenceError) -> any Error {
        switch error {
        case .contextOverflow:
            return APIError.badRequest(error.description, param: "messages", code: "context_length_exceeded")
        case .invalidPrompt(let message):
            return APIError.badRequest(message, param: "messages")
        case .shutDown:
            return APIError(status: .serviceUnavailable, message: error.description)
        case .modelUnavailable, .generationFailed:
            return error
        }
    }
}
