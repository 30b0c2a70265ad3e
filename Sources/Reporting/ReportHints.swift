import FineTuningProviders
import Foundation

/// Sentences drawn from the numbers, offered as hints in the parts of the report a person writes.
/// Each is nil (or empty) when the numbers say nothing.
enum ReportHints {
    /// How a metric moved: "MAE got worse (40.10 → 45.20, −12.7 %)", "Format rose from 62 % to 100 % (better)".
    static func metric(_ row: ReportMetricRow) -> String? {
        guard let baseline = row.baseline, let model = row.model else { return nil }
        let before = ReportFormat.value(baseline, isFraction: row.isFraction)
        let after = ReportFormat.value(model, isFraction: row.isFraction)
        if before == after { return "\(row.name) stayed at \(after)" }
        let better = (model > baseline) == row.higherIsBetter
        if row.isFraction {
            return "\(row.name) \(model > baseline ? "rose" : "fell") from \(before) to \(after) (\(better ? "better" : "worse"))"
        }
        var text = "\(row.name) \(better ? "improved" : "got worse") (\(before) → \(after)"
        if let relative = row.relativeImprovement { text += ", " + ReportFormat.relative(relative) }
        return text + ")"
    }

    /// The rows that improved and those that got worse, as hints.
    static func movements(_ evaluation: ReportEvaluation) -> (better: [String], worse: [String]) {
        var better: [String] = [], worse: [String] = []
        for row in evaluation.rows {
            guard let improvement = row.improvement, let text = metric(row), !text.contains(" stayed at ") else { continue }
            if improvement > 0 { better.append(text) } else if improvement < 0 { worse.append(text) }
        }
        return (better, worse)
    }

    /// The headline error metric: the first numeric, lower-is-better row (MAE on numeric tasks).
    static func headlineError(_ evaluation: ReportEvaluation) -> ReportMetricRow? {
        evaluation.rows.first { !$0.isFraction && !$0.higherIsBetter && $0.baseline != nil && $0.model != nil }
    }

    /// What the largest error and the share of wild answers say on their own, and whether each
    /// moved the good way: "the largest error fell from 300.0 to 120.0: fewer wild outliers".
    static func outlierFindings(_ evaluation: ReportEvaluation) -> [(text: String, better: Bool)] {
        var findings: [(text: String, better: Bool)] = []
        // A change of the largest error under 10 % says nothing; "fewer wild outliers" also needs the
        // share of far-off answers not to have grown.
        if let model = evaluation.maxAbsError.model, let baseline = evaluation.maxAbsError.baseline, baseline > 0,
           abs(model - baseline) / baseline >= 0.1 {
            let fell = model < baseline
            let shares = evaluation.outlierShare
            let fewer = fell && (shares.model == nil || shares.baseline == nil || shares.model! <= shares.baseline!)
            findings.append(("the largest error \(fell ? "fell" : "rose") from \(ReportFormat.number(baseline)) to \(ReportFormat.number(model))"
                + (fewer ? ": fewer wild outliers" : fell ? "" : ": some answers are further off than before"), fell))
        }
        if let model = evaluation.outlierShare.model, let baseline = evaluation.outlierShare.baseline, model != baseline {
            findings.append(("answers off by more than twice the tolerance: \(ReportFormat.percent(baseline)) → \(ReportFormat.percent(model))",
                             model < baseline))
        }
        return findings
    }

    /// The outlier findings, the largest error's joined with the headline error metric when they
    /// tell different stories: "MAE got worse (40.10 → 45.20, −12.7 %) while the largest error fell
    /// from 300.0 to 120.0: fewer wild outliers". `mixed` marks such a joined hint.
    static func outliers(_ evaluation: ReportEvaluation) -> [(text: String, better: Bool, mixed: Bool)] {
        outlierFindings(evaluation).enumerated().map { index, finding in
            if index == 0, finding.text.hasPrefix("the largest error"), let headline = headlineError(evaluation),
               let improvement = headline.improvement, improvement != 0, (improvement > 0) != finding.better,
               let movement = metric(headline) {
                return (movement + " while " + finding.text, finding.better, true)
            }
            return (finding.text, finding.better, false)
        }
    }

    /// "7 examples went wrong → right, 3 right → wrong (see …/examples.jsonl)"; nil without a baseline.
    static func flips(_ evaluation: ReportEvaluation) -> String? {
        guard evaluation.baselineName != nil else { return nil }
        let examples = (evaluation.evaluationFolder as NSString).appendingPathComponent("examples.jsonl")
        return "\(evaluation.wrongToRight) example\(evaluation.wrongToRight == 1 ? "" : "s") went wrong → right, "
            + "\(evaluation.rightToWrong) right → wrong (see \(examples))"
    }

    /// Whether the validation loss turned up while the training loss kept falling, from the run's
    /// metrics: the lowest validation loss is not the last one, and the last is more than 2 % above it.
    static func validationLoss(_ metrics: [MetricPoint]) -> String? {
        let valid = metrics.compactMap { point in point.bestValidLoss.flatMap { $0.isFinite ? (point.step, $0) : nil } }
        guard valid.count >= 2, let lowest = valid.indices.min(by: { valid[$0].1 < valid[$1].1 }),
              lowest < valid.count - 1, let last = valid.last, last.1 > valid[lowest].1 * 1.02 else { return nil }
        let (lowStep, lowLoss) = valid[lowest]
        var text = "validation loss rose after step \(lowStep) (\(ReportFormat.number(lowLoss)) → \(ReportFormat.number(last.1)))"
        let train = metrics.compactMap { point in point.trainLoss.flatMap { $0.isFinite ? (point.step, $0) : nil } }
        // Training loss near the best validation step against the last few steps' (both averaged over
        // a few steps, as single steps are noisy).
        let window = max(1, train.count / 20)
        let before = train.filter { $0.0 <= lowStep }.suffix(window).map(\.1)
        let after = train.suffix(window).map(\.1)
        if !before.isEmpty, !after.isEmpty {
            let start = before.reduce(0, +) / Double(before.count), end = after.reduce(0, +) / Double(after.count)
            if end < start {
                text += " while training loss fell (\(ReportFormat.number(start)) → \(ReportFormat.number(end))): the model is learning the training set by heart"
            }
        }
        return text + "; try fewer epochs or a lower learning rate"
    }

    /// What the run cost: "cost $0.00 (local, this machine)", "cost $1.23 (charged by OpenAI)".
    static func cost(_ run: ExperimentRecord) -> String {
        if run.provider == .local { return "cost $0.00 (local, this machine)" }
        func dollars(_ value: Double) -> String { String(format: "$%.2f", value) }
        if let actual = run.cost.actualUSD { return "cost \(dollars(actual)) (charged by \(run.provider.displayName))" }
        if let quoted = run.cost.quotedUSD { return "cost about \(dollars(quoted)) (\(run.provider.displayName)'s quote)" }
        if let estimate = run.cost.estimatedUSD { return "cost about \(dollars(estimate)) (finetune's estimate)" }
        return "cost unknown (\(run.provider.displayName) did not report it)"
    }

    /// Finished − created, when the record has both.
    static func duration(_ run: ExperimentRecord) -> Double? {
        guard let start = ReportFormat.date(run.createdAt), let end = ReportFormat.date(run.finishedAt) else { return nil }
        return end.timeIntervalSince(start)
    }

    /// The format row's share, when below 100 %.
    static func format(_ evaluation: ReportEvaluation) -> String? {
        guard let row = evaluation.rows.first(where: { $0.name.lowercased().hasPrefix("format") }), let model = row.model,
              model < 1 else { return nil }
        return "\(ReportFormat.percent(1 - model)) of the fine-tuned model's answers are not in the expected format: "
            + "more training examples in that exact format, or an --extract pattern that finds the answer"
    }
}
