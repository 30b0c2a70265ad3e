import ArgumentParser
import Foundation
import TensorCore

@main
struct FineTune: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finetune",
        abstract: "Prepare data, fine-tune language models and evaluate them.",
        version: "0.1.0",
        subcommands: [PrepareCommand.self, ValidateCommand.self, StatsCommand.self, SplitCommand.self, PricingCommand.self,
                      ModelsCommand.self, TrainCommand.self, UploadCommand.self, JobsCommand.self, RunsCommand.self, EvalCommand.self, ReportCommand.self, ChatCommand.self, ExportCommand.self, TokenizeCommand.self, BenchCommand.self,
                      ServeCommand.self]
    )

    /// Re-executes once with OpenBLAS told the CPU (see `BLASEnvironment`), then runs the command.
    static func main() async {
        Relaunch.withBLASCoreTypeIfNeeded()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
