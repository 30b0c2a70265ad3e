import Foundation
import OpenAIAPI
import Testing
@testable import APIServer

/// The `APIStore` contract for files and jobs, run against `MemoryStore` and `SQLiteStore` alike.
@Suite("APIStore conformance: files and jobs")
struct StorageStoreTests {
    // MARK: Files

    @Test("a file is inserted, read, updated and deleted", arguments: StoreKind.allCases)
    func fileLifecycle(kind: StoreKind) async throws {
        let (store, cleanup) = try kind.make()
        defer { cleanup() }
        var file = StorageFixtures.file("file-1")
        file.expiresAt = 1_800_000_000
        try await store.insertFile(file)
        #expect(try await store.file(id: "file-1") == file)
        #expect(try await store.file(id: "file-nope") == nil)

        file.status = .error
        file.statusDetails = "Line 2: invalid JSON"
        file.exampleCount = nil
        try await store.updateFile(file)
        #expect(try await store.file(id: "file-1") == file)

        #expect(try await store.deleteFile(id: "file-1"))
        #expect(try await store.file(id: "file-1") == nil)
        #expect(try await !store.deleteFile(id: "file-1"))
    }

    @Test("inserting a duplicate file id fails and updating an unknown one says not found", arguments: StoreKind.allCases)
    func fileErrors(kind: StoreKind) async throws {
        let (store, cleanup) = try kind.make()
        defer { cleanup() }
        try await store.insertFile(StorageFixtures.file("file-1"))
        await #expect(throws: StoreError.self) { try await store.insertFile(StorageFixtures.file("file-1")) }
        await #expect(throws: StoreError.notFound("file-2")) { try await store.updateFile(StorageFixtures.file("file-2")) }
    }

    @Test("files list newest first, oldest first on request, filtered by purpose", arguments: StoreKind.allCases)
    func fileOrder(kind: StoreKind) async throws {
        let (store, cleanup) = try kind.make()
        defer { cleanup() }
        for index in 1...5 {
            try await store.insertFile(StorageFixtures.file("file-\(index)", purpose: index.isMultiple(of: 2) ? "batch" : "fine-tune"))
        }
        let descending = try await store.listFiles(purpose: nil, after: nil, limit: 100, ascending: false)
        #expect(descending.items.map(\.id) == ["file-5", "file-4", "file-3", "file-2", "file-1"])
        #expect(!descending.hasMore)
        let ascending = try await store.listFiles(purpose: nil, after: nil, limit: 100, ascending: true)
        #expect(ascending.items.map(\.id) == ["file-1", "file-2", "file-3", "file-4", "file-5"])
        let tuning = try await store.listFiles(purpose: "fine-tune", after: nil, limit: 100, ascending: false)
        #expect(tuning.items.map(\.id) == ["file-5", "file-3", "file-1"])
        let afterThree = try await store.listFiles(purpose: "fine-tune", after: "file-3", limit: 1, ascending: false)
        #expect(afterThree == Page(items: [StorageFixtures.file("file-1")], hasMore: false))
        let ascendingAfter = try await store.listFiles(purpose: nil, after: "file-2", limit: 2, ascending: true)
        #expect(ascendingAfter.items.map(\.id) == ["file-3", "file-4"])
        #expect(ascendingAfter.hasMore)
    }

    @Test("has_more is exact and a limit-1 walk visits every file once", arguments: StoreKind.allCases)
    func filePagination(kind: StoreKind) async throws {
        let (store, cleanup) = try kind.make()
        defer { cleanup() }
        #expect(try await store.listFiles(purpose: nil, after: nil, limit: 10, ascending: false) == Page(items: [], hasMore: false))
        for index in 1...3 { try await store.insertFile(StorageFixtures.file("file-\(index)")) }
        #expect(try await store.listFiles(purpose: nil, after: nil, limit: 3, ascending: false).hasMore == false)
        #expect(try await store.listFiles(purpose: nil, after: nil, limit: 2, ascending: false).hasMore == true)
        #expect(try await store.listFiles(purpose: nil, after: nil, limit: .max, ascending: true) ==
                Page(items: (1...3).map { StorageFixtures.file("file-\($0)") }, hasMore: false))

        var seen: [String] = []
        var after: String?
        var pages = 0
        while true {
            let page = try await store.listFiles(purpose: nil, after: after, limit: 1, ascending: false)
            pages += 1
            seen += page.items.map(\.id)
            guard page.hasMore, let last = page.items.last else { break }
            after = last.id
            try #require(pages < 10, "pagination does not end")
        }
        #expect(seen == ["file-3", "file-2", "file-1"])
        #expect(pages == 3)
    }

    @Test("an unknown cursor is reported on every list", arguments: StoreKind.allCases)
    func unknownCursor(kind: StoreKind) async throws {
        let (store, cleanup) = try kind.make()
        defer { cleanup() }
        try await store.insertJob(StorageFixtures.job("ftjob-1"), event: StorageFixtures.event("ftevent-1", job: "ftjob-1"))
        try await store.insertJob(StorageFixtures.job("ftjob-2"), event: StorageFixtures.event("ftevent-2", job: "ftjob-2"))
        try await store.insertCheckpoint(StorageFixtures.checkpoint("ftckpt-1", job: "ftjob-1", step: 10))
        await #expect(throws: StoreError.unknownCursor("file-x")) {
            try await store.listFiles(purpose: nil, after: "file-x", limit: 10, ascending: false)
        }
        await #expect(throws: StoreError.unknownCursor("ftjob-x")) {
            try await store.listJobs(after: "ftjob-x", limit: 10, metadata: .none)
        }
        // An event or checkpoint of another job is no cursor for this one.
        await #expect(throws: StoreError.unknownCursor("ftevent-2")) {
            try await store.listEvents(jobID: "ftjob-1", after: "ftevent-2", limit: 10)
        }
        await #expect(throws: StoreError.unknownCursor("ftckpt-1")) {
            try await store.listCheckpoints(jobID: "ftjob-2", after: "ftckpt-1", limit: 10)
        }
    }

    // MARK: Jobs

    @Test("a job round-trips with every field and its first event", arguments: StoreKind.allCases)
    func jobRoundTrip(kind: StoreKind) async throws {
        let (store, cleanup) = try kind.make()
        defer { cleanup() }
        var job = StorageFixtures.job("ftjob-1", metadata: ["team": "pricing"])
        job.error = FineTuningJobError(code: "invalid_training_file", message: "Line 4: invalid JSON", param: "training_file")
        job.resultFiles = ["file-results"]
        job.fineTunedModel = job.modelName
        job.finishedAt = 1_700_001_000
        job.trainedTokens = 1234
        job.estimatedFinish = 1_700_000_900
        job.startedAt = 1_700_000_150
        job.modelDeleted = true
        let event = StorageFixtures.event("ftevent-1", job: "ftjob-1")
        try await store.insertJob(job, event: event)
        #expect(try await store.job(id: "ftjob-1") == job)
        #expect(try await store.job(id: "ftjob-2") == nil)
        #expect(try await store.job(modelName: job.modelName) == job)
        #expect(try await store.job(modelName: "ft:unknown") == nil)
        #expect(try await store.listEvents(jobID: "ftjob-1", after: nil, limit: 10).items == [event])

        let bare = StoredJob(id: "ftjob-2", createdAt: 1, model: "m", status: .validatingFiles, trainingFile: "f",
                             seed: 7, modelName: "ft:m:local::abcdefgh", runDirectory: "/r")
        try await store.insertJob(bare, event: StorageFixtures.event("ftevent-2", job: "ftjob-2"))
        #expect(try await store.job(id: "ftjob-2") == bare)
    }

    @Test("a duplicate job id fails and leaves no event behind", arguments: StoreKind.allCases)
    func duplicateJob(kind: StoreKind) async throws {
        let (store, cleanup) = try kind.make()
        defer { cleanup() }
        try await store.insertJob(StorageFixtures.job("ftjob-1"), event: StorageFixtures.event("ftevent-1", job: "ftjob-1"))
        await #expect(throws: StoreError.self) {
            try await store.insertJob(StorageFixtures.job("ftjob-1"), event: StorageFixtures.event("ftevent-2", job: "ftjob-1"))
        }
        #expect(try await store.listEvents(jobID: "ftjob-1", after: nil, limit: 10).items.map(\.id) == ["ftevent-1"])
    }

    @Test("updateJob changes the row and adds events in one step; false leaves both alone", arguments: StoreKind.allCases)
    func updateJob(kind: StoreKind) async throws {
        let (store, cleanup) = try kind.make()
        defer { cleanup() }
        let original = StorageFixtures.job("ftjob-1", status: .running)
        try await store.insertJob(original, event: StorageFixtures.event("ftevent-1", job: "ftjob-1"))

        let cancelled = try await store.updateJob(id: "ftjob-1", events: [StorageFixtures.event("ftevent-2", job: "ftjob-1")]) { job in
            guard !job.status.isTerminal else { return false }
            job.status = .cancelled
            job.finishedAt = 99
            return true
        }
        #expect(cancelled?.status == .cancelled)
        #expect(try await store.job(id: "ftjob-1") == cancelled)

        // A late result after the cancel: the closure refuses, nothing changes, no event.
        let late = try await store.updateJob(id: "ftjob-1", events: [StorageFixtures.event("ftevent-3", job: "ftjob-1")]) { job in
            guard !job.status.isTerminal else { return false }
            job.status = .succeeded
            return true
        }
        #expect(late == cancelled)
        #expect(try await store.job(id: "ftjob-1")?.status == .cancelled)
        #expect(try await store.listEvents(jobID: "ftjob-1", after: nil, limit: 10).items.map(\.id) == ["ftevent-2", "ftevent-1"])

        #expect(try await store.updateJob(id: "ftjob-nope", events: []) { _ in true } == nil)
    }

    @Test("an error thrown inside updateJob rolls back and passes through", arguments: StoreKind.allCases)
    func updateJobThrows(kind: StoreKind) async throws {
        struct Refused: Error, Equatable {}
        let (store, cleanup) = try kind.make()
        defer { cleanup() }
        let original = StorageFixtures.job("ftjob-1")
        try await store.insertJob(original, event: StorageFixtures.event("ftevent-1", job: "ftjob-1"))
        await #expect(throws: Refused()) {
            try await store.updateJob(id: "ftjob-1", events: [StorageFixtures.event("ftevent-2", job: "ftjob-1")]) { job in
                job.status = .failed
                throw Refused()
            }
        }
        #expect(try await store.job(id: "ftjob-1") == original)
        #expect(try await store.listEvents(jobID: "ftjob-1", after: nil, limit: 10).items.count == 1)
    }

    @Test("concurrent read-modify-writes lose no update", arguments: StoreKind.allCases)
    func concurrentUpdates(kind: StoreKind) async throws {
        let (store, cleanup) = try kind.make()
        defer { cleanup() }
        var job = StorageFixtures.job("ftjob-1")
        job.trainedTokens = 0
        try await store.insertJob(job, event: StorageFixtures.event("ftevent-0", job: "ftjob-1"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 1...20 {
                group.addTask {
                    _ = try await store.updateJob(id: "ftjob-1", events: [StorageFixtures.event("ftevent-\(index)", job: "ftjob-1")]) { job in
                        job.trainedTokens = (job.trainedTokens ?? 0) + 1
                        return true
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await store.job(id: "ftjob-1")?.trainedTokens == 20)
        #expect(try await store.listEvents(jobID: "ftjob-1", after: nil, limit: 100).items.count == 21)
    }

    @Test("jobs list newest first and filter by metadata", arguments: StoreKind.allCases)
    func jobList(kind: StoreKind) async throws {
        let (store, cleanup) = try kind.make()
        defer { cleanup() }
        let metadata: [[String: String]?] = [
            nil, ["team": "a"], ["team": "a", "env": "prod"], ["team": "b"], [:], ["team": ""], ["team": "a", "env": ""],
        ]
        for (index, entry) in metadata.enumerated() {
            try await store.insertJob(StorageFixtures.job("ftjob-\(index)", metadata: entry),
                                      event: StorageFixtures.event("ftevent-\(index)", job: "ftjob-\(index)"))
        }
        func ids(_ filter: MetadataFilter) async throws -> [String] {
            try await store.listJobs(after: nil, limit: 100, metadata: filter).items.map(\.id)
        }
        #expect(try await ids(.none) == (0...6).reversed().map { "ftjob-\($0)" })
        #expect(try await ids(.isNull) == ["ftjob-0"])
        #expect(try await ids(.pairs(["team": "a"])) == ["ftjob-6", "ftjob-2", "ftjob-1"])
        #expect(try await ids(.pairs(["team": "a", "env": "prod"])) == ["ftjob-2"])
        #expect(try await ids(.pairs(["team": ""])) == ["ftjob-5"])
        #expect(try await ids(.pairs(["env": ""])) == ["ftjob-6"])
        #expect(try await ids(.pairs(["team": "c"])) == [])

        let filtered = try await store.listJobs(after: "ftjob-6", limit: 1, metadata: .pairs(["team": "a"]))
        #expect(filtered.items.map(\.id) == ["ftjob-2"])
        #expect(filtered.hasMore)
        let last = try await store.listJobs(after: "ftjob-2", limit: 1, metadata: .pairs(["team": "a"]))
        #expect(last.items.map(\.id) == ["ftjob-1"])
        #expect(!last.hasMore)
    }

    @Test("jobs by status come oldest first", arguments: StoreKind.allCases)
    func jobsByStatus(kind: StoreKind) async throws {
        let (store, cleanup) = try kind.make()
        defer { cleanup() }
        let statuses: [JobStatus] = [.running, .succeeded, .queued, .paused, .queued, .failed, .validatingFiles]
        for (index, status) in statuses.enumerated() {
            try await store.insertJob(StorageFixtures.job("ftjob-\(index)", status: status),
                                      event: StorageFixtures.event("ftevent-\(index)", job: "ftjob-\(index)"))
        }
        #expect(try await store.jobs(status: [.queued, .running]).map(\.id) == ["ftjob-0", "ftjob-2", "ftjob-4"])
        #expect(try await store.jobs(status: [.validatingFiles]).map(\.id) == ["ftjob-6"])
        #expect(try await store.jobs(status: []).isEmpty)
        #expect(try await store.jobs(status: [.cancelled]).isEmpty)
    }
}
