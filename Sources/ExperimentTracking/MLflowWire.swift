import Foundation

// The JSON bodies of the MLflow REST API calls this client makes (mlflow/protos/service.proto, MLflow 3.17,
// rendered as protobuf JSON: snake_case names, enums by name, int64 as numbers).

/// A metric point as `log-batch` takes it and `metrics/get-history` returns it.
struct WireMetric: Codable, Equatable, Sendable {
    var key: String
    var value: Double
    var timestamp: Int64
    var step: Int
}

/// A param or a tag.
struct WireKeyValue: Codable, Equatable, Sendable {
    var key: String
    var value: String
}

/// `POST /api/2.0/mlflow/runs/log-batch`.
struct LogBatchRequest: Encodable, Equatable, Sendable {
    var runID: String
    var metrics: [WireMetric]
    var params: [WireKeyValue]
    var tags: [WireKeyValue]

    enum CodingKeys: String, CodingKey {
        case runID = "run_id"
        case metrics, params, tags
    }
}

/// `POST /api/2.0/mlflow/experiments/create`.
struct CreateExperimentRequest: Encodable {
    var name: String
}

struct CreateExperimentResponse: Decodable {
    var experimentID: String
    enum CodingKeys: String, CodingKey { case experimentID = "experiment_id" }
}

/// `GET /api/2.0/mlflow/experiments/get-by-name`.
struct GetExperimentResponse: Decodable {
    struct Experiment: Decodable {
        var experimentID: String
        var name: String
        /// `active` or `deleted`.
        var lifecycleStage: String?
        enum CodingKeys: String, CodingKey {
            case experimentID = "experiment_id"
            case name
            case lifecycleStage = "lifecycle_stage"
        }
    }
    var experiment: Experiment
}

/// `POST /api/2.0/mlflow/runs/create`.
struct CreateRunRequest: Encodable {
    var experimentID: String
    var runName: String
    /// Milliseconds since 1970.
    var startTime: Int64
    var tags: [WireKeyValue]
    enum CodingKeys: String, CodingKey {
        case experimentID = "experiment_id"
        case runName = "run_name"
        case startTime = "start_time"
        case tags
    }
}

struct CreateRunResponse: Decodable {
    struct Run: Decodable { var info: MLflowRunInfo }
    var run: Run
}

/// `POST /api/2.0/mlflow/runs/update`.
struct UpdateRunRequest: Encodable {
    var runID: String
    var status: MLflowRunStatus
    /// Milliseconds since 1970.
    var endTime: Int64
    enum CodingKeys: String, CodingKey {
        case runID = "run_id"
        case status
        case endTime = "end_time"
    }
}

/// The body of an MLflow error answer: `{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "…"}`.
struct ErrorBody: Decodable {
    var errorCode: String?
    var message: String?
    enum CodingKeys: String, CodingKey {
        case errorCode = "error_code"
        case message
    }
}

/// JSON as MLflow's protobuf JSON reads and writes it: NaN and infinities as the strings `"NaN"`,
/// `"Infinity"` and `"-Infinity"`.
enum MLflowJSON {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }

    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return decoder
    }
}
