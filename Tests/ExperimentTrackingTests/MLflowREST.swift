import Foundation
import Testing
@testable import ExperimentTracking

/// Reads back what the client logged, straight from the server's REST API (not through the code under test's
/// requests): runs, metric histories, artifact listings and artifact bytes.
struct MLflowREST {
    let http: MLflowHTTP

    init(_ server: URL) throws {
        http = try MLflowClient(trackingURI: server, attempts: 1).http
    }

    struct Run: Decodable {
        struct Info: Decodable {
            var status: String
            var endTime: Int64?
            var runName: String?
            enum CodingKeys: String, CodingKey { case status, endTime = "end_time", runName = "run_name" }
        }
        struct Data: Decodable {
            var params: [WireKeyValue]?
            var tags: [WireKeyValue]?
            var metrics: [WireMetric]?
        }
        var info: Info
        var data: Data

        func param(_ key: String) -> String? { data.params?.first { $0.key == key }?.value }
        func tag(_ key: String) -> String? { data.tags?.first { $0.key == key }?.value }
    }

    struct ArtifactFile: Decodable, Equatable {
        var path: String
        var isDir: Bool?
        var fileSize: Int64?
        enum CodingKeys: String, CodingKey { case path, isDir = "is_dir", fileSize = "file_size" }
    }

    func run(_ runID: String) async throws -> Run {
        struct Answer: Decodable { var run: Run }
        let answer: Answer = try await get("/api/2.0/mlflow/runs/get", [("run_id", runID)])
        return answer.run
    }

    func history(_ runID: String, _ key: String) async throws -> [WireMetric] {
        struct Answer: Decodable { var metrics: [WireMetric]? }
        let answer: Answer = try await get("/api/2.0/mlflow/metrics/get-history", [("run_id", runID), ("metric_key", key)])
        return answer.metrics ?? []
    }

    func experiments(named name: String) async throws -> [String] {
        struct Answer: Decodable {
            struct Experiment: Decodable { var experiment_id: String }
            var experiments: [Experiment]?
        }
        let answer: Answer = try await get("/api/2.0/mlflow/experiments/search",
                                           [("max_results", "1000"), ("filter", "name = '\(name)'")])
        return (answer.experiments ?? []).map(\.experiment_id)
    }

    func artifacts(_ runID: String, path: String? = nil) async throws -> [ArtifactFile] {
        struct Answer: Decodable { var files: [ArtifactFile]? }
        var query = [("run_id", runID)]
        if let path { query.append(("path", path)) }
        let answer: Answer = try await get("/api/2.0/mlflow/artifacts/list", query)
        return answer.files ?? []
    }

    /// The bytes of a proxied artifact (`mlflow-artifacts:/…` runs).
    func download(_ info: MLflowRunInfo, _ path: String) async throws -> Data {
        guard case .proxied(let root) = ArtifactDestination(info.artifactURI, server: http.server) else {
            Issue.record("artifact URI \(info.artifactURI) is not proxied")
            return Data()
        }
        let response = try await http.send("GET", root + "/" + path)
        try #require(response.status == 200, "GET \(root)/\(path): \(response.status)")
        return response.body
    }

    func post(_ path: String, _ body: [String: String]) async throws {
        let data = try JSONEncoder().encode(body)
        let response = try await http.send("POST", http.url(path), body: data, contentType: "application/json")
        try #require(response.status == 200, "POST \(path): \(response.status) \(String(decoding: response.body, as: UTF8.self))")
    }

    private func get<Answer: Decodable>(_ path: String, _ query: [(String, String)]) async throws -> Answer {
        let url = http.url(path, query: query)
        let response = try await http.send("GET", url)
        try #require(response.status == 200, "GET \(url): \(response.status) \(String(decoding: response.body, as: UTF8.self))")
        return try MLflowJSON.decoder().decode(Answer.self, from: response.body)
    }
}
