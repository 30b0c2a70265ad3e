import Charts
import FineTuningProviders
import Foundation
import OpenAIAPI

/// The document's sections in the order and with the headings of the experiment template
/// (`001_…txt`): overview, objective, dataset, training parameters, training process, evaluation
/// (with the charts), observations, conclusions, next steps, resources.
enum ReportSections {
    static let title = "LLM Fine-Tuning Experiment Documentation"

    static func blocks(_ input: ReportInput) -> [ReportBlock] {
        introduction(input) + overview(input) + objective(input) + dataset(input) + parameters(input) + process(input)
            + evaluation(input) + observations(input) + conclusions(input) + nextSteps(input) + resources(input)
    }

    /// Every chart the report shows: the loss curves (when the run recorded losses), then the evaluation's.
    static func charts(_ input: ReportInput) -> [ReportChart] {
        let train = input.run.metrics.compactMap { point in point.trainLoss.map { (step: point.step, loss: $0) } }
        let valid = input.run.metrics.compactMap { point in point.bestValidLoss.map { (step: point.step, loss: $0) } }
        var charts: [ReportChart] = []
        if !train.isEmpty || !valid.isEmpty {
            let title = "Loss of \(input.run.name) (\(modelFileName(input.run.baseModel)))"
            charts.append(ReportChart(title: "Training and validation loss", fileName: "loss.svg",
                                      svg: LossChart.svg(train: train, valid: valid, title: title)))
        }
        return charts + (input.evaluation?.charts ?? [])
    }

    // MARK: - The run

    private static func introduction(_ input: ReportInput) -> [ReportBlock] {
        [.paragraph([.text("Run "), .strong(input.run.name), .text(" ("), .code(input.runFile.path), .text("), written by finetune \(input.run.finetuneVersion) on \(ReportFormat.dateTime(input.generatedAt)). Replace each ✍️ prompt with your own words; the hints under them come from the numbers below.")])]
    }

    private static func overview(_ input: ReportInput) -> [ReportBlock] {
        let run = input.run
        let started = ReportFormat.date(run.createdAt) ?? ReportFormat.date(run.timestamp)
        let finished = ReportFormat.date(run.finishedAt)
        let completed: [ReportInline] = finished.map { [.text(ReportFormat.dateTime($0))] }
            ?? [.text("not completed (status: \(run.status))")]
        let model: [ReportInline] = run.outputName.map { [.code($0)] }
            ?? [.text(run.provider == .local && run.runDirectory != nil ? "the adapter in the run directory (see Resources)" : "none yet (status: \(run.status))")]
        return [
            .heading(level: 2, text: "Experiment Overview"),
            .list(ordered: false, items: [
                field("Date Started", started.map { [.text(ReportFormat.dateTime($0))] } ?? [.text("unknown")]),
                field("Date Completed", completed),
                field("Base Model", [.code(run.baseModel)]),
                field("Fine-Tuned Model ID", model),
                field("Purpose", [.placeholder("✍️ one sentence: why you are fine-tuning this model")]),
            ]),
        ]
    }

    private static func objective(_ input: ReportInput) -> [ReportBlock] {
        var hints: [String] = []
        if let evaluation = input.evaluation {
            hints.append("the test set \(evaluation.testPath) holds \(ReportFormat.count(evaluation.testExamples)) examples with \(taskWords(evaluation.task))")
            if let row = evaluation.rows.first, let baseline = row.baseline, let name = evaluation.baselineName {
                hints.append("\(name) scores \(row.name) \(ReportFormat.value(baseline, isFraction: row.isFraction)) on it before fine-tuning: the number to beat")
            }
        }
        return [
            .heading(level: 2, text: "Objective"),
            .prompt(ReportPrompt(instruction: "Describe what the fine-tuning should achieve: the task, the answers you expect, and the number that will say it worked.", hints: hints)),
        ]
    }

    private static func dataset(_ input: ReportInput) -> [ReportBlock] {
        let run = input.run, stats = run.trainingStats
        let train = run.datasets.first { $0.role == "train" }, valid = run.datasets.first { $0.role == "validation" }

        var source: [ReportInline] = []
        let trainPath = train?.path ?? run.trainingParameters["training_file_path"]?.stringValue ?? run.trainingParameters["input_file"]?.stringValue
        if let step = input.preparation.first, let original = preparedInput(step.command) {
            source = [.code(original)]
            if let trainPath { source += [.text(", prepared into "), .code(trainPath)] }
        } else if let trainPath {
            source = [.code(trainPath)]
        } else {
            source = [.text(run.trainingFileID.map { "the provider's file \($0)" } ?? "unknown")]
        }
        if let train { source.append(.text(" (SHA-256 \(train.sha256.prefix(12))…, \(ReportFormat.count(train.bytes)) bytes)")) }
        if let valid { source += [.text("; validation: "), .code(valid.path)] }

        var size: String
        let trainExamples = train?.examples ?? (stats.processedConversations > 0 ? stats.processedConversations : nil)
        switch (trainExamples, valid?.examples) {
        case (let t?, let v?): size = "\(ReportFormat.count(t + v)) examples: \(ReportFormat.count(t)) for training, \(ReportFormat.count(v)) for validation"
        case (let t?, nil): size = "\(ReportFormat.count(t)) training examples" + (valid == nil ? "" : " and a validation file")
        default: size = "unknown"
        }
        if let evaluation = input.evaluation { size += "; \(ReportFormat.count(evaluation.testExamples)) test examples" }

        var distribution = "\(ReportFormat.count(stats.totalConversations)) conversations, \(ReportFormat.count(stats.processedConversations)) used, "
            + "\(ReportFormat.count(stats.skippedConversations)) skipped; \(ReportFormat.count(stats.totalMessages)) messages, "
            + "\(ReportFormat.count(stats.trainingMessages)) of them trained on"
        if let tokens = stats.tokensPerEpoch {
            distribution += "; \(ReportFormat.count(tokens)) tokens per epoch"
            if let trained = stats.trainedTokensPerEpoch { distribution += " (\(ReportFormat.count(trained)) in the answers the loss is computed on)" }
        }
        if let t = trainExamples, let v = valid?.examples, t + v > 0 {
            distribution += "; split \(ReportFormat.percent(Double(t) / Double(t + v))) training / \(ReportFormat.percent(Double(v) / Double(t + v))) validation"
        }

        let steps: [ReportListItem] = input.preparation.isEmpty
            ? [ReportListItem([.text("none recorded by finetune: the training file was used as it is")])]
            : input.preparation.map { step in
                let when = step.at.map { at in ReportFormat.date(at).map(ReportFormat.dateTime) ?? at }
                return ReportListItem([.code(step.command), .text(" — \(step.summary)" + (when.map { " (\($0))" } ?? ""))])
            }
        return [
            .heading(level: 2, text: "Dataset Information"),
            .list(ordered: false, items: [
                field("Source of Data", source),
                field("Size of Dataset", [.text(size)]),
                field("Data Distribution", [.text(distribution)]),
                ReportListItem([.strong("Data Preparation Steps:")], blocks: [.list(ordered: !input.preparation.isEmpty, items: steps)]),
            ]),
        ]
    }

    /// Keys shown on their own lines, and keys that are not hyperparameters (files, monitoring).
    private static let headlineKeys: Set<String> = ["learning_rate", "learning_rate_multiplier", "batch_size", "n_epochs"]
    private static let bookkeepingKeys: Set<String> = [
        "base_model", "input_file", "training_file_path", "validation_file_path", "training_file_id", "validation_file_id",
        "check_interval", "no_monitor", "provider", "resume", "suffix", "wandb_name", "wandb_project", "max_conversations",
    ]

    private static func parameters(_ input: ReportInput) -> [ReportBlock] {
        let run = input.run
        func setting(_ key: String) -> JSONValue? {
            [run.hyperparameters[key], run.trainingParameters[key]].compactMap { $0 }.first { !$0.isNull }
        }
        var learningRate = setting("learning_rate").map(ReportFormat.json) ?? "the provider's default"
        if setting("learning_rate") == nil, let multiplier = setting("learning_rate_multiplier") {
            learningRate = "\(ReportFormat.json(multiplier)) × the provider's base rate"
        }
        let train = run.datasets.first { $0.role == "train" }, valid = run.datasets.first { $0.role == "validation" }
        let split: String
        if let t = train?.examples, let v = valid?.examples, t + v > 0 {
            split = "\(ReportFormat.count(t)) : \(ReportFormat.count(v)) (\(ReportFormat.percent(Double(t) / Double(t + v))) / \(ReportFormat.percent(Double(v) / Double(t + v))))"
        } else if valid != nil {
            split = "a separate validation file"
        } else {
            split = "no validation set"
        }
        var others: [String: JSONValue] = [:]
        for (key, value) in run.trainingParameters where !value.isNull && !bookkeepingKeys.contains(key) { others[key] = value }
        for (key, value) in run.hyperparameters where !value.isNull { others[key] = value }   // the provider's word wins
        let otherItems = others.filter { !headlineKeys.contains($0.key) }.sorted { $0.key < $1.key }
            .map { ReportListItem([.code($0.key), .text(": \(ReportFormat.json($0.value))")]) }
        return [
            .heading(level: 2, text: "Training Parameters"),
            .list(ordered: false, items: [
                field("Learning Rate", [.text(learningRate)]),
                field("Batch Size", [.text(setting("batch_size").map(ReportFormat.json) ?? "the provider's default")]),
                field("Number of Epochs", [.text(setting("n_epochs").map(ReportFormat.json) ?? "the provider's default")]),
                field("Training/Validation Split", [.text(split)]),
                ReportListItem([.strong("Other Hyperparameters:")],
                               blocks: [.list(ordered: false, items: otherItems.isEmpty ? [ReportListItem([.text("none recorded")])] : otherItems)]),
            ]),
        ]
    }

    private static func process(_ input: ReportInput) -> [ReportBlock] {
        let run = input.run
        let platform = "finetune \(run.finetuneVersion), \(run.provider.displayName) (\(run.location))"
        var duration = ReportHints.duration(run).map(ReportFormat.duration) ?? "unknown (the run has not finished)"
        if let steps = run.metrics.last?.step { duration += ", \(ReportFormat.count(steps)) steps" }
        var losses: [String] = []
        if let loss = run.finalTrainLoss { losses.append("training \(ReportFormat.number(loss))") }
        if let loss = run.finalValidLoss { losses.append("validation \(ReportFormat.number(loss))") }
        var cost = ReportHints.cost(run)
        if let basis = run.cost.estimateBasis, run.provider != .local { cost += "; estimate: \(basis)" }

        var challenges: [String] = []
        if let error = run.error { challenges.append("the job failed" + (error.code.map { " (\($0))" } ?? "") + ": \(error.message)") }
        if !["succeeded", "running", "queued", "validating", "preparing"].contains(run.status), run.error == nil {
            challenges.append("the job ended with status \(run.status)")
        }
        if run.trainingStats.skippedConversations > 0 {
            challenges.append("\(ReportFormat.count(run.trainingStats.skippedConversations)) of \(ReportFormat.count(run.trainingStats.totalConversations)) conversations were skipped (no assistant message to learn from)")
        }
        if let rising = ReportHints.validationLoss(run.metrics) { challenges.append(rising) }
        if !run.datasets.contains(where: { $0.role == "validation" }) {
            challenges.append("no validation set: overfitting could not be watched (add one with --valid)")
        }
        let challengeItems = (challenges.isEmpty ? ["none recorded"] : challenges).map { ReportListItem([.text($0)]) }
        return [
            .heading(level: 2, text: "Training Process"),
            .list(ordered: false, items: [
                field("Training Platform/Tool", [.text(platform)]),
                field("Compute Resources Used", [.text(input.compute)]),
                field("Training Duration", [.text(duration)]),
                field("Final Loss", [.text(losses.isEmpty ? "none recorded" : losses.joined(separator: ", "))]),
                field("Cost", [.text(cost)]),
                ReportListItem([.strong("Challenges Encountered:")], blocks: [.list(ordered: false, items: challengeItems)]),
            ]),
        ]
    }

    // MARK: - Helpers

    /// A "- **Label:** value" line.
    static func field(_ label: String, _ value: [ReportInline]) -> ReportListItem {
        ReportListItem([.strong(label + ":"), .text(" ")] + value)
    }

    /// The file a preparation command read: the first argument after `prepare` that is not an option.
    static func preparedInput(_ command: String) -> String? {
        let words = shellWords(command)
        guard let verb = words.firstIndex(of: "prepare") else { return nil }
        var index = words.index(after: verb)
        while index < words.endIndex {
            let word = words[index]
            if !word.hasPrefix("-") { return word }
            // An option with its value in the next word (`--template t.yaml`), unless written `--x=y`.
            index += word.contains("=") ? 1 : 2
        }
        return nil
    }

    /// A command line split into words, with '…' and "…" quoting.
    static func shellWords(_ command: String) -> [String] {
        var words: [String] = [], current = "", quote: Character?, inWord = false
        for character in command {
            if let open = quote {
                if character == open { quote = nil } else { current.append(character) }
            } else if character == "'" || character == "\"" {
                quote = character
                inWord = true
            } else if character.isWhitespace {
                if inWord { words.append(current) }
                current = ""
                inWord = false
            } else {
                current.append(character)
                inWord = true
            }
        }
        if inWord { words.append(current) }
        return words
    }

    static func taskWords(_ task: String) -> String {
        switch task {
        case "numeric": "numeric answers"
        case "label": "label answers (classification)"
        case "text": "free-text answers"
        default: "\(task) answers"
        }
    }

    /// `/models/SmolLM2-135M-Instruct.Q4_1.gguf` → `SmolLM2-135M-Instruct.Q4_1.gguf`; a hosted model's name as it is.
    static func modelFileName(_ model: String) -> String {
        ["/", "~", "."].contains { model.hasPrefix($0) } ? (model as NSString).lastPathComponent : model
    }
}
