/// The server's records: files, jobs, events and checkpoints. `MemoryStore` keeps them in memory
/// (tests), `SQLiteStore` in a database file that survives crashes.
///
/// Conventions shared by every list:
/// - Files, jobs and events come newest first by insertion; files also oldest first on request.
///   Checkpoints come by `stepNumber`, highest first (insertion order breaks ties, newest first).
/// - `after` is the id of the last item of the previous page; the page holds the items strictly
///   after it in the same order. An `after` that names no item of the list throws
///   `StoreError.unknownCursor`.
/// - `hasMore` is exact.
///
/// Implementations are safe to call concurrently. Writes with an id that exists already throw
/// `StoreError.database`; events and checkpoints of an unknown job throw `StoreError.notFound`.
///
/// ```swift
/// let store: any APIStore = try SQLiteStore(url: home.appending(path: "server/finetune.sqlite"))
/// let page = try await store.listJobs(after: nil, limit: 20, metadata: .none)
/// ```
public protocol APIStore: Sendable {
    /// Adds a file record.
    func insertFile(_ file: StoredFile) async throws
    /// The file `id`, or nil.
    func file(id: String) async throws -> StoredFile?
    /// Replaces the record with `file.id`. - Throws: `StoreError.notFound` for an unknown id.
    func updateFile(_ file: StoredFile) async throws
    /// Files with `purpose` (all when nil), newest first or, with `ascending`, oldest first.
    func listFiles(purpose: String?, after: String?, limit: Int, ascending: Bool) async throws -> Page<StoredFile>
    /// Removes the record; false when there was none.
    func deleteFile(id: String) async throws -> Bool

    /// Adds a job and its first event in one transaction.
    func insertJob(_ job: StoredJob, event: StoredEvent) async throws
    /// The job `id`, or nil.
    func job(id: String) async throws -> StoredJob?
    /// Read-modify-write in one transaction. `change` returns false to leave the row alone;
    /// `events` are added only when it returns true. What `change` throws rolls everything back
    /// and is rethrown as is.
    /// - Returns: the row after the change (or unchanged), nil when the id is unknown.
    func updateJob(id: String, events: [StoredEvent],
                   _ change: @Sendable (inout StoredJob) throws -> Bool) async throws -> StoredJob?
    /// Jobs newest first, filtered by metadata (API.md §4).
    func listJobs(after: String?, limit: Int, metadata: MetadataFilter) async throws -> Page<StoredJob>
    /// Every job in one of `status`, oldest first.
    func jobs(status: Set<JobStatus>) async throws -> [StoredJob]
    /// The job whose planned `ft:` name is `modelName`, or nil.
    func job(modelName: String) async throws -> StoredJob?

    /// Adds events in one transaction.
    func appendEvents(_ events: [StoredEvent]) async throws
    /// Events of `jobID`, newest first. `after` must be an event of that job.
    func listEvents(jobID: String, after: String?, limit: Int) async throws -> Page<StoredEvent>
    /// The largest `data.step` among the job's `metrics` events, nil when there are none.
    func maxMetricsStep(jobID: String) async throws -> Int?

    /// Adds a checkpoint.
    func insertCheckpoint(_ checkpoint: StoredCheckpoint) async throws
    /// Removes the checkpoints with these ids (unknown ids are ignored).
    func deleteCheckpoints(ids: [String]) async throws
    /// Checkpoints of `jobID`, highest step first. `after` must be a checkpoint of that job.
    func listCheckpoints(jobID: String, after: String?, limit: Int) async throws -> Page<StoredCheckpoint>
    /// Every checkpoint of `jobID`, highest step first.
    func checkpoints(jobID: String) async throws -> [StoredCheckpoint]
    /// The checkpoint servable as `modelName`, or nil.
    func checkpoint(modelName: String) async throws -> StoredCheckpoint?
}

extension MetadataFilter {
    /// Whether a job's `metadata` passes the filter: `.pairs` needs every pair present with exactly
    /// that value, `.isNull` needs no metadata at all.
    func matches(_ metadata: [String: String]?) -> Bool {
        switch self {
        case .none:
            return true
        case .isNull:
            return metadata == nil
        case .pairs(let pairs):
            guard let metadata else { return pairs.isEmpty }
            return pairs.allSatisfy { metadata[$0.key] == $0.value }
        }
    }
}
