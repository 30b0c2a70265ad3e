import Evaluation
import Foundation

/// The table `finetune eval` prints: each metric before (the baseline) and after (the model), the
/// improvement, then the examples that flipped and where the files are.
enum EvalSummary {
    static func print(_ record: EvaluationRecord, lines: [ExampleLine], folder: URL) {
        Console.out("")
        if let baseline = record.baseline, let rows = record.comparison {
            Table.print([["METRIC", "BEFORE: " + Table.clip(baseline.model), "AFTER: " + Table.clip(record.model.model), "IMPROVEMENT"]]
                        + rows.map { row in
                            [row.name, value(row.baseline, fraction: row.isFraction), value(row.model, fraction: row.isFraction),
                             improvement(row)]
                        }, rightAligned: [1, 2])
        } else {
            Table.print([["METRIC", Table.clip(record.model.model)]]
                        + record.model.metrics.map { [$0.name, value($0.value, fraction: $0.isFraction)] }, rightAligned: [1])
        }
        for evaluation in [record.baseline, record.model].compactMap({ $0 }) {
            if let parsed = evaluation.parsed, parsed < record.test.examples {
                Console.out("  \(Table.clip(evaluation.model)): \(record.test.examples - parsed) of \(record.test.examples) answers hold no number (left out of MAE, RMSE, MAPE; misses in Within)")
            }
            if evaluation.failures > 0 {
                Console.out("  \(Table.clip(evaluation.model)): \(evaluation.failures) requests failed (counted as wrong)")
            }
        }
        if let flips = record.flips {
            Console.out("")
            Console.out("Flipped: \(flips.wrongToRight.count) wrong → right, \(flips.rightToWrong.count) right → wrong"
                        + (record.task == .numeric ? " (right: within \(record.tolerance))" : ""))
            for (title, indices) in [("wrong → right", flips.wrongToRight), ("right → wrong", flips.rightToWrong)] where !indices.isEmpty {
                for line in lines.filter({ indices.contains($0.index) }).prefix(3) {
                    Console.out("  \(title)  line \(line.line): expected \(quote(line.expected)); before \(quote(line.baseline?.answer)), after \(quote(line.model.answer))")
                }
                if indices.count > 3 { Console.out("  … \(indices.count - 3) more \(title) in \(EvaluationStore.examplesFileName) (\"flip\")") }
            }
        }
        Console.out("")
        Console.out("Evaluation: \(folder.path)/")
        Console.out("  \(EvaluationStore.recordFileName) (summary), \(EvaluationStore.examplesFileName) (every answer)"
                    + (record.files.charts.isEmpty ? "" : ", " + record.files.charts.joined(separator: ", ")))
    }

    /// `12.3%` for shares, `45.21` for amounts, `-` when missing.
    static func value(_ value: Double?, fraction: Bool) -> String {
        guard let value, value.isFinite else { return "-" }
        return fraction ? String(format: "%.1f%%", value * 100) : String(format: abs(value) >= 1000 ? "%.0f" : "%.2f", value)
    }

    /// `+5.10 (+11.3%) better`, `-4.0 pp worse`, `=` when unchanged.
    static func improvement(_ row: ComparisonRow) -> String {
        guard let gain = row.improvement, gain.isFinite else { return "-" }
        if abs(gain) < 1e-12 { return "same" }
        var text = row.isFraction ? String(format: "%+.1f pp", gain * 100) : String(format: "%+.2f", gain)
        if !row.isFraction, let relative = row.relativeImprovement, relative.isFinite { text += String(format: " (%+.1f%%)", relative * 100) }
        return text + (gain > 0 ? " better" : " worse")
    }

    static func quote(_ text: String?) -> String {
        guard let text else { return "(no answer)" }
        let flat = text.replacingOccurrences(of: "\n", with: " ")
        return "\"" + Table.clip(flat) + "\""
    }
}
