/// An `APIStore` in memory, for tests and `--ephemeral` runs. Everything is lost with the process.
///
/// ```swift
/// let store = MemoryStore()
/// try await store.insertFile(file)
/// ```
public actor MemoryStore: APIStore {
    // Each array is in insertion order (oldest first), which is the `seq` order of SQLiteStore.
    private var files: [StoredFile] = []
    private var jobs: [StoredJob] = []
    private var events: [StoredEvent] = []
    private var eventIDs: Set<String> = []
    private var checkpointList: [StoredCheckpoint] = []

    public init() {}

    // MARK: Files

    public func insertFile(_ file: StoredFile) throws {
        guard !files.contains(where: { $0.id == file.id }) else { throw StoreError.database("duplicate file id \(file.id)") }
        files.append(file)
    }

    public func file(id: String) -> StoredFile? {
        files.first { $0.id == id }
    }

    public func updateFile(_ file: StoredFile) throws {
        guard let index = files.firstIndex(where: { $0.id == file.id }) else { throw StoreError.notFound(file.id) }
        files[index] = file
    }

    public func listFiles(purpose: String?, after: String?, limit: Int, ascending: Bool) throws -> Page<StoredFile> {
        let ordered = ascending ? files : files.reversed()
        guard let after else {
            return Self.page(ordered.filter { purpose == nil || $0.purpose == purpose }, limit: limit)
        }
        guard let cursor = ordered.firstIndex(where: { $0.id == after }) else { throw StoreError.unknownCursor(after) }
        return Self.page(ordered[(cursor + 1)...].filter { purpose == nil || $0.purpose == purpose }, limit: limit)
    }

    public func deleteFile(id: String) -> Bool {
        guard let index = files.firstIndex(where: { $0.id == id }) else { return false }
        files.remove(at: index)
        return true
    }

    // MARK: Jobs

    public func insertJob(_ job: StoredJob, event: StoredEvent) throws {
        guard !jobs.contains(where: { $0.id == job.id }) else { throw StoreError.database("duplicate job id \(job.id)") }
        guard event.jobID == job.id else { throw StoreError.notFound(event.jobID) }
        try checkNewEvents([event], newJobID: job.id)
        jobs.append(job)
        add([event])
    }

    public func job(id: String) -> StoredJob? {
        jobs.first { $0.id == id }
    }

    public func updateJob(id: String, events newEvents: [StoredEvent],
                          _ change: @Sendable (inout StoredJob) throws -> Bool) throws -> StoredJob? {
        guard let index = jobs.firstIndex(where: { $0.id == id }) else { return nil }
        var job = jobs[index]
        guard try change(&job) else { return jobs[index] }
        job.id = id
        try checkNewEvents(newEvents)
        jobs[index] = job
        add(newEvents)
        return job
    }

    public func listJobs(after: String?, limit: Int, metadata: MetadataFilter) throws -> Page<StoredJob> {
        let ordered = Array(jobs.reversed())
        var start = 0
        if let after {
            guard let cursor = ordered.firstIndex(where: { $0.id == after }) else { throw StoreError.unknownCursor(after) }
            start = cursor + 1
        }
        return Self.page(ordered[start...].filter { metadata.matches($0.metadata) }, limit: limit)
    }

    public func jobs(status: Set<JobStatus>) -> [StoredJob] {
        jobs.filter { status.contains($0.status) }
    }

    public func job(modelName: String) -> StoredJob? {
        jobs.first { $0.modelName == modelName }
    }

    // MARK: Events

    public func appendEvents(_ newEvents: [StoredEvent]) throws {
        try checkNewEvents(newEvents)
        add(newEvents)
    }

    private func add(_ newEvents: [StoredEvent]) {
        events.append(contentsOf: newEvents)
        for event in newEvents { eventIDs.insert(event.id) }
    }

    public func listEvents(jobID: String, after: String?, limit: Int) throws -> Page<StoredEvent> {
        let ordered = events.reversed().filter { $0.jobID == jobID }
        var start = 0
        if let after {
            guard let cursor = ordered.firstIndex(where: { $0.id == after }) else { throw StoreError.unknownCursor(after) }
            start = cursor + 1
        }
        return Self.page(ordered[start...], limit: limit)
    }

    public func maxMetricsStep(jobID: String) -> Int? {
        events.lazy
            .filter { $0.jobID == jobID && $0.type == "metrics" }
            .compactMap { $0.data?["step"]?.doubleValue }
            .filter { $0.isFinite && abs($0) < 1e15 }
            .map { Int($0) }
            .max()
    }

    /// New events need unknown ids (also among themselves) and known jobs (or the job being inserted).
    private func checkNewEvents(_ newEvents: [StoredEvent], newJobID: String? = nil) throws {
        var seen = eventIDs
        for event in newEvents {
            guard seen.insert(event.id).inserted else { throw StoreError.database("duplicate event id \(event.id)") }
            guard event.jobID == newJobID || jobs.contains(where: { $0.id == event.jobID }) else {
                throw StoreError.notFound(event.jobID)
            }
        }
    }

    // MARK: Checkpoints

    public func insertCheckpoint(_ checkpoint: StoredCheckpoint) throws {
        guard jobs.contains(where: { $0.id == checkpoint.jobID }) else { throw StoreError.notFound(checkpoint.jobID) }
        guard !checkpointList.contains(where: { $0.id == checkpoint.id }) else {
            throw StoreError.database("duplicate checkpoint id \(checkpoint.id)")
        }
        checkpointList.append(checkpoint)
    }

    public func deleteCheckpoints(ids: [String]) {
        let doomed = Set(ids)
        checkpointList.removeAll { doomed.contains($0.id) }
    }

    public func listCheckpoints(jobID: String, after: String?, limit: Int) throws -> Page<StoredCheckpoint> {
        let ordered = checkpoints(jobID: jobID)
        var start = 0
        if let after {
            guard let cursor = ordered.firstIndex(where: { $0.id == after }) else { throw StoreError.unknownCursor(after) }
            start = cursor + 1
        }
        return Self.page(ordered[start...], limit: limit)
    }

    public func checkpoints(jobID: String) -> [StoredCheckpoint] {
        // Highest step first; among equal steps the newest insertion first (a stable sort of the
        // reversed insertion order keeps that).
        checkpointList.reversed()
            .filter { $0.jobID == jobID }
            .enumerated()
            .sorted { ($0.element.stepNumber, -$0.offset) > ($1.element.stepNumber, -$1.offset) }
            .map(\.element)
    }

    public func checkpoint(modelName: String) -> StoredCheckpoint? {
        checkpointList.last { $0.modelName == modelName }
    }

    // MARK: Paging

    private static func page<Items: Collection>(_ items: Items, limit: Int) -> Page<Items.Element> where Items.Element: Sendable {
        let limit = max(0, limit)
        return Page(items: Array(items.prefix(limit)), hasMore: items.count > limit)
    }
}
