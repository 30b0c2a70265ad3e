import ChatDataset
import Foundation
import Testing
@testable import FineTuningProviders

@Suite("cost estimates before a job starts")
struct CostQuoteTests {
    /// No user table: the built-in prices only.
    let environment = ["HOME": "/nonexistent-finetune-home"]

    @Test("OpenAI: file tokens × epochs × the model's price, worked out in the basis")
    func openAI() {
        let quote = CostQuote(provider: .openai, model: "gpt-4o-mini-2024-07-18", epochs: 3, tokensPerEpoch: 120_000,
                              pricingPath: nil, environment: environment)
        // 360,000 tokens at $3.00 per million.
        #expect(quote.usd.map { abs($0 - 1.08) < 1e-9 } == true)
        #expect(quote.basis.contains("120,000 tokens × 3 epochs = 360,000 billed tokens at $3.00 per 1M"))
        #expect(quote.headline == "about $1.08")
    }

    @Test("epochs left to the provider are assumed as its default and said so")
    func autoEpochs() {
        let openAI = CostQuote(provider: .openai, model: "gpt-4o-mini", epochs: nil, tokensPerEpoch: 1_000_000,
                               pricingPath: nil, environment: environment)
        #expect(openAI.usd == 9, "3 assumed epochs of 1M tokens at $3.00 (the dated model found from its short name)")
        #expect(openAI.basis.contains("3 epochs (auto, assumed)"))
        let together = CostQuote(provider: .together, model: "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference", epochs: nil,
                                 tokensPerEpoch: 1_000_000, pricingPath: nil, environment: environment)
        #expect(together.usd.map { abs($0 - 0.48) < 1e-9 } == true, "1 epoch in the LoRA tier up to 16B")
    }

    @Test("Together prices by model size: the tier whose range holds it")
    func togetherTiers() {
        let table = PricingTable.builtIn
        #expect(CostQuote.price(in: table, provider: .together, model: "meta-llama/Meta-Llama-3.1-70B-Instruct-Reference")?.model == "LoRA, 70B-100B")
        #expect(CostQuote.price(in: table, provider: .together, model: "Qwen/Qwen2.5-32B-Instruct")?.model == "LoRA, 17B-69B")
        #expect(CostQuote.price(in: table, provider: .together, model: "mistralai/Mistral-7B-Instruct-v0.2")?.model == "LoRA, models up to 16B")
    }

    @Test("a model without a price is unknown, with the way to add one; local runs are free")
    func unknownAndLocal() {
        let unknown = CostQuote(provider: .openai, model: "smollm2-135m-instruct", epochs: 1, tokensPerEpoch: 10,
                                pricingPath: nil, environment: environment)
        #expect(unknown.usd == nil)
        #expect(unknown.basis.contains("finetune pricing --init"))
        let local = CostQuote(provider: .local, model: "smollm2-135m-instruct", epochs: 2, tokensPerEpoch: 1_500,
                              pricingPath: nil, environment: environment)
        #expect(local.usd == 0)
        #expect(local.basis.contains("3,000 tokens"))
    }
}
