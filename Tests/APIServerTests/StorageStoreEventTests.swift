import Foundation
import OpenAIAPI
import Testing
@testable import APIServer

/// The `APIStore` contract for events and checkpoints, run against both stores.
@Suite("APIStore conformance: events and checkpoints")
struct StorageStoreEventTests {
    // MARK: Events

    @Test("events list newest first per job, with exact paging", arguments: StoreKind.allCases)
    func events(kind: StoreKind) async throws {
        let (store, cleanup) = try kind.make()
        defer { cleanup() }
        try await store.insertJob(StorageFixtures.job("ftjob-1"), event: StorageFixtures.event("ftevent-0", job: "ftjob-1"))
        try await store.insertJob(StorageFixtures.job("ftjob-2"), event: StorageFixtures.event("ftevent-x", job: "ftjob-2"))
        try await store.appendEvents((1...4).map { StorageFixtures.event("ftevent-\($0)", job: "ftjob-1") })
        try await store.appendEvents([])

        let first = try await store.listEvents(jobID: "ftjob-1", after: nil, limit: 2)
        #expect(first.items.map(\.id) == ["ftevent-4", "ftevent-3"])
        #expect(first.hasMore)
        let second = try await store.listEvents(jobID: "ftjob-1", after: "ftevent-3", limit: 3)
        #expect(second.items.map(\.id) == ["ftevent-2", "ftevent-1", "ftevent-0"])
        #expect(!second.hasMore)
        #expect(try await store.listEvents(jobID: "ftjob-1", after: "ftevent-0", limit: 3) == Page(items: [], hasMore: false))
        #expect(try await store.listEvents(jobID: "ftjob-3", after: nil, limit: 3) == Page(items: [], hasMore: false))
    }

    @Test("events of an unknown job are refused, all of the batch", arguments: StoreKind.allCases)
    func eventsOfUnknownJob(kind: StoreKind) async throws {
        let (store, cleanup) = try kind.make()
        defer { cleanup() }
        try await store.insertJob(StorageFixtures.job("ftjob-1"), event: StorageFixtures.event("ftevent-0", job: "ftjob-1"))
        await #expect(throws: StoreError.notFound("ftjob-9")) {
            try await store.appendEvents([StorageFixtures.event("ftevent-1", job: "ftjob-1"), StorageFixtures.event("ftevent-2", job: "ftjob-9")])
        }
        #expect(try await store.listEvents(jobID: "ftjob-1", after: nil, limit: 10).items.map(\.id) == ["ftevent-0"])
    }

    @Test("event data round-trips, including null and nested values", arguments: StoreKind.allCases)
    func eventData(kind: StoreKind) async throws {
        let (store, cleanup) = try kind.make()
        defer { cleanup() }
        let data: JSONValue = ["step": 3, "train_loss": 0.125, "nested": ["list": [1, "two", true, nil]], "none": nil]
        let events = [StorageFixtures.event("ftevent-1", job: "ftjob-1", type: "metrics", data: data),
                      StorageFixtures.event("ftevent-2", job: "ftjob-1", data: nil)]
        try await store.insertJob(StorageFixtures.job("ftjob-1"), event: events[0])
        try await store.appendEvents([events[1]])
        #expect(try await store.listEvents(jobID: "ftjob-1", after: nil, limit: 10).items == events.reversed())
    }

    @Test("maxMetricsStep is the largest step of metrics events only", arguments: StoreKind.allCases)
    func maxMetricsStep(kind: StoreKind) async throws {
        let (store, cleanup) = try kind.make()
        defer { cleanup() }
        try await store.insertJob(StorageFixtures.job("ftjob-1"), event: StorageFixtures.event("ftevent-0", job: "ftjob-1"))
        try await store.insertJob(StorageFixtures.job("ftjob-2"), event: StorageFixtures.metrics("ftevent-x", job: "ftjob-2", step: 99))
        #expect(try await store.maxMetricsStep(jobID: "ftjob-1") == nil)
        try await store.appendEvents([
            StorageFixtures.metrics("ftevent-1", job: "ftjob-1", step: 3),
            StorageFixtures.metrics("ftevent-2", job: "ftjob-1", step: 12),
            StorageFixtures.metrics("ftevent-3", job: "ftjob-1", step: 7),
            StorageFixtures.event("ftevent-4", job: "ftjob-1", data: ["step": 500]),
            StorageFixtures.event("ftevent-5", job: "ftjob-1", type: "metrics", data: ["step": "many"]),
        ])
        #expect(try await store.maxMetricsStep(jobID: "ftjob-1") == 12)
        #expect(try await store.maxMetricsStep(jobID: "ftjob-2") == 99)
    }

    // MARK: Checkpoints

    @Test("checkpoints list by step, highest first, and can be deleted", arguments: StoreKind.allCases)
    func checkpoints(kind: StoreKind) async throws {
        let (store, cleanup) = try kind.make()
        defer { cleanup() }
        try await store.insertJob(StorageFixtures.job("ftjob-1"), event: StorageFixtures.event("ftevent-0", job: "ftjob-1"))
        try await store.insertJob(StorageFixtures.job("ftjob-2"), event: StorageFixtures.event("ftevent-1", job: "ftjob-2"))
        for (id, step) in [("ftckpt-a", 10), ("ftckpt-b", 30), ("ftckpt-c", 20), ("ftckpt-d", 20)] {
            try await store.insertCheckpoint(StorageFixtures.checkpoint(id, job: "ftjob-1", step: step))
        }
        try await store.insertCheckpoint(StorageFixtures.checkpoint("ftckpt-z", job: "ftjob-2", step: 5))

        // Equal steps: the newer insertion first.
        #expect(try await store.checkpoints(jobID: "ftjob-1").map(\.id) == ["ftckpt-b", "ftckpt-d", "ftckpt-c", "ftckpt-a"])
        let first = try await store.listCheckpoints(jobID: "ftjob-1", after: nil, limit: 2)
        #expect(first.items.map(\.id) == ["ftckpt-b", "ftckpt-d"])
        #expect(first.hasMore)
        let second = try await store.listCheckpoints(jobID: "ftjob-1", after: "ftckpt-d", limit: 2)
        #expect(second.items.map(\.id) == ["ftckpt-c", "ftckpt-a"])
        #expect(!second.hasMore)

        let saved = StorageFixtures.checkpoint("ftckpt-b", job: "ftjob-1", step: 30)
        #expect(try await store.checkpoint(modelName: saved.modelName) == saved)
        #expect(try await store.checkpoint(modelName: "ft:nothing:ckpt-step-1") == nil)

        try await store.deleteCheckpoints(ids: ["ftckpt-a", "ftckpt-d", "ftckpt-unknown"])
        try await store.deleteCheckpoints(ids: [])
        #expect(try await store.checkpoints(jobID: "ftjob-1").map(\.id) == ["ftckpt-b", "ftckpt-c"])
        #expect(try await store.checkpoints(jobID: "ftjob-2").map(\.id) == ["ftckpt-z"])
    }

    @Test("a checkpoint needs a known job and a new id", arguments: StoreKind.allCases)
    func checkpointErrors(kind: StoreKind) async throws {
        let (store, cleanup) = try kind.make()
        defer { cleanup() }
        await #expect(throws: StoreError.notFound("ftjob-1")) {
            try await store.insertCheckpoint(StorageFixtures.checkpoint("ftckpt-a", job: "ftjob-1", step: 1))
        }
        try await store.insertJob(StorageFixtures.job("ftjob-1"), event: StorageFixtures.event("ftevent-0", job: "ftjob-1"))
        try await store.insertCheckpoint(StorageFixtures.checkpoint("ftckpt-a", job: "ftjob-1", step: 1))
        await #expect(throws: StoreError.self) {
            try await store.insertCheckpoint(StorageFixtures.checkpoint("ftckpt-a", job: "ftjob-1", step: 2))
        }
    }
}
