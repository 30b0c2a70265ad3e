import Foundation
import Logging
import ServiceLifecycle

/// Deletes uploads whose `expires_after` has passed (OpenAI's `expires_at`), unless a job that
/// hasn't finished still needs them; such a file goes at the first sweep after the job ends.
struct FileExpiry<Store: APIStore>: Service {
    let store: Store
    let files: FileStorage
    let logger: Logger
    /// Time between sweeps.
    var interval: Duration = .seconds(60)

    func run() async throws {
        while !Task.isShuttingDownGracefully {
            do { _ = try await sweep() } catch { logger.error("file expiry: \(error)") }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    /// Deletes the expired files now.
    /// - Returns: the ids deleted.
    func sweep(now: Int = Int(Date().timeIntervalSince1970)) async throws -> [String] {
        var expired: [StoredFile] = [], after: String?
        while true {
            let page = try await store.listFiles(purpose: nil, after: after, limit: 1000, ascending: true)
            expired += page.items.filter { ($0.expiresAt ?? Int.max) <= now }
            guard page.hasMore, let last = page.items.last else { break }
            after = last.id
        }
        guard !expired.isEmpty else { return [] }
        let unfinished = try await store.jobs(status: [.validatingFiles, .queued, .running, .paused])
        let inUse = Set(unfinished.flatMap { [$0.trainingFile] + ($0.validationFile.map { [$0] } ?? []) })
        var deleted: [String] = []
        for file in expired where !inUse.contains(file.id) {
            guard try await store.deleteFile(id: file.id) else { continue }
            try files.delete(id: file.id)
            deleted.append(file.id)
        }
        if !deleted.isEmpty { logger.info("deleted \(deleted.count) expired file(s)") }
        return deleted
    }
}
