import Foundation
import LoRATraining
import OpenAIAPI

extension JobScheduler {
    /// The training run a job stands for. Before validation (`resolved == nil`) `auto` values stay
    /// open for the trainer to resolve; afterwards every value is fixed, so a resumed run matches
    /// its checkpoints.
    func specification(for job: StoredJob, resolved: ResolvedJobHyperparameters? = nil) async throws -> TrainingSpec {
        let baseURL: URL
        do { baseURL = try models.resolve(job.model) } catch {
            throw APIError.badRequest("The base model '\(job.model)' is not available on this server: \(error)", param: "model", code: "model_not_found")
        }
        var options = TrainingOptions()
        options.seed = UInt64(truncatingIfNeeded: job.seed)
        options.keepCheckpoints = 3
        if let resolved {
            options.epochs = resolved.nEpochs
            options.batchSize = resolved.batchSize
            options.learningRate = Float(resolved.learningRate)
            options.checkpointEvery = Self.checkpointInterval(totalSteps: resolved.totalSteps, epochs: resolved.nEpochs)
        } else {
            if case .value(let epochs)? = job.requested.nEpochs { options.epochs = epochs }
            if case .value(let batch)? = job.requested.batchSize { options.batchSize = batch }
        }
        return TrainingSpec(jobID: job.id, baseModel: job.model, baseModelURL: baseURL,
                            trainingFile: files.url(id: job.trainingFile),
                            validationFile: job.validationFile.map { files.url(id: $0) },
                            options: options, runDirectory: URL(fileURLWithPath: job.runDirectory, isDirectory: true))
    }

    /// Checkpoints at least once per epoch and about ten times per run, so a crash loses little.
    static func checkpointInterval(totalSteps: Int, epochs: Int) -> Int {
        let perEpoch = max(1, totalSteps / max(1, epochs))
        return max(1, min(perEpoch, (totalSteps + 9) / 10))
    }

    /// Writes the job's results file (purpose `fine-tune-results`): one CSV row per step with
    /// `step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy`, from the run's
    /// metrics log. Returns its file id, or nil when the run left no metrics.
    func writeResults(_ job: StoredJob) async throws -> String? {
        let log = URL(fileURLWithPath: job.runDirectory).appendingPathComponent("metrics.jsonl")
        guard let text = try? String(contentsOf: log, encoding: .utf8) else { return nil }
        let csv = Self.resultsCSV(metricsLog: text)
        let sink = try files.beginUpload()
        let id = APIIdentifier.make(prefix: "file-")
        try sink.write(Array(csv.utf8))
        let written = try sink.commit(as: id)
        let file = StoredFile(id: id, filename: "step_metrics.csv", purpose: "fine-tune-results", bytes: written.bytes,
                              createdAt: JobEvents.now(), status: .processed, statusDetails: nil, sha256: written.sha256,
                              exampleCount: nil, expiresAt: nil)
        try await store.insertFile(file)
        return id
    }

    /// The results CSV from a `metrics.jsonl` (step lines carry `train_loss`, validation lines
    /// `valid_loss`; the last line for a step wins, as after a resume).
    static func resultsCSV(metricsLog: String) -> String {
        struct Row { var trainLoss: Double?; var trainAccuracy: Double?; var validLoss: Double?; var validAccuracy: Double? }
        var rows: [Int: Row] = [:]
        for line in metricsLog.split(separator: "\n") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let step = (object["step"] as? NSNumber)?.intValue, step > 0 else { continue }
            var row = rows[step] ?? Row()
            if let loss = (object["train_loss"] as? NSNumber)?.doubleValue {
                row.trainLoss = loss
                row.trainAccuracy = (object["train_mean_token_accuracy"] as? NSNumber)?.doubleValue
            }
            if let loss = (object["valid_loss"] as? NSNumber)?.doubleValue {
                row.validLoss = loss
                row.validAccuracy = (object["valid_mean_token_accuracy"] as? NSNumber)?.doubleValue
            }
            rows[step] = row
        }
        func cell(_ value: Double?) -> String { value.map { String(format: "%.6f", $0) } ?? "" }
        var csv = "step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy\n"
        for (step, row) in rows.sorted(by: { $0.key < $1.key }) {
            csv += "\(step),\(cell(row.trainLoss)),\(cell(row.trainAccuracy)),\(cell(row.validLoss)),\(cell(row.validAccuracy))\n"
        }
        return csv
    }
}
