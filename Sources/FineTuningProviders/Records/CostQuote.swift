import ChatDataset
import Foundation

/// finetune's estimate of what a job costs: the training file's tokens × epochs × the price table's rate
/// for the provider and model (`finetune pricing`).
public struct CostQuote: Sendable {
    /// nil when the table has no price for the model.
    public let usd: Double?
    /// How it was worked out, for the run record.
    public let basis: String
    /// One line for the prompt: "$1.23 estimated" or "cost unknown".
    public let headline: String
    public let summary: String

    /// - Parameters:
    ///   - epochs: nil for the provider's "auto" (assumed 3 on OpenAI, 1 on Together).
    ///   - pricingPath: `--pricing`; nil for the user's table or the built-in one.
    public init(provider: ProviderKind, model: String, epochs: Int?, tokensPerEpoch: Int, pricingPath: String?,
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        let assumedEpochs: Int
        let epochNote: String
        if let epochs {
            assumedEpochs = epochs
            epochNote = "\(epochs) epoch\(epochs == 1 ? "" : "s")"
        } else {
            // The providers' defaults: OpenAI's "auto" is usually 3 for small files; Together's is 1.
            assumedEpochs = provider == .together ? 1 : 3
            epochNote = "\(assumedEpochs) epoch\(assumedEpochs == 1 ? "" : "s") (auto, assumed)"
        }
        let billed = tokensPerEpoch * assumedEpochs
        let table: PricingTable
        let source: String
        do { (table, source) = try PricingTable.load(explicitPath: pricingPath, environment: environment) } catch {
            (table, source) = (PricingTable.builtIn, "built-in defaults (\(error.description))")
        }
        let price = Self.price(in: table, provider: provider, model: model)
        if provider == .local {
            usd = 0
            basis = "\(billed.groupedDigits) tokens (\(tokensPerEpoch.groupedDigits) × \(epochNote)) on this machine: no charge"
            headline = "free"
            summary = "Training \(tokensPerEpoch.groupedDigits) tokens × \(epochNote) on this machine (no charge)."
        } else if let price {
            let cost = Double(billed) / 1_000_000 * price.usdPerMillionTrainingTokens
            usd = cost
            basis = "\(tokensPerEpoch.groupedDigits) tokens × \(epochNote) = \(billed.groupedDigits) billed tokens at "
                + String(format: "$%.2f", price.usdPerMillionTrainingTokens) + " per 1M (\(price.provider) \(price.model); prices as of \(table.asOf), \(source))"
            headline = String(format: "about $%.2f", cost)
            summary = "Estimated cost: " + String(format: "$%.2f", cost) + " — " + basis
        } else {
            usd = nil
            basis = "no price for \(provider.rawValue) \(model) in the price table (\(source)); add one with `finetune pricing --init`"
            headline = "cost unknown: \(basis)"
            summary = "Estimated cost: unknown — " + basis
        }
    }

    /// The table's price for the model: an exact match, else (Together) the LoRA or full tier for its size.
    public static func price(in table: PricingTable, provider: ProviderKind, model: String) -> PricingTable.Price? {
        let prices = table.prices.filter { $0.provider == provider.rawValue }
        if let exact = prices.first(where: { $0.model.lowercased() == model.lowercased() }) { return exact }
        if provider == .openai {
            // gpt-4o-mini → gpt-4o-mini-2024-07-18: a model named without its date.
            return prices.first { $0.model.lowercased().hasPrefix(model.lowercased() + "-") }
        }
        guard provider == .together else { return nil }
        // Together prices by size: "…-8B-…" → "LoRA, models up to 16B".
        let size = model.uppercased().split(whereSeparator: { !$0.isNumber && $0 != "." && $0 != "B" })
            .compactMap { part -> Double? in part.hasSuffix("B") ? Double(part.dropLast()) : nil }.first
        guard let size else { return prices.first { $0.model.hasPrefix("LoRA") } }
        return prices.first { price in
            guard price.model.hasPrefix("LoRA") else { return false }
            let bounds = price.model.split(whereSeparator: { !$0.isNumber }).compactMap { Double($0) }
            guard let upper = bounds.last else { return false }
            return size <= upper && (bounds.count < 2 || size >= bounds[0])
        }
    }
}

extension Int {
    /// 1,234,567
    fileprivate var groupedDigits: String {
        let digits = String(magnitude)
        var text = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { text += "," }
            text.append(digit)
        }
        return (self < 0 ? "-" : "") + text
    }
}
