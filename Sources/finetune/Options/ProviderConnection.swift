import ArgumentParser
import FineTuningProviders
import Foundation

extension ProviderKind: ExpressibleByArgument {}

/// Which backend a command talks to and how: `--provider`, `--base-url`, `--api-key`, `--timeout`, `--retries`.
struct ProviderConnection: ParsableArguments {
    @Option(help: ArgumentHelp("Where to fine-tune: local (this machine), openai or together.", valueName: "provider"))
    var provider: ProviderKind = .local

    @Option(name: .customLong("base-url"), help: ArgumentHelp(
        "The provider's API (default: OPENAI_BASE_URL / TOGETHER_BASE_URL, else the provider's own). For local, a `finetune serve` URL such as http://127.0.0.1:8089/v1.",
        valueName: "url"))
    var baseURL: String?

    @Option(name: .customLong("api-key"), help: ArgumentHelp(
        "The API key (default: OPENAI_API_KEY, TOGETHER_API_KEY, or FINETUNE_API_KEY for a finetune serve).", valueName: "key"))
    var apiKey: String?

    @Option(help: ArgumentHelp("Seconds to wait for each answer before retrying.", valueName: "seconds"))
    var timeout: Double = 60

    @Option(help: ArgumentHelp("Retries after a 429, a 5xx or a dropped connection, with growing waits.", valueName: "n"))
    var retries: Int = 3

    func validate() throws {
        guard timeout > 0 else { throw ValidationError("--timeout must be more than 0 seconds.") }
        guard retries >= 0 else { throw ValidationError("--retries must be 0 or more.") }
        if let baseURL {
            guard let url = URL(string: baseURL), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
                throw ValidationError("--base-url '\(baseURL)' is not an http(s) URL; for example http://127.0.0.1:8089/v1")
            }
        }
    }

    /// The base URL: `--base-url`, else the provider's environment variable, else the default.
    func resolvedBaseURL(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
        if let baseURL { return URL(string: baseURL) }
        if let value = environment[provider.baseURLVariable], !value.isEmpty, let url = URL(string: value) { return url }
        return nil
    }

    /// Whether the local engine runs in this process (no `finetune serve` URL given).
    var isInProcess: Bool { provider == .local && resolvedBaseURL() == nil }

    /// A client for the provider's HTTP API. For `local`, the default is a `finetune serve` on 127.0.0.1:8089.
    func httpProvider(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> any FineTuningProvider {
        let client = try apiClient(environment: environment)
        switch provider {
        case .together: return TogetherProvider(client: client)
        case .openai, .local: return OpenAIProvider(kind: provider, client: client)
        }
    }

    /// The HTTP client of the provider's API, with the key, `--timeout` and `--retries` (retries are
    /// announced on standard error).
    /// - Throws: `ProviderError.missingAPIKey` for a hosted provider without a key.
    func apiClient(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> APIClient {
        let url = resolvedBaseURL(environment: environment) ?? provider.defaultBaseURL
        var key = apiKey ?? environment[provider.apiKeyVariable].flatMap { $0.isEmpty ? nil : $0 }
        if key == nil {
            guard provider == .local else {
                throw ProviderError.missingAPIKey(provider: provider, variable: provider.apiKeyVariable)
            }
            key = "sk-local"    // a finetune serve without --api-key accepts any key
        }
        var policy = RetryPolicy.default
        policy.maxAttempts = retries + 1
        var timeouts = Timeouts.default
        timeouts.request = timeout
        return APIClient(provider: provider, baseURL: url, apiKey: key, retry: policy, timeouts: timeouts,
                         onRetry: { notice in
            Console.err(Console.paint("  \(notice)", .yellow))
        })
    }

    /// The provider for commands that manage jobs (`upload`, `jobs`, `models --provider`): for local, the jobs of a
    /// `finetune serve`.
    func jobsProvider() throws -> any FineTuningProvider {
        try Console.reportingProviderErrors { try httpProvider() }
    }

    /// Runs a provider call; errors are printed (with a hint to start `finetune serve` when a local server
    /// can't be reached) and exit with status 1.
    func call<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as ProviderError {
            Console.err(Console.paint("finetune: error: \(error.description)", .red))
            if provider == .local, case .transport = error {
                Console.err("Is a `finetune serve` running there? Start one with `finetune serve`, or pass --base-url.")
            }
            throw ExitCode(1)
        }
    }

    /// How to name this connection in hints: `--provider openai --base-url URL`.
    var commandLineFlags: String {
        var flags = "--provider \(provider.rawValue)"
        if let baseURL { flags += " --base-url \(baseURL)" }
        return flags
    }
}

extension Console {
    /// Runs `body`; a `ProviderError` is printed as `finetune: error: …` and exits with status 1.
    static func reportingProviderErrors<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as ProviderError {
            err(paint("finetune: error: \(error.description)", .red))
            throw ExitCode(1)
        }
    }

    /// The synchronous form of `reportingProviderErrors`.
    static func reportingProviderErrors<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as ProviderError {
            err(paint("finetune: error: \(error.description)", .red))
            throw ExitCode(1)
        }
    }
}
