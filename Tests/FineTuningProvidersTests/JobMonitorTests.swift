import FineTuningProviders
import Foundation
import Testing

@Suite("Job monitor")
struct JobMonitorTests {
    static let unavailable = ProviderError.http(status: 503, method: "GET", url: "https://api.example/v1/fine_tuning/jobs/ftjob-fake",
                                                message: "service unavailable", code: nil, param: nil, attempts: 4)
    static let refused = ProviderError.transport(method: "GET", url: "https://api.example/v1/fine_tuning/jobs/ftjob-fake",
                                                 reason: "connection refused", attempts: 4)

    /// A job that runs through three looks, then succeeds with eight events in all.
    static func runningJob(jobFailure: @escaping @Sendable (Int) -> ProviderError? = { _ in nil },
                           eventsFailure: @escaping @Sendable (Int) -> ProviderError? = { _ in nil }) -> FakeProvider {
        let checkpoint = RemoteCheckpoint(id: "ckpt-2", step: 2, model: "ft:base-model:ckpt-step-2")
        return FakeProvider(stages: [
            .init(status: .queued, eventCount: 1),
            .init(status: .running, eventCount: 3),
            .init(status: .running, eventCount: 5, checkpoints: [checkpoint]),
            .init(status: .running, eventCount: 6, checkpoints: [checkpoint]),
            .init(status: .succeeded, eventCount: 8, checkpoints: [checkpoint], fineTunedModel: "ft:base-model:x:1"),
        ], events: FakeProvider.events(8), jobFailure: jobFailure, eventsFailure: eventsFailure)
    }

    /// Follows with a 5 ms interval. The default `maxOutage` is long: under CI's load two quick retries
    /// have taken over 5 s, and only the test about `maxOutage` should ever reach it.
    func follow(_ provider: FakeProvider, after: String? = nil, maxOutage: Duration = .seconds(600),
                log: UpdateLog) async throws -> JobSnapshot {
        let monitor = JobMonitor(provider: provider, interval: .milliseconds(5), maxOutage: maxOutage)
        return try await monitor.follow(provider.jobID, after: after) { await log.append($0) }
    }

    @Test("delivers every event once, oldest first, across looks; status changes and checkpoints as they happen")
    func eventsInOrder() async throws {
        let provider = Self.runningJob()
        let log = UpdateLog()
        let final = try await follow(provider, log: log)
        #expect(final.status == .succeeded)
        #expect(final.fineTunedModel == "ft:base-model:x:1")
        #expect(await log.events.map(\.id) == FakeProvider.events(8).map(\.id))
        #expect(await log.kinds == ["snapshot:queued", "event-1", "snapshot:running", "event-2", "event-3",
                                     "event-4", "event-5", "checkpoints:1", "event-6", "event-7", "event-8", "snapshot:succeeded"])
        // Each look asks only for what came after the last event delivered.
        let afters = await provider.eventsAfter
        #expect(afters.first == .some(nil))
        #expect(afters.dropFirst().allSatisfy { $0 != nil })
        #expect(afters.last == "event-6")
    }

    @Test("re-attaching with `after` skips the events already seen")
    func reattach() async throws {
        let provider = FakeProvider(stages: [.init(status: .running, eventCount: 4), .init(status: .succeeded, eventCount: 8)],
                                    events: FakeProvider.events(8))
        let log = UpdateLog()
        _ = try await follow(provider, after: "event-3", log: log)
        #expect(await provider.eventsAfter.first == "event-3")
        #expect(await log.events.map(\.id) == ["event-4", "event-5", "event-6", "event-7", "event-8"])
    }

    @Test("two failed looks mid-run: connectionLost twice, then reconnected, with no event lost or repeated")
    func outage() async throws {
        // Looks 2 and 3 fail (the job keeps running meanwhile); the third events call fails too.
        let provider = Self.runningJob(jobFailure: { $0 == 1 || $0 == 2 ? JobMonitorTests.unavailable : nil })
        let log = UpdateLog()
        let final = try await follow(provider, log: log)
        #expect(final.status == .succeeded)
        #expect(await log.events.map(\.id) == FakeProvider.events(8).map(\.id))
        let kinds = await log.kinds
        #expect(kinds.filter { $0.hasPrefix("lost:") } == ["lost:1", "lost:2"])
        #expect(kinds.filter { $0 == "reconnected" }.count == 1)
        // The outage ends before anything the next look brings.
        let lost = try #require(kinds.lastIndex(of: "lost:2"))
        #expect(kinds[lost + 1] == "reconnected")
        let retries = await log.updates.compactMap { update -> (ProviderError, Duration)? in
            if case .connectionLost(let error, let delay, _) = update { (error, delay) } else { nil }
        }
        #expect(retries.map(\.0) == [Self.unavailable, Self.unavailable])
        #expect(retries.map(\.1) == [.milliseconds(5), .milliseconds(10)])     // the interval, doubling
    }

    @Test("a failed events call is retried from the last event delivered")
    func eventsOutage() async throws {
        let provider = Self.runningJob(eventsFailure: { $0 == 2 ? JobMonitorTests.refused : nil })
        let log = UpdateLog()
        _ = try await follow(provider, log: log)
        #expect(await log.events.map(\.id) == FakeProvider.events(8).map(\.id))
        #expect(await log.kinds.filter { $0.hasPrefix("lost:") } == ["lost:1"])
    }

    @Test("an outage longer than maxOutage throws the last error, which says what to do")
    func outageTooLong() async throws {
        let provider = Self.runningJob(jobFailure: { $0 >= 1 ? JobMonitorTests.refused : nil })
        let log = UpdateLog()
        let error = await #expect(throws: ProviderError.self) {
            try await follow(provider, maxOutage: .milliseconds(60), log: log)
        }
        #expect(error == Self.refused)
        #expect(error?.description.contains("connection refused") == true)
        #expect(error?.description.contains("--base-url") == true)
        // At least one retry was reported before giving up (how many fit in the outage depends on the machine's load).
        let lost = await log.kinds.filter { $0.hasPrefix("lost:") }
        #expect(lost.count >= 1)
        #expect(!(await log.kinds).contains("reconnected"))
    }

    @Test("a wrong API key (401) throws at once, without retrying")
    func unauthorized() async throws {
        let denied = ProviderError.http(status: 401, method: "GET", url: "https://api.example/v1/fine_tuning/jobs/ftjob-fake",
                                        message: "Incorrect API key provided", code: "invalid_api_key", param: nil, attempts: 1)
        let provider = Self.runningJob(jobFailure: { $0 == 1 ? denied : nil })
        let log = UpdateLog()
        let error = await #expect(throws: ProviderError.self) { try await follow(provider, log: log) }
        #expect(error == denied)
        #expect(error?.description.contains("check the API key") == true)
        #expect(await provider.jobCalls == 2)
        #expect(await log.kinds.allSatisfy { !$0.hasPrefix("lost:") })
    }

    @Test("an unknown job throws notFound at once")
    func unknownJob() async throws {
        let provider = Self.runningJob()
        let monitor = JobMonitor(provider: provider, interval: .milliseconds(5))
        await #expect(throws: ProviderError.notFound(what: "fine-tuning job", id: "ftjob-other")) {
            try await monitor.follow("ftjob-other") { _ in }
        }
    }

    @Test("a failed job: the final snapshot carries the error, after the job's last events")
    func failedJob() async throws {
        let failure = JobFailure(code: "training_error", message: "Training diverged at step 3")
        let provider = FakeProvider(stages: [
            .init(status: .running, eventCount: 2),
            .init(status: .failed, eventCount: 4, error: failure),
        ], events: FakeProvider.events(4))
        let log = UpdateLog()
        let final = try await follow(provider, log: log)
        #expect(final.status == .failed)
        #expect(final.error == failure)
        #expect(await log.kinds == ["snapshot:running", "event-1", "event-2", "event-3", "event-4", "snapshot:failed"])
    }

    @Test("a job cancelled elsewhere ends the follow with cancelled")
    func cancelledElsewhere() async throws {
        let provider = FakeProvider(stages: [
            .init(status: .running, eventCount: 1),
            .init(status: .running, eventCount: 1),
            .init(status: .cancelled, eventCount: 2),
        ], events: FakeProvider.events(2))
        let log = UpdateLog()
        let final = try await follow(provider, log: log)
        #expect(final.status == .cancelled)
        #expect(await log.statuses == [.running, .cancelled])
        #expect(await provider.jobCalls == 3)
    }

    @Test("a paused job is followed on (pausing is not the end)")
    func pausedJob() async throws {
        let provider = FakeProvider(stages: [
            .init(status: .running, eventCount: 1),
            .init(status: .paused, eventCount: 2),
            .init(status: .running, eventCount: 3),
            .init(status: .succeeded, eventCount: 3),
        ], events: FakeProvider.events(3))
        let log = UpdateLog()
        let final = try await follow(provider, log: log)
        #expect(final.status == .succeeded)
        #expect(await log.statuses == [.running, .paused, .running, .succeeded])
    }

    @Test("cancelling the following task ends it promptly while it waits between looks")
    func cancelWhileWaiting() async throws {
        let provider = Self.runningJob()
        let monitor = JobMonitor(provider: provider, interval: .seconds(120))
        let task = Task { try await monitor.follow(provider.jobID) { _ in } }
        try await Task.sleep(for: .milliseconds(100))
        let clock = ContinuousClock(), start = clock.now
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        // Well before the 120 s interval was up (CI's load has delayed a prompt return by 30 s, never by 100).
        #expect(clock.now - start < .seconds(100))
        #expect(await provider.jobCalls == 1)
    }

    @Test("cancelling the following task ends it promptly while a provider call hangs")
    func cancelDuringCall() async throws {
        let provider = FakeProvider(stages: [.init(status: .running, eventCount: 1)], events: FakeProvider.events(1),
                                    hangFromCall: 1, hangSeconds: 120)
        let monitor = JobMonitor(provider: provider, interval: .milliseconds(5))
        let task = Task { try await monitor.follow(provider.jobID) { _ in } }
        while await provider.jobCalls < 2 { try await Task.sleep(for: .milliseconds(10)) }
        let clock = ContinuousClock(), start = clock.now
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        // It came back without waiting for the hung call (which takes 120 s), however busy the machine.
        #expect(await provider.hungCallsFinished == 0, "returned after \(clock.now - start)")
    }
}

@Suite("Metrics history")
struct MetricsHistoryTests {
    @Test("merges a step's training and validation figures from separate events")
    func mergesByStep() {
        var history = MetricsHistory()
        history.record(MetricPoint(step: 2, totalSteps: 4, trainLoss: 1.5, learningRate: 1e-3))
        history.record(MetricPoint(step: 1, totalSteps: 4, trainLoss: 2.0))
        history.record(MetricPoint(step: 2, validLoss: 1.7, validAccuracy: 0.4))
        #expect(history.points.map(\.step) == [1, 2])
        #expect(history.points[1] == MetricPoint(step: 2, totalSteps: 4, trainLoss: 1.5, validLoss: 1.7, validAccuracy: 0.4,
                                                 learningRate: 1e-3))
        #expect(history.latest?.step == 2)
        #expect(history.latestTrainLoss == 1.5)
        #expect(history.latestValidLoss == 1.7)
        #expect(history.trainSeries.map(\.step) == [1, 2])
        #expect(history.trainSeries.map(\.value) == [2.0, 1.5])
        #expect(history.validSeries.map(\.step) == [2])
        #expect(history.totalSteps == 4)
    }

    @Test("the full validation loss wins over the batch's; events without metrics are ignored")
    func fullValidation() {
        var history = MetricsHistory()
        history.record(JobEvent(id: "a", createdAt: Date(), level: "info", message: "started"))
        #expect(history.isEmpty)
        history.record(JobEvent(id: "b", createdAt: Date(), level: "info", message: "step 3",
                                metrics: MetricPoint(step: 3, trainLoss: 1, validLoss: 1.2, fullValidLoss: 1.1)))
        #expect(history.latestValidLoss == 1.1)
        #expect(history.latestTrainLoss == 1)
    }

    @Test("estimates the finish from the step rate, counted from the first step seen")
    func eta() throws {
        let start = Date(timeIntervalSince1970: 1_000_000)
        var history = MetricsHistory()
        history.record(MetricPoint(step: 10, totalSteps: 110, trainLoss: 1), now: start)
        #expect(history.eta(now: start) == nil)                       // one step: no rate yet
        history.record(MetricPoint(step: 20, trainLoss: 0.9), now: start.addingTimeInterval(20))
        #expect(history.stepsPerSecond == 0.5)
        // 90 steps left at 0.5 steps/s = 180 s after the last step was seen.
        let eta = try #require(history.eta(now: start.addingTimeInterval(30)))
        #expect(abs(eta.timeIntervalSince(start.addingTimeInterval(200))) < 1e-6)
        #expect(MetricsHistory().eta() == nil)
    }

    @Test("survives a JSON round trip")
    func codable() throws {
        let history = MetricsHistory([MetricPoint(step: 1, trainLoss: 2), MetricPoint(step: 1, validLoss: 3), MetricPoint(step: 5, trainLoss: 1)])
        let decoded = try JSONDecoder().decode(MetricsHistory.self, from: try JSONEncoder().encode(history))
        #expect(decoded == history)
        #expect(decoded.points.count == 2)
    }
}
