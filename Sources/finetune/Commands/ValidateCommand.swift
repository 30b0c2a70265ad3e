import ArgumentParser
import ChatDataset
import Foundation

/// `finetune validate FILE`: every check OpenAI's and Together's data checks make, offline.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a chat JSONL file before uploading it.",
        discussion: """
        Reports every problem with its line, field and what to do. Exit status: 0 when there are no \
        errors (warnings allowed), 1 when there are errors, 2 when the file cannot be read.
        """
    )

    @Argument(help: "The chat JSONL file to check.")
    var file: String

    @OptionGroup var providerOptions: ProviderOptions

    @Flag(help: "Print the report as JSON on standard output.")
    var json = false

    func run() throws {
        let progress = ProgressBar(label: "validating \(file)")
        defer { progress.finish() }
        let result = try Console.reportingErrors(exitStatus: 2) {
            try DatasetScanner(options: providerOptions.scanOptions).scan(path: file, progress: progress.update)
        }
        progress.finish()
        if json {
            try Console.printJSON(ValidationJSON(result))
        } else {
            printReport(result)
        }
        if !result.isClean { throw ExitCode(1) }
    }

    private func printReport(_ result: ScanResult) {
        let findings = result.findings
        let sorted = findings.kept.sorted { ($0.line ?? .max, $0.severity == .warning ? 1 : 0) < ($1.line ?? .max, $1.severity == .warning ? 1 : 0) }
        for finding in sorted { Console.err(Console.format(finding, file: result.path)) }
        for (code, omitted) in findings.omittedByCode.sorted(by: { $0.key < $1.key }) {
            Console.err("… and \(omitted.grouped) more [\(code)] not shown (--max-findings or --json shows more)")
        }
        var summary = "\(result.path): \(result.exampleCount.grouped) examples, \(result.usableCount.grouped) usable"
        if result.duplicateCount > 0 { summary += ", \(result.duplicateCount.grouped) duplicates" }
        Console.err(summary)
        if !result.tokenCountsAreExact {
            Console.err("Token counts are \(result.tokenCountDescription).")
        }
        let counts = "\(findings.errorCount.grouped) error\(findings.errorCount == 1 ? "" : "s"), \(findings.warningCount.grouped) warning\(findings.warningCount == 1 ? "" : "s")"
        if result.isClean {
            Console.err(Console.paint("✓ ready for \(result.provider.displayName): \(counts)", .green))
        } else {
            Console.err(Console.paint("✗ not ready for \(result.provider.displayName): \(counts); fix the errors above and run validate again", .red))
        }
    }
}

/// The `--json` report of `validate`.
struct ValidationJSON: Encodable {
    var file: String
    var provider: String
    var ok: Bool
    var examples: Int
    var usableExamples: Int
    var duplicates: Int
    var blankLines: Int
    var errors: Int
    var warnings: Int
    var tokenLimit: Int
    var tokenCounts: String
    var countsByCode: [String: Int]
    var findings: [Finding]
    var findingsOmitted: [String: Int]

    init(_ result: ScanResult) {
        file = result.path
        provider = result.provider.rawValue
        ok = result.isClean
        examples = result.exampleCount
        usableExamples = result.usableCount
        duplicates = result.duplicateCount
        blankLines = result.blankLineCount
        errors = result.findings.errorCount
        warnings = result.findings.warningCount
        tokenLimit = result.tokenLimit
        tokenCounts = result.tokenCountsAreExact ? "exact" : result.tokenCountDescription
        countsByCode = result.findings.countsByCode
        findings = result.findings.kept
        findingsOmitted = result.findings.omittedByCode
    }
}
