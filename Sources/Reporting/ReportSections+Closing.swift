import FineTuningProviders
import Foundation

extension ReportSections {
    /// Observations: strengths, weaknesses, surprises; prompts with the movements as hints.
    static func observations(_ input: ReportInput) -> [ReportBlock] {
        var strengths: [String] = [], weaknesses: [String] = [], unexpected: [String] = []
        if let evaluation = input.evaluation {
            let (better, worse) = ReportHints.movements(evaluation)
            strengths += better
            weaknesses += worse
            // A headline metric and the outliers moving opposite ways is a surprise; alone, a finding is a strength or a weakness.
            for hint in ReportHints.outliers(evaluation) {
                if hint.mixed { unexpected.append(hint.text) } else if hint.better { strengths.append(hint.text) } else { weaknesses.append(hint.text) }
            }
            if evaluation.baselineName != nil {
                if evaluation.wrongToRight > 0 { strengths.append("\(evaluation.wrongToRight) examples went wrong → right") }
                if evaluation.rightToWrong > 0 { weaknesses.append("\(evaluation.rightToWrong) examples went right → wrong: read them in \(evaluation.evaluationFolder)/examples.jsonl") }
            }
            if let format = ReportHints.format(evaluation) { weaknesses.append(format) }
        }
        if let rising = ReportHints.validationLoss(input.run.metrics) { unexpected.append(rising) }
        return [
            .heading(level: 2, text: "Observations"),
            .list(ordered: false, items: [
                promptItem("Strengths of Fine-Tuned Model", "What does the fine-tuned model do better?", strengths),
                promptItem("Weaknesses/Limitations", "Where is it still wrong, or worse than before?", weaknesses),
                promptItem("Unexpected Behaviors", "What surprised you in the answers or the numbers?", unexpected),
            ]),
        ]
    }

    /// Conclusions: overall assessment, ROI, practical applications.
    static func conclusions(_ input: ReportInput) -> [ReportBlock] {
        let run = input.run
        var overall: [String] = []
        if let evaluation = input.evaluation, evaluation.baselineName != nil {
            let (better, worse) = ReportHints.movements(evaluation)
            let compared = evaluation.rows.filter { $0.improvement != nil }.count
            overall.append("\(better.count) of \(compared) metrics improved, \(worse.count) got worse")
            if let headline = evaluation.rows.first, let movement = ReportHints.metric(headline) { overall.append("first metric: " + movement) }
        } else {
            overall.append("no before/after comparison yet: evaluate with --baseline first")
        }
        var roi = [ReportHints.cost(run)]
        if let seconds = ReportHints.duration(run) { roi.append("training took \(ReportFormat.duration(seconds))") }
        if let tokens = run.trainedTokens {
            roi.append("\(ReportFormat.count(tokens)) tokens trained")
        } else if let perEpoch = run.trainingStats.tokensPerEpoch, let epochs = run.hyperparameters["n_epochs"]?.intValue {
            roi.append("\(ReportFormat.count(perEpoch * epochs)) tokens trained (\(ReportFormat.count(perEpoch)) per epoch × \(epochs) epoch\(epochs == 1 ? "" : "s"))")
        }
        var uses: [String] = []
        if let model = run.outputName { uses.append("the model to call: \(model)") }
        return [
            .heading(level: 2, text: "Conclusions"),
            .list(ordered: false, items: [
                promptItem("Overall Assessment", "Did the fine-tuning succeed, judged by the metric that matters?", overall),
                promptItem("ROI Analysis", "Was the improvement worth the data work, the time and the cost?", roi),
                promptItem("Practical Applications", "Where will you use this model, and what must hold before you do?", uses),
            ]),
        ]
    }

    /// Next steps: a prompt with what the numbers suggest trying.
    static func nextSteps(_ input: ReportInput) -> [ReportBlock] {
        var hints: [String] = []
        if let rising = ReportHints.validationLoss(input.run.metrics) { hints.append(rising) }
        if !input.run.datasets.contains(where: { $0.role == "validation" }) {
            hints.append("add a validation set (--valid) to see when the model starts to overfit")
        }
        if let evaluation = input.evaluation {
            if let headline = ReportHints.headlineError(evaluation) ?? evaluation.rows.first, let change = headline.improvement, change < 0,
               let movement = ReportHints.metric(headline) {
                hints.append(movement + ": try more or cleaner training examples, or another learning rate or number of epochs")
            }
            if let format = ReportHints.format(evaluation) { hints.append(format) }
            if evaluation.baselineName != nil, evaluation.rightToWrong > 0 {
                hints.append("read the \(evaluation.rightToWrong) right → wrong examples in \(evaluation.evaluationFolder)/examples.jsonl")
            }
            if evaluation.baselineName == nil { hints.append("evaluate the base model too (--baseline) to see what fine-tuning changed") }
        } else {
            hints.append("evaluate the model on a held-out test set: finetune eval … --test TEST.jsonl --baseline \(input.run.baseModel)")
        }
        return [
            .heading(level: 2, text: "Next Steps"),
            .prompt(ReportPrompt(instruction: "List what you will try next, most promising first.", hints: hints)),
        ]
    }

    /// Resources: where the run record, the run directory, the adapter, the data and the evaluation are.
    static func resources(_ input: ReportInput) -> [ReportBlock] {
        let run = input.run
        var items = [field("Run record", [.code(input.runFile.path)])]
        if let directory = run.runDirectory {
            items.append(field("Run directory", [.code(directory)]))
            if run.provider == .local {
                items.append(field("Adapter", [.code((directory as NSString).appendingPathComponent("adapter"))]))
            }
        }
        for dataset in run.datasets {
            items.append(field(dataset.role == "train" ? "Training data" : "Validation data", [.code(dataset.path)]))
        }
        if let evaluation = input.evaluation {
            items.append(field("Test data", [.code(evaluation.testPath)]))
            items.append(field("Evaluation", [.code(evaluation.evaluationFolder), .text(" (evaluation.json, examples.jsonl)")]))
        }
        if let model = run.outputName { items.append(field("Fine-tuned model", [.code(model)])) }
        return [.heading(level: 2, text: "Resources"), .list(ordered: false, items: items)]
    }

    /// "- **Label:**" with a prompt under it.
    private static func promptItem(_ label: String, _ instruction: String, _ hints: [String]) -> ReportListItem {
        ReportListItem([.strong(label + ":")], blocks: [.prompt(ReportPrompt(instruction: instruction, hints: hints))])
    }
}
