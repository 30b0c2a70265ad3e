import Foundation

/// Why training could not start or go on. Each message says where and what to do.
public enum TrainingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The chat template failed on an example (1-based line of the data file; 0 when unknown).
    case template(line: Int, message: String)
    /// A data file is unusable (messages from the validator or the reader).
    case invalidData(path: String, messages: [String])
    /// No example has a trained token left.
    case nothingToTrain(path: String, reason: String)
    /// A hyperparameter out of range.
    case invalidHyperparameter(name: String, message: String)
    /// The run would need more memory than the machine has.
    case insufficientMemory(needed: Int, available: Int, advice: String)
    /// The loss or the gradients became NaN or infinite, or the loss exploded.
    case diverged(step: Int, reason: String, checkpoint: String?)
    /// Reading or writing a run's files failed.
    case io(path: String, message: String)
    /// A checkpoint can't be resumed from.
    case checkpoint(path: String, message: String)
    /// The model can't be trained (architecture, file).
    case model(String)

    public var description: String {
        switch self {
        case let .template(line, message):
            return (line > 0 ? "line \(line): " : "") + "chat template: \(message)"
        case let .invalidData(path, messages):
            return "\(path) can't be used for training:\n" + messages.map { "  " + $0 }.joined(separator: "\n")
        case let .nothingToTrain(path, reason):
            return "\(path): nothing to train on: \(reason)"
        case let .invalidHyperparameter(name, message):
            return "\(name): \(message)"
        case let .insufficientMemory(needed, available, advice):
            let gb = { (bytes: Int) in String(format: "%.1f GB", Double(bytes) / 1e9) }
            return "Training needs about \(gb(needed)) of memory but \(gb(available)) is available. \(advice)"
        case let .diverged(step, reason, checkpoint):
            let saved = checkpoint.map { " The last good checkpoint is \($0)." } ?? ""
            return "Training diverged at step \(step): \(reason). "
                + "Lower --learning-rate (and keep --max-grad-norm on) and start again.\(saved)"
        case let .io(path, message):
            return "\(path): \(message)"
        case let .checkpoint(path, message):
            return "\(path): \(message)"
        case let .model(message):
            return message
        }
    }
}
