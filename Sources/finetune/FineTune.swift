import ArgumentParser

@main
struct FineTune: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finetune",
        abstract: "Prepare data, fine-tune language models and evaluate them.",
        version: "0.1.0",
        subcommands: [PrepareCommand.self, ValidateCommand.self, StatsCommand.self, SplitCommand.self, PricingCommand.self]
    )
}
