import Foundation
import GRDB

/// The durable `APIStore`: one SQLite database (GRDB `DatabasePool`) in WAL mode with
/// `synchronous=FULL`, so every committed write survives a crash or power loss, and readers never
/// wait for the writer. The layout is in `SQLiteSchema`.
///
/// ```swift
/// let store = try SQLiteStore(url: home.appending(path: "server/finetune.sqlite"))
/// try await store.insertFile(file)
/// ```
public final class SQLiteStore: APIStore {
    private let pool: DatabasePool
    /// The database file.
    public let url: URL

    /// Opens (creating when missing) the database at `url` and brings its schema up to date.
    /// - Throws: `StoreError.database` when the file cannot be opened or migrated.
    public init(url: URL) throws {
        self.url = url
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            pool = try DatabasePool(path: url.path, configuration: configuration)
            // GRDB sets synchronous=NORMAL on the writer when it enables WAL (after any
            // `prepareDatabase`), which may lose the last commits on power loss. FULL syncs the WAL
            // at every commit. The pool keeps this one writer connection for its lifetime.
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            try SQLiteSchema.migrator.migrate(pool)
        } catch let error as DatabaseError {
            throw StoreError.database("cannot open \(url.path): \(error.message ?? error.description)")
        } catch {
            throw StoreError.database("cannot open \(url.path): \(error.localizedDescription)")
        }
    }

    /// Closes the database; later calls fail. Pending writes are already on disk.
    public func close() throws {
        try pool.close()
    }

    // MARK: Files

    public func insertFile(_ file: StoredFile) async throws {
        try await write { db in
            try db.execute(sql: "INSERT INTO files (\(StoredFile.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           arguments: file.arguments)
        }
    }

    public func file(id: String) async throws -> StoredFile? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT \(StoredFile.columns) FROM files WHERE id = ?", arguments: [id])
                .map(StoredFile.init(row:))
        }
    }

    public func updateFile(_ file: StoredFile) async throws {
        try await write { db in
            var arguments = file.arguments
            arguments += [file.id]
            try db.execute(sql: """
                UPDATE files SET id = ?, filename = ?, purpose = ?, bytes = ?, created_at = ?, status = ?,
                    status_details = ?, sha256 = ?, example_count = ?, expires_at = ?
                WHERE id = ?
                """, arguments: arguments)
            guard db.changesCount > 0 else { throw StoreError.notFound(file.id) }
        }
    }

    public func listFiles(purpose: String?, after: String?, limit: Int, ascending: Bool) async throws -> Page<StoredFile> {
        try await read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if let after {
                guard let seq = try Int.fetchOne(db, sql: "SELECT seq FROM files WHERE id = ?", arguments: [after]) else {
                    throw StoreError.unknownCursor(after)
                }
                conditions.append(ascending ? "seq > ?" : "seq < ?")
                arguments += [seq]
            }
            if let purpose {
                conditions.append("purpose = ?")
                arguments += [purpose]
            }
            let sql = "SELECT \(StoredFile.columns) FROM files \(Self.whereClause(conditions)) ORDER BY seq \(ascending ? "ASC" : "DESC")"
            return try Self.page(db, sql: sql, arguments: arguments, limit: limit, StoredFile.init(row:))
        }
    }

    public func deleteFile(id: String) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "DELETE FROM files WHERE id = ?", arguments: [id])
            return db.changesCount > 0
        }
    }

    // MARK: Jobs

    public func insertJob(_ job: StoredJob, event: StoredEvent) async throws {
        guard event.jobID == job.id else { throw StoreError.notFound(event.jobID) }
        try await write { db in
            try db.execute(sql: "INSERT INTO jobs (\(StoredJob.columns)) VALUES (\(Self.placeholders(22)))",
                           arguments: try job.arguments())
            try Self.insert([event], db)
        }
    }

    public func job(id: String) async throws -> StoredJob? {
        try await read { db in try Self.fetchJob(db, id: id) }
    }

    public func updateJob(id: String, events: [StoredEvent],
                          _ change: @Sendable (inout StoredJob) throws -> Bool) async throws -> StoredJob? {
        try await write { db in
            guard let current = try Self.fetchJob(db, id: id) else { return nil }
            var job = current
            guard try change(&job) else { return current }
            job.id = id
            var arguments = try job.arguments()
            arguments += [id]
            let assignments = StoredJob.columns.split(separator: ",")
                .map { "\($0.trimmingCharacters(in: .whitespacesAndNewlines)) = ?" }
                .joined(separator: ", ")
            try db.execute(sql: "UPDATE jobs SET \(assignments) WHERE id = ?", arguments: arguments)
            try Self.insert(events, db)
            return job
        }
    }

    public func listJobs(after: String?, limit: Int, metadata: MetadataFilter) async throws -> Page<StoredJob> {
        try await read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if let after {
                guard let seq = try Int.fetchOne(db, sql: "SELECT seq FROM jobs WHERE id = ?", arguments: [after]) else {
                    throw StoreError.unknownCursor(after)
                }
                conditions.append("seq < ?")
                arguments += [seq]
            }
            switch metadata {
            case .none:
                break
            case .isNull:
                conditions.append("metadata IS NULL")
            case .pairs(let pairs):
                for (key, value) in pairs.sorted(by: { $0.key < $1.key }) {
                    conditions.append("""
                        EXISTS (SELECT 1 FROM json_each(jobs.metadata) AS entry
                                WHERE entry.key = ? AND entry.type = 'text' AND entry.value = ?)
                        """)
                    arguments += [key, value]
                }
            }
            let sql = "SELECT \(StoredJob.columns) FROM jobs \(Self.whereClause(conditions)) ORDER BY seq DESC"
            return try Self.page(db, sql: sql, arguments: arguments, limit: limit, StoredJob.init(row:))
        }
    }

    public func jobs(status: Set<JobStatus>) async throws -> [StoredJob] {
        guard !status.isEmpty else { return [] }
        return try await read { db in
            let statuses = status.map(\.rawValue).sorted()
            return try Row.fetchAll(db, sql: """
                SELECT \(StoredJob.columns) FROM jobs WHERE status IN (\(Self.placeholders(statuses.count))) ORDER BY seq ASC
                """, arguments: StatementArguments(statuses)).map(StoredJob.init(row:))
        }
    }

    public func job(modelName: String) async throws -> StoredJob? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT \(StoredJob.columns) FROM jobs WHERE model_name = ? ORDER BY seq DESC LIMIT 1",
                             arguments: [modelName]).map(StoredJob.init(row:))
        }
    }

    private static func fetchJob(_ db: Database, id: String) throws -> StoredJob? {
        try Row.fetchOne(db, sql: "SELECT \(StoredJob.columns) FROM jobs WHERE id = ?", arguments: [id]).map(StoredJob.init(row:))
    }

    // MARK: Events

    public func appendEvents(_ events: [StoredEvent]) async throws {
        guard !events.isEmpty else { return }
        try await write { db in try Self.insert(events, db) }
    }

    public func listEvents(jobID: String, after: String?, limit: Int) async throws -> Page<StoredEvent> {
        try await read { db in
            var conditions = ["job_id = ?"]
            var arguments: StatementArguments = [jobID]
            if let after {
                guard let seq = try Int.fetchOne(db, sql: "SELECT seq FROM events WHERE id = ? AND job_id = ?",
                                                 arguments: [after, jobID]) else {
                    throw StoreError.unknownCursor(after)
                }
                conditions.append("seq < ?")
                arguments += [seq]
            }
            let sql = "SELECT \(StoredEvent.columns) FROM events \(Self.whereClause(conditions)) ORDER BY seq DESC"
            return try Self.page(db, sql: sql, arguments: arguments, limit: limit, StoredEvent.init(row:))
        }
    }

    public func maxMetricsStep(jobID: String) async throws -> Int? {
        try await read { db in
            let step = try Double.fetchOne(db, sql: """
                SELECT MAX(CAST(json_extract(data, '$.step') AS REAL)) FROM events
                WHERE job_id = ? AND type = 'metrics' AND json_valid(data)
                    AND json_type(data, '$.step') IN ('integer', 'real')
                """, arguments: [jobID])
            guard let step, step.isFinite, abs(step) < 1e15 else { return nil }
            return Int(step)
        }
    }

    /// Inserts events after checking that their jobs exist (a clear `notFound` instead of a
    /// foreign-key failure).
    private static func insert(_ events: [StoredEvent], _ db: Database) throws {
        var knownJobs: Set<String> = []
        for event in events {
            if !knownJobs.contains(event.jobID) {
                guard try Bool.fetchOne(db, sql: "SELECT 1 FROM jobs WHERE id = ?", arguments: [event.jobID]) != nil else {
                    throw StoreError.notFound(event.jobID)
                }
                knownJobs.insert(event.jobID)
            }
            try db.execute(sql: "INSERT INTO events (\(StoredEvent.columns)) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           arguments: try event.arguments())
        }
    }

    // MARK: Checkpoints

    public func insertCheckpoint(_ checkpoint: StoredCheckpoint) async throws {
        try await write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM jobs WHERE id = ?", arguments: [checkpoint.jobID]) != nil else {
                throw StoreError.notFound(checkpoint.jobID)
            }
            try db.execute(sql: "INSERT INTO checkpoints (\(StoredCheckpoint.columns)) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           arguments: try checkpoint.arguments())
        }
    }

    public func deleteCheckpoints(ids: [String]) async throws {
        guard !ids.isEmpty else { return }
        try await write { db in
            try db.execute(sql: "DELETE FROM checkpoints WHERE id IN (\(Self.placeholders(ids.count)))",
                           arguments: StatementArguments(ids))
        }
    }

    public func listCheckpoints(jobID: String, after: String?, limit: Int) async throws -> Page<StoredCheckpoint> {
        try await read { db in
            var conditions = ["job_id = ?"]
            var arguments: StatementArguments = [jobID]
            if let after {
                guard let cursor = try Row.fetchOne(db, sql: "SELECT step_number, seq FROM checkpoints WHERE id = ? AND job_id = ?",
                                                    arguments: [after, jobID]) else {
                    throw StoreError.unknownCursor(after)
                }
                let step: Int = try cursor.decode(forColumn: "step_number")
                let seq: Int = try cursor.decode(forColumn: "seq")
                conditions.append("(step_number < ? OR (step_number = ? AND seq < ?))")
                arguments += [step, step, seq]
            }
            let sql = "SELECT \(StoredCheckpoint.columns) FROM checkpoints \(Self.whereClause(conditions)) ORDER BY step_number DESC, seq DESC"
            return try Self.page(db, sql: sql, arguments: arguments, limit: limit, StoredCheckpoint.init(row:))
        }
    }

    public func checkpoints(jobID: String) async throws -> [StoredCheckpoint] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT \(StoredCheckpoint.columns) FROM checkpoints WHERE job_id = ? ORDER BY step_number DESC, seq DESC
                """, arguments: [jobID]).map(StoredCheckpoint.init(row:))
        }
    }

    public func checkpoint(modelName: String) async throws -> StoredCheckpoint? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT \(StoredCheckpoint.columns) FROM checkpoints WHERE model_name = ? ORDER BY seq DESC LIMIT 1",
                             arguments: [modelName]).map(StoredCheckpoint.init(row:))
        }
    }

    // MARK: Helpers

    /// A pragma's value as text, for tests (`journal_mode`, `synchronous`, `foreign_keys`).
    func pragma(_ name: String) async throws -> String? {
        try await write { db in try String.fetchOne(db, sql: "PRAGMA \(name)") }
    }

    /// Runs raw SQL, for tests that need a damaged row.
    func executeForTesting(_ sql: String) async throws {
        try await write { db in try db.execute(sql: sql) }
    }

    private static func whereClause(_ conditions: [String]) -> String {
        conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
    }

    private static func placeholders(_ count: Int) -> String {
        Array(repeating: "?", count: count).joined(separator: ", ")
    }

    /// Runs `sql` (ordered, without LIMIT) for `limit + 1` rows: the extra row only tells `hasMore`.
    private static func page<Item: Sendable>(_ db: Database, sql: String, arguments: StatementArguments, limit: Int,
                                             _ make: (Row) throws -> Item) throws -> Page<Item> {
        let limit = min(max(0, limit), Int(Int32.max))
        var arguments = arguments
        arguments += [limit + 1]
        let rows = try Row.fetchAll(db, sql: sql + " LIMIT ?", arguments: arguments)
        return Page(items: try rows.prefix(limit).map(make), hasMore: rows.count > limit)
    }

    /// Runs a write transaction; database failures become `StoreError.database`, other errors
    /// (a `StoreError`, or whatever an `updateJob` closure throws) pass through unchanged.
    private func write<T: Sendable>(_ body: @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.write(body)
        } catch let error as DatabaseError {
            throw StoreError.database(error.message ?? error.description)
        }
    }

    private func read<T: Sendable>(_ body: @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.read(body)
        } catch let error as DatabaseError {
            throw StoreError.database(error.message ?? error.description)
        }
    }
}
