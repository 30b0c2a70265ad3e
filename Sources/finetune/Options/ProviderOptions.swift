import ArgumentParser
import ChatDataset

extension Provider: ExpressibleByArgument {}

/// Which provider's rules apply, shared by `validate` and `stats`.
struct ProviderOptions: ParsableArguments {
    @Option(help: "Check against this provider's rules: openai, together or local.")
    var provider: Provider = .openai

    @Option(help: ArgumentHelp("Tokens allowed per example (default: the provider's limit).", valueName: "n"))
    var maxTokens: Int?

    @Option(help: ArgumentHelp("Findings shown per kind of problem; all are counted.", valueName: "n"))
    var maxFindings: Int = 20

    func validate() throws {
        if let maxTokens, maxTokens < 1 { throw ValidationError("--max-tokens must be a positive number of tokens") }
        if maxFindings < 0 { throw ValidationError("--max-findings must be 0 or more") }
    }

    var scanOptions: ScanOptions {
        ScanOptions(provider: provider, tokenLimit: maxTokens, findingsPerCode: maxFindings)
    }
}
