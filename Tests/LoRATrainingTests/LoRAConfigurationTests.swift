import LanguageModel
import LoRATraining
import Testing

@Suite("LoRA configuration")
struct LoRAConfigurationTests {
    @Test("alpha defaults to twice the rank and the scale is alpha over rank")
    func defaults() {
        let config = LoRAConfiguration(rank: 4)
        #expect(config.alpha == 8)
        #expect(config.scale == 2)
        #expect(config.targets == LoRATarget.allCases)
    }

    @Test("target names parse in PEFT, short and GGUF spellings")
    func parsing() {
        #expect(LoRATarget.parse("q_proj") == [.query])
        #expect(LoRATarget.parse("gate") == [.gate])
        #expect(LoRATarget.parse("attn_output") == [.output])
        #expect(LoRATarget.parse("all") == LoRATarget.allCases)
        #expect(LoRATarget.parse("lm_head") == nil)
    }
}
