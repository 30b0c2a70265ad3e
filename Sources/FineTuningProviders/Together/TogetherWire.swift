import Crypto
import Foundation
import OpenAIAPI

/// Together's JSON, read leniently from `JSONValue` objects: Together's objects vary between API versions
/// (timestamps as ISO strings, `batch_size` as a number or `"max"`, fields present or not), so only the
/// fields a provider needs are required.
enum TogetherWire {
    /// `created_at` as Together sends it: ISO 8601 with or without fractional seconds, `Z`, an offset or
    /// no zone (read as UTC); Unix seconds are accepted too.
    static func date(_ value: JSONValue?) -> Date? {
        switch value {
        case .number(let seconds)?: return Date(timeIntervalSince1970: seconds)
        case .string(let text)?: return parseISO8601(text)
        default: return nil
        }
    }

    /// `2024-05-01T12:30:00Z`, `2024-05-01 12:30:00.123456+02:00`, `2024-05-01T12:30:00` (UTC).
    static func parseISO8601(_ text: String) -> Date? {
        let scalars = Array(text.trimmingCharacters(in: .whitespaces).utf8)
        var index = 0
        func number(_ digits: Int) -> Int? {
            guard index + digits <= scalars.count else { return nil }
            var value = 0
            for byte in scalars[index..<index + digits] {
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            index += digits
            return value
        }
        func expect(_ characters: String) -> Bool {
            guard index < scalars.count, characters.utf8.contains(scalars[index]) else { return false }
            index += 1
            return true
        }
        guard let year = number(4), expect("-"), let month = number(2), expect("-"), let day = number(2),
              expect("Tt "), let hour = number(2), expect(":"), let minute = number(2), expect(":"),
              let second = number(2) else { return nil }
        var fraction = 0.0
        if index < scalars.count, scalars[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            while index < scalars.count, scalars[index] >= 48, scalars[index] <= 57 {
                fraction += Double(scalars[index] - 48) * scale
                scale /= 10
                index += 1
            }
        }
        var offset = 0
        if index < scalars.count {
            if expect("Zz") {
                offset = 0
            } else if scalars[index] == UInt8(ascii: "+") || scalars[index] == UInt8(ascii: "-") {
                let sign = scalars[index] == UInt8(ascii: "-") ? -1 : 1
                index += 1
                guard let hours = number(2) else { return nil }
                _ = expect(":")
                let minutes = number(2) ?? 0
                offset = sign * (hours * 3600 + minutes * 60)
            } else {
                return nil
            }
        }
        guard index == scalars.count else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let components = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        guard let base = calendar.date(from: components) else { return nil }
        return base.addingTimeInterval(fraction - Double(offset))
    }

    /// A string field, nil when absent, null or empty.
    static func string(_ value: JSONValue?) -> String? {
        switch value {
        case .string(let text)?: text.isEmpty ? nil : text
        case .number(let number)?: number == number.rounded() ? String(Int(number)) : String(number)
        default: nil
        }
    }

    /// A number field (numbers inside strings too).
    static func double(_ value: JSONValue?) -> Double? {
        value.flatMap(MetricPoint.number)
    }

    static func int(_ value: JSONValue?) -> Int? {
        double(value).flatMap { Int(exactly: $0.rounded()) }
    }

    /// The objects of `{"data": [...]}` or of a bare array.
    static func list(_ value: JSONValue) -> [[String: JSONValue]]? {
        if let array = value.arrayValue ?? value["data"]?.arrayValue { return array.compactMap(\.objectValue) }
        return nil
    }

    /// An id for an event that has none: the first 16 hex digits of SHA-256 over time, type and message.
    static func eventID(createdAt: String, type: String, message: String) -> String {
        let digest = SHA256.hash(data: Data("\(createdAt)|\(type)|\(message.prefix(200))".utf8))
        return "evt-" + digest.prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    /// A level in the shared words: `info`, `warn` or `error`.
    static func level(_ text: String?) -> String {
        switch text?.lowercased() {
        case "warning", "warn": "warn"
        case "error", "critical", "fatal": "error"
        default: "info"
        }
    }

    /// A loss figure under any of Together's names.
    static func metricPoint(_ object: [String: JSONValue], step: Int) -> MetricPoint? {
        func first(_ keys: [String]) -> Double? { keys.lazy.compactMap { double(object[$0]) }.first }
        let train = first(["train_loss", "loss", "training_loss", "train/loss"])
        let valid = first(["valid_loss", "eval_loss", "validation_loss", "eval/loss"])
        guard train != nil || valid != nil else { return nil }
        return MetricPoint(step: step, totalSteps: int(object["total_steps"]), epoch: first(["epoch", "train/epoch"]),
                           trainLoss: train, validLoss: valid, learningRate: first(["learning_rate", "lr", "train/learning_rate"]))
    }
}

/// A fine-tuning job as Together returns it.
struct TogetherJob: Sendable {
    var object: [String: JSONValue]
    var id: String
    var status: String

    /// - Throws: `ProviderError.invalidResponse` without an `id` or `status`.
    init(_ object: [String: JSONValue], method: String, url: String) throws {
        guard let id = TogetherWire.string(object["id"]), let status = TogetherWire.string(object["status"]) else {
            throw ProviderError.invalidResponse(method: method, url: url, reason: "the job object has no 'id' or 'status'")
        }
        self.object = object
        self.id = id
        self.status = status
    }

    var createdAt: Date? { TogetherWire.date(object["created_at"]) }
    var model: String? { TogetherWire.string(object["model"]) }
    var outputName: String? { TogetherWire.string(object["model_output_name"]) ?? TogetherWire.string(object["output_name"]) }
    var trainingFile: String? { TogetherWire.string(object["training_file"]) }
    var suffix: String? { TogetherWire.string(object["suffix"]) }

    /// `total_price` in US dollars. Assumption (not in API.md): Together reports a job's price in
    /// nano-dollars, as the `together` CLI divides it by 10⁹ before printing it as dollars.
    var costUSD: Double? {
        TogetherWire.double(object["total_price"]).map { $0 / 1_000_000_000 }
    }

    var snapshot: JobSnapshot {
        let status = JobStatus(together: self.status)
        var hyperparameters: [String: JSONValue] = [:]
        for key in ["n_epochs", "batch_size", "learning_rate", "n_checkpoints", "n_evals", "warmup_ratio", "max_grad_norm",
                    "weight_decay", "train_on_inputs"] {
            if let value = object[key], !value.isNull { hyperparameters[key] = value }
        }
        if let training = object["training_type"]?.objectValue {
            let isLoRA = TogetherWire.string(training["type"])?.lowercased() == "lora"
            hyperparameters["lora"] = .bool(isLoRA)
            for key in ["lora_r", "lora_alpha", "lora_dropout", "lora_trainable_modules"] {
                if let value = training[key], !value.isNull { hyperparameters[key] = value }
            }
        }
        let updatedAt = TogetherWire.date(object["updated_at"])
        return JobSnapshot(
            id: id, status: status, providerStatus: self.status, model: model ?? "", fineTunedModel: outputName,
            createdAt: createdAt, finishedAt: status.isTerminal ? updatedAt : nil, trainingFile: trainingFile,
            validationFile: TogetherWire.string(object["validation_file"]), hyperparameters: hyperparameters,
            trainedTokens: TogetherWire.int(object["trained_tokens"]) ?? TogetherWire.int(object["total_tokens"]),
            error: status == .failed ? failure : nil, costUSD: costUSD,
            seed: TogetherWire.int(object["random_seed"]), suffix: suffix)
    }

    /// Why it failed: its `error` or `message`, else its last error-level event.
    private var failure: JobFailure {
        let code = status
        if let error = object["error"] {
            if let text = TogetherWire.string(error) { return JobFailure(code: code, message: text) }
            if let text = TogetherWire.string(error["message"]) { return JobFailure(code: TogetherWire.string(error["code"]) ?? code, message: text) }
        }
        let events = (object["events"]?.arrayValue ?? []).compactMap(\.objectValue)
        if let event = events.last(where: { TogetherWire.level(TogetherWire.string($0["level"])) == "error" }),
           let text = TogetherWire.string(event["message"]) {
            return JobFailure(code: code, message: text)
        }
        if let text = TogetherWire.string(object["message"]) { return JobFailure(code: code, message: text) }
        return JobFailure(code: code, message: "Together reported status '\(status)' without a reason; see `finetune jobs events \(id)`")
    }
}

/// `GET /v1/fine-tunes/models/limits`: what Together allows for a model.
struct TogetherLimits: Sendable {
    struct Training: Sendable {
        var minBatchSize: Int?
        var maxBatchSize: Int?
        var defaultRank: Int?
        var maxRank: Int?
        var targetModules: [String]?

        init(_ object: [String: JSONValue]) {
            minBatchSize = TogetherWire.int(object["min_batch_size"])
            maxBatchSize = TogetherWire.int(object["max_batch_size"])
            defaultRank = TogetherWire.int(object["default_rank"])
            maxRank = TogetherWire.int(object["max_rank"])
            targetModules = object["target_modules"]?.arrayValue?.compactMap(\.stringValue)
        }
    }

    var lora: Training?
    var full: Training?
    var minLearningRate: Double?
    var maxLearningRate: Double?
    var maxEpochs: Int?
    var maxEvals: Int?
    var supportsFullTraining: Bool

    init(_ object: [String: JSONValue]) {
        lora = object["lora_training"]?.objectValue.map(Training.init)
        full = object["full_training"]?.objectValue.map(Training.init)
        minLearningRate = TogetherWire.double(object["min_learning_rate"])
        maxLearningRate = TogetherWire.double(object["max_learning_rate"])
        maxEpochs = TogetherWire.int(object["max_num_epochs"])
        maxEvals = TogetherWire.int(object["max_num_evals"])
        supportsFullTraining = object["supports_full_training"]?.boolValue ?? (full != nil)
    }
}
