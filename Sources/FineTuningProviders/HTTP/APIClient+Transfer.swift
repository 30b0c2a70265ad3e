import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

extension APIClient {
    /// Downloads `path` into `destination`, streaming to a temporary file beside it that is renamed when the
    /// body is complete (an interrupted download leaves no partial file under the final name).
    ///
    /// Failures before the body starts are retried under the client's policy; a failure in the middle starts over.
    /// - Parameter progress: `(bytes received, total or nil)` as chunks arrive.
    /// - Returns: the number of bytes written.
    /// - Throws: `ProviderError` (`.http`, `.timeout`, `.transport`, `.invalidRequest` when the file can't be written).
    @discardableResult
    public func download(_ path: String, query: [(String, String)] = [], to destination: URL,
                         progress: (@Sendable (Int, Int?) -> Void)? = nil) async throws -> Int {
        let url = url(path, query: query)
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        request.headers.add(name: "User-Agent", value: Self.userAgent)
        request.headers.add(name: "Accept", value: "*/*")
        request.headers.add(name: "Authorization", value: try authorizationValue())
        let policy = retry
        var attempt = 0
        while true {
            attempt += 1
            var failure: ProviderError
            do {
                let response = try await http.execute(request, timeout: .milliseconds(Int64(timeouts.upload * 1000)))
                let status = Int(response.status.code)
                if (200..<300).contains(status) {
                    let total = response.headers.first(name: "Content-Length").flatMap(Int.init)
                    return try await write(response.body, to: destination, total: total, progress: progress)
                }
                let body = try await response.body.collect(upTo: 1 << 20)
                let answer = APIResponse(status: status, headers: response.headers.map { ($0.name, $0.value) },
                                         body: Data(body.readableBytesView))
                failure = httpError(answer, method: "GET", url: url, attempts: attempt)
                guard RetryPolicy.isRetryable(status: status) else { throw failure }
            } catch let error as CancellationError {
                throw error
            } catch let error as ProviderError {
                throw error
            } catch {
                if Task.isCancelled { throw CancellationError() }
                failure = transportError(error, method: "GET", url: url, seconds: timeouts.upload, attempts: attempt)
            }
            guard attempt < policy.maxAttempts else { throw failure }
            let delay = policy.delay(afterAttempt: attempt)
            notifyRetry(RetryNotice(attempt: attempt, maxAttempts: policy.maxAttempts, delay: delay,
                                    reason: Self.reason(failure), method: "GET", url: url))
            try await Task.sleep(nanoseconds: UInt64(delay * 1_000_000_000))
        }
    }

    private func write(_ body: HTTPClientResponse.Body, to destination: URL, total: Int?,
                       progress: (@Sendable (Int, Int?) -> Void)?) async throws -> Int {
        let manager = FileManager.default
        let folder = destination.deletingLastPathComponent()
        let temporary = folder.appendingPathComponent(".\(destination.lastPathComponent).\(UUID().uuidString.prefix(8)).part")
        do {
            try manager.createDirectory(at: folder, withIntermediateDirectories: true)
            guard manager.createFile(atPath: temporary.path, contents: nil) else {
                throw ProviderError.invalidRequest("cannot create \(temporary.path): check that the folder is writable")
            }
        } catch let error as ProviderError {
            throw error
        } catch {
            throw ProviderError.invalidRequest("cannot create \(folder.path): \(error.localizedDescription)")
        }
        var received = 0
        do {
            let handle = try FileHandle(forWritingTo: temporary)
            defer { try? handle.close() }
            for try await chunk in body {
                try handle.write(contentsOf: Data(chunk.readableBytesView))
                received += chunk.readableBytes
                progress?(received, total)
            }
            try handle.synchronize()
        } catch {
            try? manager.removeItem(at: temporary)
            throw error
        }
        do {
            if manager.fileExists(atPath: destination.path) { try manager.removeItem(at: destination) }
            try manager.moveItem(at: temporary, to: destination)
        } catch {
            try? manager.removeItem(at: temporary)
            throw ProviderError.invalidRequest("cannot write \(destination.path): \(error.localizedDescription)")
        }
        return received
    }
}
