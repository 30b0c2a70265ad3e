import struct ChatDataset.DataProvenance
import Foundation
import OpenAIAPI

/// The record of one `finetune train`: `runs/<name>_finetune_<timestamp>.json`.
///
/// It holds every field of the reference results file (job_id, status, output_name, base_model,
/// created_at, finished_at, hyperparameters, training_file_id, timestamp, training_stats,
/// training_parameters) plus what it takes to reproduce, compare and audit the run: the provider, the
/// datasets' SHA-256, the metrics history, the checkpoints, the cost and the finetune version. It is
/// rewritten (atomically) as the job progresses, so a monitor that is interrupted leaves a true record.
public struct ExperimentRecord: Sendable, Codable, Equatable {
    /// The record format; bumped when a field changes meaning.
    public var formatVersion = 1
    public var finetuneVersion: String
    /// The run's name (the file name's first part): `--name`, else the suffix, else the training file's stem.
    public var name: String
    public var provider: ProviderKind
    /// Where the provider was reached: its base URL, or "this process" for the in-process engine.
    public var location: String
    public var jobID: String?
    /// finetune's word for the status (validating, queued, running, paused, succeeded, failed, cancelled).
    public var status: String
    /// The provider's own word for it.
    public var providerStatus: String?
    /// The fine-tuned model's name, once there is one.
    public var outputName: String?
    public var baseModel: String
    /// ISO-8601, from the provider.
    public var createdAt: String?
    public var finishedAt: String?
    /// The hyperparameters as the provider resolved them.
    public var hyperparameters: [String: JSONValue]
    public var trainingFileID: String?
    public var validationFileID: String?
    /// When `finetune train` started (ISO-8601, local time with offset).
    public var timestamp: String
    /// When this file was last written.
    public var updatedAt: String
    public var trainingStats: Stats
    public var trainingParameters: [String: JSONValue]
    public var datasets: [Dataset]
    public var metrics: [MetricPoint]
    public var checkpoints: [RemoteCheckpoint]
    /// The last event seen, so `finetune jobs events ID --follow` can pick up after it.
    public var lastEventID: String?
    public var trainedTokens: Int?
    public var cost: Cost
    public var error: JobFailure?
    /// The local engine's run folder (adapters, checkpoints, metrics.jsonl, loss.svg).
    public var runDirectory: String?
    /// The command line that made the run.
    public var command: [String]
    /// How the training file was made (`finetune prepare`, `finetune split`), from its
    /// `.provenance.json` sidecar; nil when it has none.
    public var dataPreparation: [DataProvenance.Step]?

    /// The reference file's `training_stats`.
    public struct Stats: Sendable, Codable, Equatable {
        public var totalConversations: Int
        public var processedConversations: Int
        public var skippedConversations: Int
        public var totalMessages: Int
        public var trainingMessages: Int
        /// Tokens in the training file's usable examples (one epoch).
        public var tokensPerEpoch: Int?
        /// Of those, the tokens the loss is computed on.
        public var trainedTokensPerEpoch: Int?

        public init(totalConversations: Int = 0, processedConversations: Int = 0, skippedConversations: Int = 0,
                    totalMessages: Int = 0, trainingMessages: Int = 0, tokensPerEpoch: Int? = nil, trainedTokensPerEpoch: Int? = nil) {
            self.totalConversations = totalConversations
            self.processedConversations = processedConversations
            self.skippedConversations = skippedConversations
            self.totalMessages = totalMessages
            self.trainingMessages = trainingMessages
            self.tokensPerEpoch = tokensPerEpoch
            self.trainedTokensPerEpoch = trainedTokensPerEpoch
        }

        enum CodingKeys: String, CodingKey {
            case totalConversations = "total_conversations"
            case processedConversations = "processed_conversations"
            case skippedConversations = "skipped_conversations"
            case totalMessages = "total_messages"
            case trainingMessages = "training_messages"
            case tokensPerEpoch = "tokens_per_epoch"
            case trainedTokensPerEpoch = "trained_tokens_per_epoch"
        }
    }

    /// A data file the run used, with its fingerprint.
    public struct Dataset: Sendable, Codable, Equatable {
        /// `train` or `validation`.
        public var role: String
        public var path: String
        public var sha256: String
        public var bytes: Int
        public var examples: Int?
        /// The provider's id for the uploaded copy.
        public var fileID: String?

        public init(role: String, path: String, sha256: String, bytes: Int, examples: Int? = nil, fileID: String? = nil) {
            self.role = role
            self.path = path
            self.sha256 = sha256
            self.bytes = bytes
            self.examples = examples
            self.fileID = fileID
        }

        enum CodingKeys: String, CodingKey {
            case role, path, sha256, bytes, examples
            case fileID = "file_id"
        }
    }

    /// What the run costs, in US dollars.
    public struct Cost: Sendable, Codable, Equatable {
        /// finetune's estimate: billed tokens × the price table's rate.
        public var estimatedUSD: Double?
        /// How the estimate was made ("36,000 tokens × 3 epochs at $3.00 per 1M (openai gpt-4o-mini-2024-07-18, prices as of …)").
        public var estimateBasis: String?
        /// The provider's own quote before the job started (Together's estimate-price), where it gives one.
        public var quotedUSD: Double?
        /// What the provider reports the job cost, where it reports it.
        public var actualUSD: Double?

        public init(estimatedUSD: Double? = nil, estimateBasis: String? = nil, quotedUSD: Double? = nil, actualUSD: Double? = nil) {
            self.estimatedUSD = estimatedUSD
            self.estimateBasis = estimateBasis
            self.quotedUSD = quotedUSD
            self.actualUSD = actualUSD
        }

        enum CodingKeys: String, CodingKey {
            case estimatedUSD = "estimated_usd"
            case estimateBasis = "estimate_basis"
            case quotedUSD = "quoted_usd"
            case actualUSD = "actual_usd"
        }
    }

    public init(finetuneVersion: String, name: String, provider: ProviderKind, location: String, baseModel: String,
                timestamp: Date = Date(), trainingStats: Stats = Stats(), trainingParameters: [String: JSONValue] = [:],
                datasets: [Dataset] = [], command: [String] = []) {
        self.finetuneVersion = finetuneVersion
        self.name = name
        self.provider = provider
        self.location = location
        self.status = "preparing"
        self.baseModel = baseModel
        self.hyperparameters = [:]
        self.timestamp = Self.localISOString(timestamp)
        self.updatedAt = self.timestamp
        self.trainingStats = trainingStats
        self.trainingParameters = trainingParameters
        self.datasets = datasets
        self.metrics = []
        self.checkpoints = []
        self.cost = Cost()
        self.command = command
    }

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version"
        case finetuneVersion = "finetune_version"
        case name, provider, location
        case jobID = "job_id"
        case status
        case providerStatus = "provider_status"
        case outputName = "output_name"
        case baseModel = "base_model"
        case createdAt = "created_at"
        case finishedAt = "finished_at"
        case hyperparameters
        case trainingFileID = "training_file_id"
        case validationFileID = "validation_file_id"
        case timestamp
        case updatedAt = "updated_at"
        case trainingStats = "training_stats"
        case trainingParameters = "training_parameters"
        case datasets, metrics, checkpoints
        case lastEventID = "last_event_id"
        case trainedTokens = "trained_tokens"
        case cost, error
        case runDirectory = "run_directory"
        case command
        case dataPreparation = "data_preparation"
    }

    /// Takes in a look at the job: status, model names, times, hyperparameters, tokens, error, cost.
    public mutating func apply(_ job: JobSnapshot) {
        jobID = job.id
        status = job.status.rawValue
        providerStatus = job.providerStatus
        if let model = job.fineTunedModel { outputName = model }
        createdAt = job.createdAt.map(Self.isoString) ?? createdAt
        finishedAt = job.finishedAt.map(Self.isoString) ?? finishedAt
        if !job.hyperparameters.isEmpty { hyperparameters = job.hyperparameters }
        if let file = job.trainingFile { trainingFileID = file }
        if let file = job.validationFile { validationFileID = file }
        if let tokens = job.trainedTokens { trainedTokens = tokens }
        error = job.error ?? error
        if let cost = job.costUSD { self.cost.actualUSD = cost }
    }

    /// Takes in a metrics point, merging it with the same step's earlier figures (train and validation
    /// figures of one step may arrive apart).
    public mutating func record(_ point: MetricPoint) {
        guard let index = metrics.lastIndex(where: { $0.step == point.step }) else {
            metrics.append(point)
            if metrics.count > 1, metrics[metrics.count - 2].step > point.step { metrics.sort { $0.step < $1.step } }
            return
        }
        metrics[index] = metrics[index].merging(point)
    }

    /// The last training loss recorded.
    public var finalTrainLoss: Double? { metrics.last(where: { $0.trainLoss != nil })?.trainLoss }
    /// The last validation loss recorded (a full pass's where there is one).
    public var finalValidLoss: Double? { metrics.last(where: { $0.bestValidLoss != nil })?.bestValidLoss }

    public static func isoString(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    public static func localISOString(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = .current
        return formatter.string(from: date)
    }
}
