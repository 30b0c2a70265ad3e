import Foundation
import LoRATraining

/// Draws a training run: the plan, then one live line (a bar with step / total, loss, learning
/// rate, speed and ETA) redrawn in place on a terminal, validation results as lines of their own.
/// Without a terminal (logs, CI) it prints a step line about every 5% of the run instead.
final class TrainingProgress {
    private let live = isatty(STDERR_FILENO) == 1 && ProcessInfo.processInfo.environment["FINETUNE_NO_PROGRESS"] == nil
    private var lastValid: Double?
    private var smoothed: Double?
    private var drew = false

    func handle(_ event: TrainingEvent) {
        switch event {
        case .started(let plan): started(plan)
        case .step(let step): show(step)
        case .validation(let valid):
            lastValid = valid.validLoss
            line(String(format: "  step %d: validation loss %.4f, token accuracy %.1f%% (%d tokens, %.1fs)",
                        valid.step, valid.validLoss, valid.validAccuracy * 100, valid.tokens, valid.seconds))
        case .checkpoint(let step, let path):
            if !live { line("  step \(step): checkpoint \(path)") }
        case .message(let text):
            line("  " + text)
        }
    }

    func finish() {
        if drew { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        drew = false
    }

    private func started(_ plan: TrainingPlanSummary) {
        let h = plan.hyperparameters
        let auto = Set(h.automatic)
        func mark(_ key: String) -> String { auto.contains(key) ? " (auto)" : "" }
        if let step = plan.resumedFromStep { line("Resuming at step \(step) of \(h.totalSteps).") }
        line("Training on \(plan.trainExamples) examples (\(plan.trainTokens.grouped) tokens, \(plan.trainedTokens.grouped) trained)"
             + (plan.validExamples > 0 ? ", validating on \(plan.validExamples)" : ", no validation file"))
        if plan.truncatedExamples > 0 { line("  \(plan.truncatedExamples) examples were cut to --max-length \(h.maxLength) tokens.") }
        if plan.skippedExamples > 0 { line("  \(plan.skippedExamples) examples have no trained token (all assistant weights 0, or cut) and are skipped.") }
        line("  epochs \(h.epochs)\(mark("n_epochs")), batch size \(h.batchSize)\(mark("batch_size")), "
             + String(format: "learning rate %.2g", h.learningRate) + mark("learning_rate")
             + ", \(h.totalSteps) steps (\(h.warmupSteps) warm-up)")
        line("  LoRA adapters: \(plan.adapterParameters.grouped) parameters; \(plan.precision) products on \(plan.threads) threads; "
             + "about \(ProgressBar.megabytes(plan.estimatedMemoryBytes)) of memory")
    }

    private func show(_ step: StepMetrics) {
        smoothed = smoothed.map { 0.9 * $0 + 0.1 * step.trainLoss } ?? step.trainLoss
        let width = 20
        let fraction = Double(step.step) / Double(max(1, step.totalSteps))
        let filled = Int(fraction * Double(width))
        var text = "[" + String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled) + "]"
        text += " step \(step.step)/\(step.totalSteps)"
        text += String(format: "  loss %.4f", step.trainLoss)
        if let lastValid { text += String(format: " (valid %.4f)", lastValid) }
        text += String(format: "  lr %.2e  %.0f tok/s  %@ elapsed  ETA %@", step.learningRate, step.tokensPerSecond,
                       ProgressBar.duration(step.elapsedSeconds), ProgressBar.duration(step.etaSeconds))
        if live {
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + text).utf8))
            drew = true
        } else {
            let every = max(1, step.totalSteps / 20)
            if step.step % every == 0 || step.step == step.totalSteps || step.step == 1 { line(text) }
        }
    }

    private func line(_ text: String) {
        if drew { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        drew = false
        Console.err(text)
    }
}
