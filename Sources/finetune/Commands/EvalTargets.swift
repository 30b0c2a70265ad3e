import ChatDataset
import Evaluation
import FineTuningProviders
import Foundation
import LanguageModel
import ModelHub
import OpenAIAPI

/// A model `finetune eval` runs: on this machine's engine, or behind a provider's chat completions.
struct EvalTarget {
    enum Backend {
        /// The in-process engine: a base GGUF and the adapter to put on it.
        case local(AdapterLocator.Selection)
        /// OpenAI, Together or a `finetune serve`, by model id.
        case hosted(ProviderKind, APIClient, model: String)
    }

    /// The model as the user named it.
    var name: String
    var backend: Backend
    /// The training run whose model this is, when it was named by its run or its record says so.
    var run: RunReference?

    var provider: String {
        switch backend {
        case .local: "local"
        case .hosted(let kind, _, _): kind.rawValue
        }
    }

    var location: String {
        switch backend {
        case .local: "this process"
        case .hosted(_, let client, _): client.baseURL.absoluteString
        }
    }

    /// Finds what `text` names.
    ///
    /// - A run record (its name, file or job id, `finetune runs list`): the run's fine-tuned model, on
    ///   the run's provider (an in-process run's adapter runs here).
    /// - With `--provider openai|together` or a `--base-url`: a model id of that provider.
    /// - Otherwise a local model: a name from `finetune models list` (fine-tuned ones included), a
    ///   training run folder, a checkpoint or adapter folder, or a .gguf file; `adapter` puts a LoRA
    ///   adapter on it.
    static func resolve(_ text: String, adapter: String?, connection: ProviderConnection,
                        store: ExperimentRecordStore) throws -> EvalTarget {
        if adapter == nil, !FileManager.default.fileExists(atPath: text), let found = try? store.find(text) {
            return try fromRun(found.record, file: found.url, named: text, connection: connection)
        }
        if !connection.isInProcess {
            let client = try Console.reportingProviderErrors { try connection.apiClient() }
            return EvalTarget(name: text, backend: .hosted(connection.provider, client, model: text), run: nil)
        }
        let selection: AdapterLocator.Selection
        var isDirectory: ObjCBool = false
        if adapter == nil, FileManager.default.fileExists(atPath: text, isDirectory: &isDirectory), isDirectory.boolValue,
           FileManager.default.fileExists(atPath: URL(fileURLWithPath: text).appendingPathComponent(RunFolder.adapterConfigurationFileName).path) {
            selection = try AdapterLocator.locate(model: nil, adapter: text, defaultModel: nil)   // a checkpoint or adapter folder
        } else {
            selection = try AdapterLocator.locate(model: text, adapter: adapter, defaultModel: nil)
        }
        let run = selection.runDirectory.flatMap { directory in
            store.list().records.last { $0.record.runDirectory.map { URL(fileURLWithPath: $0).standardizedFileURL } == directory.standardizedFileURL }
        }
        return EvalTarget(name: adapter.map { "\(text) + adapter \($0)" } ?? text, backend: .local(selection),
                          run: run.map { RunReference(record: $0.record, file: $0.url) })
    }

    private static func fromRun(_ record: ExperimentRecord, file: URL, named text: String,
                                connection: ProviderConnection) throws -> EvalTarget {
        let reference = RunReference(record: record, file: file)
        if record.location == "this process" {
            let model = record.runDirectory ?? record.outputName
            guard let model else {
                throw CLIError("run '\(text)' has no fine-tuned model yet (status \(record.status)); evaluate it once `finetune train` has finished")
            }
            let selection = try AdapterLocator.locate(model: model, adapter: nil, defaultModel: nil)
            return EvalTarget(name: record.outputName ?? text, backend: .local(selection), run: reference)
        }
        guard let model = record.outputName else {
            throw CLIError("run '\(text)' has no fine-tuned model yet (status \(record.status)); wait for the job with `finetune jobs events \(record.jobID ?? "ID") --follow \(connection.commandLineFlags)`")
        }
        var connection = connection
        connection.provider = record.provider
        if connection.baseURL == nil, record.location != record.provider.defaultBaseURL.absoluteString { connection.baseURL = record.location }
        let client = try Console.reportingProviderErrors { try connection.apiClient() }
        return EvalTarget(name: model, backend: .hosted(record.provider, client, model: model), run: reference)
    }

    /// The source of answers; a local model is loaded here (and freed with the source).
    func answerSource(threads: Int, seed: Int) throws -> any AnswerSource {
        switch backend {
        case .local(let selection):
            return LocalAnswerSource(local: try AdapterLocator.load(selection, threads: threads))
        case .hosted(_, let client, let model):
            return HostedAnswerSource(chat: ChatCompletionClient(client: client), model: model, seed: seed)
        }
    }
}

extension RunReference {
    init(record: ExperimentRecord, file: URL) {
        self.init(name: record.name, recordFile: file.lastPathComponent, jobID: record.jobID)
    }
}

/// Answers on this machine with greedy decoding, one at a time on a thread of its own (generation
/// is long CPU work and must not hold one of Swift's cooperative threads). One session is kept, so
/// the prefix the test examples share (the system message) is computed once.
final class LocalAnswerSource: AnswerSource, @unchecked Sendable {
    private let local: LocalModel
    private let session: LlamaSession
    private let queue = DispatchQueue(label: "finetune.eval.local")

    init(local: LocalModel) {
        self.local = local
        session = local.model.makeSession()
    }

    func answer(_ prompt: [EvalMessage], maxTokens: Int) async throws -> ModelAnswer {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try self.generate(prompt, maxTokens: maxTokens) }) }
        }
    }

    private func generate(_ prompt: [EvalMessage], maxTokens: Int) throws -> ModelAnswer {
        let started = Date()
        let messages = try prompt.map { message -> ChatMessage in
            guard let role = Role(rawValue: message.role) else {
                throw CLIError("unknown role '\(message.role)' in a test example; use system, developer, user, assistant or tool")
            }
            return ChatMessage(role: role, content: message.content)
        }
        let tokens = try local.formatter.prompt(messages)
        let result = try local.generator.generate(prompt: tokens, parameters: GenerationParameters(maxTokens: maxTokens), session: session)
        return ModelAnswer(text: result.text, failure: nil, completionTokens: result.tokens.count,
                           finishReason: result.finishReason.rawValue, seconds: Date().timeIntervalSince(started))
    }
}

/// Answers through a provider's chat completions at temperature 0.
struct HostedAnswerSource: AnswerSource {
    let chat: ChatCompletionClient
    let model: String
    let seed: Int

    func answer(_ prompt: [EvalMessage], maxTokens: Int) async throws -> ModelAnswer {
        let started = Date()
        let completion = try await chat.complete(model: model, messages: prompt.map { ChatCompletionMessage(role: $0.role, text: $0.content) },
                                                 maxTokens: maxTokens, temperature: 0, seed: seed)
        let choice = completion.choices[0]
        return ModelAnswer(text: choice.message.content ?? "", failure: nil, completionTokens: completion.usage.completionTokens,
                           finishReason: choice.finishReason, seconds: Date().timeIntervalSince(started))
    }
}
