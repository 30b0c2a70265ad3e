import ArgumentParser
import ChatDataset
import Foundation

/// `finetune pricing`: shows the pricing table `stats` uses, and writes an editable copy.
struct PricingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pricing",
        abstract: "Show the fine-tuning price table used for cost estimates, or write an editable copy."
    )

    @Flag(name: .customLong("init"), help: "Write the built-in table to your pricing file (~/.config/finetune/pricing.yaml) for editing.")
    var initialize = false

    @Flag(help: "With --init, replace an existing pricing file.")
    var force = false

    @Option(help: ArgumentHelp("A pricing table (YAML) to show instead of yours or the built-in one.", valueName: "file"))
    var pricing: String?

    func run() throws {
        try Console.reportingErrors(exitStatus: 1) {
            if initialize {
                let path = pricing ?? PricingTable.userPath()
                if FileManager.default.fileExists(atPath: path), !force {
                    throw DatasetError.invalidArgument("\(path) already exists; edit it, or add --force to replace it with the built-in table")
                }
                try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                        withIntermediateDirectories: true)
                let writer = try AtomicFileWriter(path: path)
                try writer.write(PricingTable.defaultYAML)
                try writer.commit()
                Console.err("Wrote \(path); edit it and `finetune stats` will use it.")
                return
            }
            let (table, source) = try PricingTable.load(explicitPath: pricing)
            Console.out("Prices as of \(table.asOf) (\(table.source)), from \(source):")
            for price in table.prices {
                Console.out("  " + StatsTable.pad(price.provider, 10) + StatsTable.pad(price.model, 30)
                            + String(format: "$%6.2f per 1M training tokens", price.usdPerMillionTrainingTokens)
                            + (price.note.map { "  (\($0))" } ?? ""))
            }
        }
    }
}
