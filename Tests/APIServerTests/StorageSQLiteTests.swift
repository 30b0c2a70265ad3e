import Foundation
import OpenAIAPI
import Testing
@testable import APIServer

/// What only the SQLite store promises: durability settings, persistence across restarts, and a
/// clear error instead of a crash for a damaged row.
@Suite("SQLiteStore")
struct StorageSQLiteTests {
    @Test("the database runs in WAL mode with synchronous FULL and foreign keys on")
    func pragmas() async throws {
        let folder = try StorageFixtures.temporaryDirectory()
        defer { StorageFixtures.remove(folder) }
        let store = try SQLiteStore(url: folder.appendingPathComponent("db.sqlite"))
        #expect(try await store.pragma("journal_mode") == "wal")
        #expect(try await store.pragma("synchronous") == "2")
        #expect(try await store.pragma("foreign_keys") == "1")
    }

    @Test("everything written is read back after closing and reopening the file")
    func reopen() async throws {
        let folder = try StorageFixtures.temporaryDirectory()
        defer { StorageFixtures.remove(folder) }
        let url = folder.appendingPathComponent("nested/server/finetune.sqlite")
        let written = try await Self.writeSample(to: SQLiteStore(url: url), closing: true)
        let reopened = try SQLiteStore(url: url)
        try await Self.expectSample(written, in: reopened)

        // The sequence continues after a restart: a new job still lists first.
        try await reopened.insertJob(StorageFixtures.job("ftjob-new"), event: StorageFixtures.event("ftevent-new", job: "ftjob-new"))
        #expect(try await reopened.listJobs(after: nil, limit: 1, metadata: .none).items.first?.id == "ftjob-new")
    }

    @Test("a copy of the files taken while the store is open (what SIGKILL leaves) holds every committed write")
    func crashSnapshot() async throws {
        let folder = try StorageFixtures.temporaryDirectory()
        defer { StorageFixtures.remove(folder) }
        let live = folder.appendingPathComponent("live", isDirectory: true)
        let store = try SQLiteStore(url: live.appendingPathComponent("finetune.sqlite"))
        let written = try await Self.writeSample(to: store, closing: false)

        // The store is still open: committed data sits in the WAL, not yet checkpointed.
        let snapshot = folder.appendingPathComponent("snapshot", isDirectory: true)
        try FileManager.default.copyItem(at: live, to: snapshot)
        let recovered = try SQLiteStore(url: snapshot.appendingPathComponent("finetune.sqlite"))
        try await Self.expectSample(written, in: recovered)
        withExtendedLifetime(store) {}
    }

    @Test("a row whose JSON column is damaged gives a database error, not a crash")
    func damagedRow() async throws {
        let folder = try StorageFixtures.temporaryDirectory()
        defer { StorageFixtures.remove(folder) }
        let store = try SQLiteStore(url: folder.appendingPathComponent("db.sqlite"))
        try await store.insertJob(StorageFixtures.job("ftjob-1"), event: StorageFixtures.event("ftevent-1", job: "ftjob-1"))
        try await store.executeForTesting("UPDATE jobs SET result_files = '{not json' WHERE id = 'ftjob-1'")
        await #expect(throws: StoreError.self) { try await store.job(id: "ftjob-1") }
        try await store.executeForTesting("UPDATE jobs SET result_files = '[]', status = 'exploded' WHERE id = 'ftjob-1'")
        await #expect(throws: StoreError.self) { try await store.job(id: "ftjob-1") }
    }

    @Test("a database path that cannot be created gives a store error")
    func unopenable() throws {
        let folder = try StorageFixtures.temporaryDirectory()
        defer { StorageFixtures.remove(folder) }
        let blocker = folder.appendingPathComponent("file")
        try Data("x".utf8).write(to: blocker)
        #expect(throws: StoreError.self) { try SQLiteStore(url: blocker.appendingPathComponent("db.sqlite")) }
    }

    struct Sample {
        var files: [StoredFile]
        var jobs: [StoredJob]
        var events: [StoredEvent]
        var checkpoints: [StoredCheckpoint]
    }

    /// Writes files, jobs (one updated), events and checkpoints, then returns what the store should hold.
    static func writeSample(to store: SQLiteStore, closing: Bool) async throws -> Sample {
        var file = StorageFixtures.file("file-1")
        try await store.insertFile(file)
        try await store.insertFile(StorageFixtures.file("file-2", purpose: "fine-tune-results"))
        file.status = .error
        file.statusDetails = "Line 3: invalid JSON"
        try await store.updateFile(file)

        let events = [StorageFixtures.event("ftevent-1", job: "ftjob-1"), StorageFixtures.metrics("ftevent-2", job: "ftjob-1", step: 5),
                      StorageFixtures.event("ftevent-3", job: "ftjob-1")]
        try await store.insertJob(StorageFixtures.job("ftjob-1", status: .running, metadata: ["k": "v"]), event: events[0])
        try await store.appendEvents([events[1]])
        let updated = try await store.updateJob(id: "ftjob-1", events: [events[2]]) { job in
            job.status = .succeeded
            job.fineTunedModel = job.modelName
            job.trainedTokens = 321
            job.resultFiles = ["file-2"]
            job.error = FineTuningJobError(code: "x", message: "y")
            return true
        }
        let checkpoints = [StorageFixtures.checkpoint("ftckpt-1", job: "ftjob-1", step: 5),
                           StorageFixtures.checkpoint("ftckpt-2", job: "ftjob-1", step: 10)]
        for checkpoint in checkpoints { try await store.insertCheckpoint(checkpoint) }
        if closing { try store.close() }
        return Sample(files: [StorageFixtures.file("file-2", purpose: "fine-tune-results"), file],
                      jobs: [try #require(updated)], events: events.reversed(), checkpoints: checkpoints.reversed())
    }

    static func expectSample(_ sample: Sample, in store: SQLiteStore) async throws {
        #expect(try await store.listFiles(purpose: nil, after: nil, limit: 10, ascending: false).items == sample.files)
        #expect(try await store.listJobs(after: nil, limit: 10, metadata: .none).items == sample.jobs)
        #expect(try await store.listEvents(jobID: "ftjob-1", after: nil, limit: 10).items == sample.events)
        #expect(try await store.checkpoints(jobID: "ftjob-1") == sample.checkpoints)
        #expect(try await store.maxMetricsStep(jobID: "ftjob-1") == 5)
    }
}
