import FineTuningProviders
import Foundation

extension ReportSections {
    /// Evaluation: the quantitative table and the flips, the samples before and after, a paragraph
    /// comparing the models, then the charts. Without an evaluation: how to make one.
    static func evaluation(_ input: ReportInput) -> [ReportBlock] {
        var blocks: [ReportBlock] = [.heading(level: 2, text: "Evaluation")]
        guard let evaluation = input.evaluation else {
            let model = input.run.outputName ?? input.run.name
            blocks.append(.paragraph([
                .strong("Not evaluated yet."),
                .text(" Run the fine-tuned model and the base model on a held-out test set, then write this report again:"),
            ]))
            blocks.append(.code("finetune eval \(model) --test TEST.jsonl --baseline \(input.run.baseModel)\nfinetune report \(input.run.name)"))
            return blocks + chartBlocks(input)
        }
        blocks.append(.paragraph([
            .text("Test set "), .code(evaluation.testPath),
            .text(" (\(ReportFormat.count(evaluation.testExamples)) examples, SHA-256 \(evaluation.testSHA256.prefix(12))…, \(taskWords(evaluation.task))): "),
            .code(evaluation.modelName),
        ] + (evaluation.baselineName.map { [.text(" against "), .code($0)] } ?? [])
          + [.text(". Each example's answers are in "), .code(evaluation.evaluationFolder), .text(".")]))

        blocks.append(.heading(level: 3, text: "Quantitative Metrics"))
        blocks.append(.table(header: ["Metric", "Pre-Tuning Score", "Post-Tuning Score", "Improvement"],
                             rows: evaluation.rows.map(tableRow)))
        if let flips = ReportHints.flips(evaluation) {
            blocks.append(.paragraph([.strong("Flips:"), .text(" " + flips + ".")]))
        } else {
            blocks.append(.paragraph([.text("No baseline was evaluated, so the Pre-Tuning column is empty: run "),
                                      .code("finetune eval \(evaluation.modelName) --test \(evaluation.testPath) --baseline \(input.run.baseModel)"),
                                      .text(" to fill it.")]))
        }

        blocks.append(.heading(level: 3, text: "Qualitative Evaluation"))
        blocks += qualitative(evaluation)

        blocks.append(.heading(level: 3, text: "Comparison Analysis"))
        blocks.append(.paragraph([.text(analysis(evaluation))]))
        return blocks + chartBlocks(input)
    }

    /// Metric | Pre-Tuning Score | Post-Tuning Score | Improvement, e.g. "MAE | 40.10 | 45.20 | −5.10 (−12.7 %, worse)".
    static func tableRow(_ row: ReportMetricRow) -> [String] {
        var improvement = "—"
        if let change = row.improvement {
            improvement = ReportFormat.change(change, isFraction: row.isFraction)
            var notes: [String] = []
            if let relative = row.relativeImprovement { notes.append(ReportFormat.relative(relative)) }
            notes.append(change > 0 ? "better" : change < 0 ? "worse" : "same")
            improvement += " (" + notes.joined(separator: ", ") + ")"
        }
        return [row.name, ReportFormat.value(row.baseline, isFraction: row.isFraction),
                ReportFormat.value(row.model, isFraction: row.isFraction), improvement]
    }

    /// The template's three items: the prompts (numbered, with why each was picked and the expected
    /// answer), then the answers before and after under the same numbers.
    private static func qualitative(_ evaluation: ReportEvaluation) -> [ReportBlock] {
        guard !evaluation.samples.isEmpty else { return [.paragraph([.text("No samples were recorded.")])] }
        let prompts = evaluation.samples.map { sample in
            ReportListItem([.emphasis(sample.note), .text(" — expected "), .code(sample.expected)], blocks: [.code(sample.prompt)])
        }
        func answers(_ pick: (ReportSample) -> String?) -> String {
            evaluation.samples.enumerated().map { index, sample in "\(index + 1). " + (pick(sample) ?? "(no answer: the call failed)") }
                .joined(separator: "\n")
        }
        let before: ReportBlock = evaluation.baselineName == nil
            ? .paragraph([.text("no baseline was evaluated")])
            : .code(answers(\.baseline))
        return [.list(ordered: false, items: [
            ReportListItem([.strong("Sample Prompts Used for Testing:")], blocks: [.list(ordered: true, items: prompts)]),
            ReportListItem([.strong("Before Fine-Tuning Sample Responses")] + (evaluation.baselineName.map { [.text(" ("), .code($0), .text("):")] } ?? [.text(":")]),
                           blocks: [before]),
            ReportListItem([.strong("After Fine-Tuning Sample Responses"), .text(" ("), .code(evaluation.modelName), .text("):")],
                           blocks: [.code(answers(\.model))]),
        ])]
    }

    /// A paragraph written from the numbers: how many metrics moved each way and how, the outliers,
    /// the flips.
    static func analysis(_ evaluation: ReportEvaluation) -> String {
        let compared = evaluation.rows.filter { $0.improvement != nil }
        guard let baseline = evaluation.baselineName, !compared.isEmpty else {
            let values = evaluation.rows.map { "\($0.name) \(ReportFormat.value($0.model, isFraction: $0.isFraction))" }
            return "Only the fine-tuned model was evaluated (\(values.joined(separator: ", "))); with a baseline this paragraph compares the two."
        }
        let (better, worse) = ReportHints.movements(evaluation)
        var sentences = ["On \(ReportFormat.count(evaluation.testExamples)) test examples, \(evaluation.modelName) did better than \(baseline) "
            + "on \(better.count) of \(compared.count) metrics and worse on \(worse.count)."]
        if !better.isEmpty { sentences.append(capitalized(better.joined(separator: "; ")) + ".") }
        if !worse.isEmpty { sentences.append(capitalized(worse.joined(separator: "; ")) + ".") }
        // Outliers moving against the headline error metric: "Yet the largest error fell …".
        let headlineBetter = ReportHints.headlineError(evaluation)?.improvement.map { $0 > 0 }
        var contrasted = false
        for finding in ReportHints.outlierFindings(evaluation) {
            let contrary = headlineBetter.map { $0 != finding.better } == true
            sentences.append((contrary && !contrasted ? "Yet " + finding.text : capitalized(finding.text)) + ".")
            contrasted = contrasted || contrary
        }
        if let flips = ReportHints.flips(evaluation) { sentences.append(capitalized(flips) + ".") }
        return sentences.joined(separator: " ")
    }

    private static func chartBlocks(_ input: ReportInput) -> [ReportBlock] {
        let charts = charts(input)
        guard !charts.isEmpty else { return [] }
        return [.heading(level: 3, text: "Charts")] + charts.map { .figure($0) }
    }

    static func capitalized(_ text: String) -> String {
        text.prefix(1).uppercased() + text.dropFirst()
    }
}
