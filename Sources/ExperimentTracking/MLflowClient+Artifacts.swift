import Foundation

extension MLflowClient {
    /// Logs `file` as an artifact of the run, at `<artifactPath>/<file name>` inside the run's artifacts.
    ///
    /// Where it goes depends on the run's artifact URI:
    /// - `mlflow-artifacts:/…` (the server proxies artifacts, MLflow's default) or an
    ///   `http(s)://…/api/2.0/mlflow-artifacts/artifacts/…` URL: PUT to the server's
    ///   `/api/2.0/mlflow-artifacts/artifacts/<path>`;
    /// - a local path or `file://` URI (a server started with `--no-serve-artifacts` on this machine):
    ///   the file is copied there, replacing one of the same name.
    ///
    /// - Parameters:
    ///   - file: the local file.
    ///   - artifactPath: a folder inside the run's artifacts (`report`, `charts/model`); nil for the root.
    /// - Throws: `MLflowError.artifactFile` when the file cannot be read or copied,
    ///   `.unsupportedArtifactURI` for other stores (s3://, gs://, …), and the HTTP errors.
    public func uploadArtifact(runInfo: MLflowRunInfo, file: URL, artifactPath: String?) async throws {
        let name = file.lastPathComponent
        let relative = [artifactPath, name].compactMap { $0 }.joined(separator: "/")
        switch ArtifactDestination(runInfo.artifactURI, server: server) {
        case .proxied(let root):
            let data = try Self.contents(of: file)
            let url = root + "/" + MLflowHTTP.encodePath(relative)
            let response = try await http.send("PUT", url, body: data, contentType: "application/octet-stream",
                                               seconds: max(timeout, 300))
            guard (200..<300).contains(response.status) else {
                throw MLflowHTTP.httpError(response, method: "PUT", url: url, attempts: 1)
            }
        case .local(let folder):
            try Self.copy(file, to: folder.appendingPathComponent(relative))
        case .unsupported:
            throw MLflowError.unsupportedArtifactURI(runInfo.artifactURI)
        }
    }

    private static func contents(of file: URL) throws -> Data {
        do {
            return try Data(contentsOf: file)
        } catch {
            throw MLflowError.artifactFile(path: file.path, reason: "\(Self.reason(error)); check that it exists and is readable")
        }
    }

    private static func copy(_ file: URL, to destination: URL) throws {
        let manager = FileManager.default
        do {
            try manager.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
            if manager.fileExists(atPath: destination.path) { try manager.removeItem(at: destination) }
            try manager.copyItem(at: file, to: destination)
        } catch {
            throw MLflowError.artifactFile(path: file.path, reason: "copying it to \(destination.path) failed: \(Self.reason(error))")
        }
    }

    private static func reason(_ error: any Error) -> String {
        (error as NSError).localizedFailureReason ?? (error as NSError).localizedDescription
    }
}

/// Where a run's artifact URI sends files.
enum ArtifactDestination: Equatable {
    /// PUT files under this URL (no trailing slash).
    case proxied(String)
    /// Copy files into this folder.
    case local(URL)
    case unsupported

    /// - Parameters:
    ///   - uri: the run's `artifact_uri`.
    ///   - server: the tracking server root, which serves `mlflow-artifacts:` URIs.
    init(_ uri: String, server: String) {
        let anchor = "/api/2.0/mlflow-artifacts/artifacts"
        if uri.hasPrefix("mlflow-artifacts:") {
            // `mlflow-artifacts:/1/<run>/artifacts`, or `mlflow-artifacts://host:port/1/<run>/artifacts`.
            var rest = Substring(uri.dropFirst("mlflow-artifacts:".count))
            if rest.hasPrefix("//") {
                rest = rest.dropFirst(2)
                rest = rest.firstIndex(of: "/").map { rest[$0...] } ?? ""
            }
            self = .proxied(server + anchor + "/" + MLflowHTTP.encodePath(String(rest)))
        } else if uri.hasPrefix("http://") || uri.hasPrefix("https://") {
            var root = uri
            while root.hasSuffix("/") { root.removeLast() }
            self = root.contains(anchor) ? .proxied(root) : .unsupported
        } else if uri.hasPrefix("file:"), let url = URL(string: uri), url.isFileURL {
            self = .local(url)
        } else if uri.hasPrefix("/") {
            self = .local(URL(fileURLWithPath: uri))
        } else {
            self = .unsupported
        }
    }
}
