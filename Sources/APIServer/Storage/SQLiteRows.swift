import Foundation
import GRDB
import OpenAIAPI

/// Conversions between records and rows of `SQLiteSchema`. Nested values are JSON text; a row
/// that does not decode throws `StoreError.database` naming the table, id and column.
enum SQLiteRows {
    static func encodeJSON(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// NULL for nil, JSON text otherwise (a separate name: an overload of `encodeJSON` would
    /// pick itself again for the unwrapped value, as `Optional` is `Encodable` too).
    static func encodeNullableJSON<T: Encodable>(_ value: T?) throws -> String? {
        guard let value else { return nil }
        return try encodeJSON(value)
    }

    static func decodeJSON<T: Decodable>(_ type: T.Type, _ row: Row, _ column: String, table: String) throws -> T? {
        guard let text = try row.decode(String?.self, forColumn: column) else { return nil }
        do {
            return try JSONDecoder().decode(T.self, from: Data(text.utf8))
        } catch {
            let id = (try? row.decode(String?.self, forColumn: "id")) ?? nil
            throw StoreError.database("\(table) row \(id ?? "?"): column \(column) holds JSON that does not decode: \(error)")
        }
    }

    static func requireJSON<T: Decodable>(_ type: T.Type, _ row: Row, _ column: String, table: String) throws -> T {
        guard let value = try decodeJSON(T.self, row, column, table: table) else {
            throw StoreError.database("\(table): column \(column) is NULL")
        }
        return value
    }

    static func enumValue<T: RawRepresentable>(_ type: T.Type, _ row: Row, _ column: String, table: String) throws -> T
    where T.RawValue == String {
        let raw = try row.decode(String.self, forColumn: column)
        guard let value = T(rawValue: raw) else {
            throw StoreError.database("\(table): unknown \(column) \"\(raw)\"")
        }
        return value
    }
}

// MARK: Files

extension StoredFile {
    static let columns = "id, filename, purpose, bytes, created_at, status, status_details, sha256, example_count, expires_at"

    init(row: Row) throws {
        self.init(id: try row.decode(forColumn: "id"),
                  filename: try row.decode(forColumn: "filename"),
                  purpose: try row.decode(forColumn: "purpose"),
                  bytes: try row.decode(forColumn: "bytes"),
                  createdAt: try row.decode(forColumn: "created_at"),
                  status: try SQLiteRows.enumValue(FileStatus.self, row, "status", table: "files"),
                  statusDetails: try row.decode(forColumn: "status_details"),
                  sha256: try row.decode(forColumn: "sha256"),
                  exampleCount: try row.decode(forColumn: "example_count"),
                  expiresAt: try row.decode(forColumn: "expires_at"))
    }

    /// In the order of `columns`.
    var arguments: StatementArguments {
        [id, filename, purpose, bytes, createdAt, status.rawValue, statusDetails, sha256, exampleCount, expiresAt]
    }
}

// MARK: Jobs

extension StoredJob {
    static let columns = """
        id, created_at, model, status, training_file, validation_file, requested_hyperparameters, \
        resolved_hyperparameters, seed, suffix, metadata, integrations, model_name, fine_tuned_model, finished_at, \
        trained_tokens, error, estimated_finish, result_files, model_deleted, run_directory, started_at
        """

    init(row: Row) throws {
        let table = "jobs"
        self.init(id: try row.decode(forColumn: "id"),
                  createdAt: try row.decode(forColumn: "created_at"),
                  model: try row.decode(forColumn: "model"),
                  status: try SQLiteRows.enumValue(JobStatus.self, row, "status", table: table),
                  trainingFile: try row.decode(forColumn: "training_file"),
                  validationFile: try row.decode(forColumn: "validation_file"),
                  requested: try SQLiteRows.requireJSON(FineTuningHyperparameters.self, row, "requested_hyperparameters", table: table),
                  resolved: try SQLiteRows.decodeJSON(ResolvedJobHyperparameters.self, row, "resolved_hyperparameters", table: table),
                  seed: try row.decode(forColumn: "seed"),
                  suffix: try row.decode(forColumn: "suffix"),
                  metadata: try SQLiteRows.decodeJSON([String: String].self, row, "metadata", table: table),
                  integrations: try SQLiteRows.decodeJSON([JSONValue].self, row, "integrations", table: table),
                  modelName: try row.decode(forColumn: "model_name"),
                  fineTunedModel: try row.decode(forColumn: "fine_tuned_model"),
                  finishedAt: try row.decode(forColumn: "finished_at"),
                  trainedTokens: try row.decode(forColumn: "trained_tokens"),
                  error: try SQLiteRows.decodeJSON(FineTuningJobError.self, row, "error", table: table),
                  estimatedFinish: try row.decode(forColumn: "estimated_finish"),
                  resultFiles: try SQLiteRows.requireJSON([String].self, row, "result_files", table: table),
                  modelDeleted: try row.decode(forColumn: "model_deleted"),
                  runDirectory: try row.decode(forColumn: "run_directory"),
                  startedAt: try row.decode(forColumn: "started_at"))
    }

    /// In the order of `columns`.
    func arguments() throws -> StatementArguments {
        [id, createdAt, model, status.rawValue, trainingFile, validationFile,
         try SQLiteRows.encodeJSON(requested), try SQLiteRows.encodeNullableJSON(resolved), seed, suffix,
         try SQLiteRows.encodeNullableJSON(metadata), try SQLiteRows.encodeNullableJSON(integrations), modelName, fineTunedModel,
         finishedAt, trainedTokens, try SQLiteRows.encodeNullableJSON(error), estimatedFinish,
         try SQLiteRows.encodeJSON(resultFiles), modelDeleted, runDirectory, startedAt]
    }
}

// MARK: Events

extension StoredEvent {
    static let columns = "id, job_id, created_at, level, message, type, data"

    init(row: Row) throws {
        self.init(id: try row.decode(forColumn: "id"),
                  jobID: try row.decode(forColumn: "job_id"),
                  createdAt: try row.decode(forColumn: "created_at"),
                  level: try row.decode(forColumn: "level"),
                  message: try row.decode(forColumn: "message"),
                  type: try row.decode(forColumn: "type"),
                  data: try SQLiteRows.decodeJSON(JSONValue.self, row, "data", table: "events"))
    }

    /// In the order of `columns`.
    func arguments() throws -> StatementArguments {
        [id, jobID, createdAt, level, message, type, try SQLiteRows.encodeNullableJSON(data)]
    }
}

// MARK: Checkpoints

extension StoredCheckpoint {
    static let columns = "id, job_id, created_at, step_number, model_name, metrics, path"

    init(row: Row) throws {
        self.init(id: try row.decode(forColumn: "id"),
                  jobID: try row.decode(forColumn: "job_id"),
                  createdAt: try row.decode(forColumn: "created_at"),
                  stepNumber: try row.decode(forColumn: "step_number"),
                  modelName: try row.decode(forColumn: "model_name"),
                  metrics: try SQLiteRows.requireJSON(CheckpointMetrics.self, row, "metrics", table: "checkpoints"),
                  path: try row.decode(forColumn: "path"))
    }

    /// In the order of `columns`.
    func arguments() throws -> StatementArguments {
        [id, jobID, createdAt, stepNumber, modelName, try SQLiteRows.encodeJSON(metrics), path]
    }
}
