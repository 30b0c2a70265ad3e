import Foundation
import LoRATraining
import OpenAIAPI

/// The events a job writes, with OpenAI's wording where the SDK's users expect it.
enum JobEvents {
    static func now() -> Int { Int(Date().timeIntervalSince1970) }

    static func message(_ jobID: String, _ text: String, level: String = "info", data: JSONValue? = nil) -> StoredEvent {
        StoredEvent(id: APIIdentifier.make(prefix: "ftevent-"), jobID: jobID, createdAt: now(), level: level,
                    message: text, type: "message", data: data)
    }

    /// A `metrics` event for one step: `Step 3/10: training loss=1.23, validation loss=1.10`.
    static func metrics(_ jobID: String, step: StepMetrics, validation: ValidationMetrics?) -> StoredEvent {
        var data: [String: JSONValue] = [
            "step": .number(Double(step.step)),
            "total_steps": .number(Double(step.totalSteps)),
            "train_loss": .number(step.trainLoss),
            "train_mean_token_accuracy": .number(step.trainAccuracy),
            "learning_rate": .number(step.learningRate),
            "tokens_per_second": .number(step.tokensPerSecond),
        ]
        var text = String(format: "Step %d/%d: training loss=%.2f", step.step, step.totalSteps, step.trainLoss)
        if let validation {
            // The whole validation file is evaluated, so the "full" figures are the same numbers.
            data["valid_loss"] = .number(validation.validLoss)
            data["valid_mean_token_accuracy"] = .number(validation.validAccuracy)
            data["full_valid_loss"] = .number(validation.validLoss)
            data["full_valid_mean_token_accuracy"] = .number(validation.validAccuracy)
            text += String(format: ", validation loss=%.2f", validation.validLoss)
        }
        return StoredEvent(id: APIIdentifier.make(prefix: "ftevent-"), jobID: jobID, createdAt: now(), level: "info",
                           message: text, type: "metrics", data: .object(data))
    }

    static func checkpointMetrics(step: StepMetrics?, validation: ValidationMetrics?) -> CheckpointMetrics {
        CheckpointMetrics(step: step.map { Double($0.step) }, trainLoss: step?.trainLoss,
                          trainMeanTokenAccuracy: step?.trainAccuracy, validLoss: validation?.validLoss,
                          validMeanTokenAccuracy: validation?.validAccuracy, fullValidLoss: validation?.validLoss,
                          fullValidMeanTokenAccuracy: validation?.validAccuracy)
    }
}
