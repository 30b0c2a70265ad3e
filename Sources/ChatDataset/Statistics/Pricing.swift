import Foundation
import Yams

/// Fine-tuning prices per provider and model, in US dollars per million training tokens.
/// The defaults ship with the date they were taken; users keep their own copy up to date
/// (`finetune pricing --init` writes it, `--pricing FILE` or `FINETUNE_PRICING` selects it).
public struct PricingTable: Sendable, Codable, Equatable {
    /// When the prices were read off the providers' pricing pages (YYYY-MM-DD).
    public var asOf: String
    public var source: String
    public var prices: [Price]

    public struct Price: Sendable, Codable, Equatable {
        public var provider: String
        public var model: String
        public var usdPerMillionTrainingTokens: Double
        public var note: String?

        enum CodingKeys: String, CodingKey {
            case provider, model, note
            case usdPerMillionTrainingTokens = "usd_per_million_training_tokens"
        }
    }

    enum CodingKeys: String, CodingKey {
        case asOf = "as_of", source, prices
    }

    /// The table finetune ships with, as YAML (what `--init` writes).
    public static let defaultYAML = """
    # Fine-tuning training prices, US dollars per million training tokens (tokens in the file x epochs).
    # Edit freely: finetune reads this file instead of its built-in copy. Check the providers' pricing
    # pages before relying on a figure.
    as_of: "2025-07-01"
    source: "OpenAI and Together pricing pages"
    prices:
      - {provider: openai, model: gpt-4o-mini-2024-07-18, usd_per_million_training_tokens: 3.00}
      - {provider: openai, model: gpt-4.1-nano-2025-04-14, usd_per_million_training_tokens: 1.50}
      - {provider: openai, model: gpt-4.1-mini-2025-04-14, usd_per_million_training_tokens: 5.00}
      - {provider: openai, model: gpt-4.1-2025-04-14, usd_per_million_training_tokens: 25.00}
      - {provider: openai, model: gpt-4o-2024-08-06, usd_per_million_training_tokens: 25.00}
      - {provider: openai, model: gpt-3.5-turbo-0125, usd_per_million_training_tokens: 8.00}
      - {provider: together, model: "LoRA, models up to 16B", usd_per_million_training_tokens: 0.48}
      - {provider: together, model: "LoRA, 17B-69B", usd_per_million_training_tokens: 1.50}
      - {provider: together, model: "LoRA, 70B-100B", usd_per_million_training_tokens: 2.90}
      - {provider: together, model: "full fine-tune, up to 16B", usd_per_million_training_tokens: 0.54}
      - {provider: local, model: smollm2-135m-instruct, usd_per_million_training_tokens: 0.00, note: "runs on this machine"}

    """

    /// The built-in table.
    public static var builtIn: PricingTable {
        // The literal above is covered by a test; a failure here is a programmer error.
        (try? parse(defaultYAML, source: "built-in")) ?? PricingTable(asOf: "", source: "", prices: [])
    }

    /// Parses a pricing table from YAML.
    /// - Throws: `DatasetError.invalidInput` naming the file and what is missing.
    public static func parse(_ yaml: String, source path: String) throws(DatasetError) -> PricingTable {
        do {
            return try YAMLDecoder().decode(PricingTable.self, from: yaml)
        } catch {
            throw DatasetError.invalidInput(path: path, line: nil,
                message: "not a pricing table (\(error)); expected as_of, source and prices: [{provider, model, usd_per_million_training_tokens}] — `finetune pricing --init` writes a valid one")
        }
    }

    /// Loads the table the user chose: `explicitPath`, else `$FINETUNE_PRICING`, else
    /// `~/.config/finetune/pricing.yaml` when it exists, else the built-in table.
    /// - Returns: the table and where it came from.
    public static func load(explicitPath: String? = nil,
                            environment: [String: String] = ProcessInfo.processInfo.environment) throws(DatasetError) -> (PricingTable, String) {
        let candidates: [(String, Bool)] = [explicitPath.map { ($0, true) }, environment["FINETUNE_PRICING"].map { ($0, true) },
                                            (userPath(environment: environment), false)].compactMap { $0 }
        for (path, required) in candidates {
            guard FileManager.default.fileExists(atPath: path) else {
                if required { throw DatasetError.cannotRead(path: path, reason: "no such file; check the path") }
                continue
            }
            guard let data = FileManager.default.contents(atPath: path) else {
                throw DatasetError.cannotRead(path: path, reason: "the file cannot be read")
            }
            return (try parse(String(decoding: data, as: UTF8.self), source: path), path)
        }
        return (builtIn, "built-in defaults")
    }

    /// `~/.config/finetune/pricing.yaml` (or under `$XDG_CONFIG_HOME`).
    public static func userPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let base = environment["XDG_CONFIG_HOME"] ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.config")
        return base + "/finetune/pricing.yaml"
    }
}

/// What training on a dataset would cost with one price.
public struct CostEstimate: Sendable, Codable, Equatable {
    public var provider: String
    public var model: String
    public var epochs: Int
    public var billedTokens: Int
    public var usd: Double

    /// Estimates for every price in `table`: tokens per epoch x epochs x price.
    public static func estimates(tokensPerEpoch: Int, epochs: Int, table: PricingTable) -> [CostEstimate] {
        table.prices.map { price in
            let billed = tokensPerEpoch * epochs
            return CostEstimate(provider: price.provider, model: price.model, epochs: epochs, billedTokens: billed,
                                usd: Double(billed) / 1_000_000 * price.usdPerMillionTrainingTokens)
        }
    }
}
