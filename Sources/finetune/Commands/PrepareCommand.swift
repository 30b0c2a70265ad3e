import ArgumentParser
import ChatDataset
import Foundation

extension RecordFormat: ExpressibleByArgument {}

/// `finetune prepare FILE -o OUT`: turns records (CSV, JSON, JSONL) into chat fine-tuning JSONL.
struct PrepareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prepare",
        abstract: "Turn records (CSV, JSON or JSONL) into chat fine-tuning JSONL.",
        discussion: """
        Each record becomes one {"messages":[…]} line: an optional system message, a user message \
        and the assistant's reply, rendered from templates with {{field}} placeholders \
        ({{item.title}} reads nested JSON, {{price:.2f}} formats a number). Give the templates \
        with --user/--assistant (and --system), or in a YAML file with --template:

          system: Reply only with the price, no explanation.
          user: |-
            How much does this cost?
            {{title}}
            {{description}}
          assistant: Price is ${{price:.2f}}
          where: ["price > 0"]

        Records missing a field, or with an empty value, are skipped and counted. With \
        --from prompt-completion, legacy {"prompt","completion"} records become a user and an \
        assistant message, both trimmed of surrounding whitespace.

        Examples:
          finetune prepare items.csv -o train.jsonl --template price.yaml
          finetune prepare items.csv -o train.jsonl --where 'price > 0' \\
            --user 'How much does this cost?\\n{{title}}' \\
            --assistant 'Price is ${{price:.2f}}' --shuffle --limit 500
          finetune prepare legacy.jsonl -o chat.jsonl --from prompt-completion
        """
    )

    /// The record shapes `--from` accepts besides templates.
    enum InputShape: String, ExpressibleByArgument, CaseIterable {
        case promptCompletion = "prompt-completion"
    }

    @Argument(help: "The records: a .csv file with a header row, a .json array of objects, or .jsonl (one object per line).")
    var input: String

    @Option(name: [.short, .long], help: ArgumentHelp("Where to write the chat JSONL ('-' for standard output).", valueName: "file"))
    var output: String

    @Option(help: "The input format, when the extension does not tell it.")
    var format: RecordFormat?

    @Option(help: ArgumentHelp("A YAML file with system, user, assistant templates and an optional where: list.", valueName: "file.yaml"))
    var template: String?

    @Option(help: ArgumentHelp("The system message template (\\n, \\t and \\\\ are read as escapes).", valueName: "text"))
    var system: String?

    @Option(help: ArgumentHelp("The user message template, such as 'How much does this cost?\\n{{title}}'.", valueName: "text"))
    var user: String?

    @Option(help: ArgumentHelp("The assistant message template, such as 'Price is ${{price:.2f}}'.", valueName: "text"))
    var assistant: String?

    @Option(name: .customLong("where"), help: ArgumentHelp("Keep only records where FIELD OP VALUE holds (OP: == != > >= < <= ~); repeat to require several.", valueName: "condition"))
    var conditions: [String] = []

    @Option(name: .customLong("from"), help: "Convert records of this shape instead of rendering templates.")
    var shape: InputShape?

    @Option(help: "Write at most this many examples (taken after filtering and shuffling).")
    var limit: Int?

    @Flag(help: "Shuffle the examples (reproducibly, with --seed) before --limit applies.")
    var shuffle = false

    @Option(help: "The seed for --shuffle (default: 42): the same seed gives the same order.")
    var seed: UInt64?

    @Flag(help: "Render empty and null values as empty text instead of skipping the record.")
    var allowEmpty = false

    func validate() throws {
        let flagTemplates = [("--system", system), ("--user", user), ("--assistant", assistant)].filter { $0.1 != nil }.map(\.0)
        if shape == .promptCompletion {
            if template != nil || user != nil || assistant != nil {
                throw ValidationError("--from prompt-completion builds the messages from each record's prompt and completion; drop --template, --user and --assistant (--system is allowed)")
            }
        } else if template != nil {
            if let first = flagTemplates.first {
                throw ValidationError("--template and \(first) cannot be used together: the template file sets the messages; move the text into the file, or drop --template")
            }
        } else if user == nil || assistant == nil {
            if user == nil, assistant == nil {
                throw ValidationError("say how to build the messages: give --template FILE.yaml, or --user and --assistant templates such as --user '{{question}}' --assistant '{{answer}}' (or --from prompt-completion for legacy prompt/completion records)")
            }
            throw ValidationError("\(user == nil ? "--assistant" : "--user") needs \(user == nil ? "--user" : "--assistant") too: every example needs a user message and the assistant's reply")
        }
        if let limit, limit < 1 {
            throw ValidationError("--limit must be 1 or more (leave it out to keep every example)")
        }
        if seed != nil, !shuffle {
            throw ValidationError("--seed only matters with --shuffle; add --shuffle, or drop --seed")
        }
        if output == input {
            throw ValidationError("--output is the input file; write the examples to another file (prepare never modifies its input)")
        }
    }

    func run() throws {
        let progress = ProgressBar(label: "preparing \(input)", unit: .records)
        defer { progress.finish() }
        let report = try Console.reportingErrors(exitStatus: 1) {
            let filters = try conditions.map { (text) throws(DatasetError) in try RecordFilter(parsing: text) }
            let mode: PrepareOptions.Mode
            if shape == .promptCompletion {
                mode = .promptCompletion(system: system.map(MessageTemplate.interpretingEscapes))
            } else if let template {
                mode = .template(try ChatTemplate(yamlFile: template))
            } else {
                mode = .template(try ChatTemplate(systemFlag: system, userFlag: user ?? "", assistantFlag: assistant ?? ""))
            }
            let options = PrepareOptions(mode: mode, format: format, filters: filters, limit: limit,
                                         shuffleSeed: shuffle ? seed ?? 42 : nil, allowEmpty: allowEmpty)
            return try DatasetPreparer(options: options).run(input: input, output: output) { progress.update($0, nil) }
        }
        progress.finish()
        let summary = Self.summary(report, output: output)
        for line in summary { Console.err(line) }
        guard output != "-" else { return }
        let inputURL = URL(fileURLWithPath: input)
        let step = DataProvenance.Step(command: CommandLineText.typed,
                                       summary: summary.map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: "; "),
                                       input: input, inputSHA256: try? DataProvenance.sha256(of: inputURL))
        do {
            try DataProvenance.record(step, producing: URL(fileURLWithPath: output), examples: report.examplesWritten)
        } catch {
            Console.err("warning: \(error); the data's preparation steps won't appear in run reports")
        }
    }

    /// The readable summary: a headline, then each skip reason with its count and first lines.
    static func summary(_ report: PrepareReport, output: String) -> [String] {
        let destination = output == "-" ? "standard output" : output
        let examples = report.examplesWritten == 1 ? "example" : "examples"
        let records = report.recordsRead == 1 ? "record" : "records"
        var lines = ["Prepared \(report.examplesWritten.grouped) \(examples) from \(report.recordsRead.grouped) \(records) → \(destination)"]
        for skip in report.skips {
            let more = skip.count > skip.firstLines.count ? ", …" : ""
            let lineList = skip.firstLines.map(String.init).joined(separator: ", ")
            lines.append("  skipped \(skip.count.grouped): \(skip.reason) (line\(skip.count == 1 ? "" : "s") \(lineList)\(more))")
        }
        if report.leftOutByLimit > 0 {
            lines.append("  left out \(report.leftOutByLimit.grouped) by --limit")
        }
        return lines
    }
}
