import GRDB

/// The database layout of `SQLiteStore`, one migration per schema version.
///
/// Every table has an AUTOINCREMENT `seq` that orders its rows by insertion (ids are random), a
/// unique `id`, and JSON text in the columns that hold nested values. Events and checkpoints refer
/// to their job; jobs are never deleted, so events outlive everything else.
enum SQLiteSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE files (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    id TEXT NOT NULL UNIQUE,
                    filename TEXT NOT NULL,
                    purpose TEXT NOT NULL,
                    bytes INTEGER NOT NULL,
                    created_at INTEGER NOT NULL,
                    status TEXT NOT NULL,
                    status_details TEXT,
                    sha256 TEXT NOT NULL,
                    example_count INTEGER,
                    expires_at INTEGER
                );
                CREATE INDEX files_by_purpose ON files(purpose, seq);

                CREATE TABLE jobs (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    id TEXT NOT NULL UNIQUE,
                    created_at INTEGER NOT NULL,
                    model TEXT NOT NULL,
                    status TEXT NOT NULL,
                    training_file TEXT NOT NULL,
                    validation_file TEXT,
                    requested_hyperparameters TEXT NOT NULL,  -- JSON FineTuningHyperparameters
                    resolved_hyperparameters TEXT,            -- JSON ResolvedJobHyperparameters
                    seed INTEGER NOT NULL,
                    suffix TEXT,
                    metadata TEXT,                            -- JSON object, NULL when none
                    integrations TEXT,                        -- JSON array
                    model_name TEXT NOT NULL,
                    fine_tuned_model TEXT,
                    finished_at INTEGER,
                    trained_tokens INTEGER,
                    error TEXT,                               -- JSON FineTuningJobError
                    estimated_finish INTEGER,
                    result_files TEXT NOT NULL,               -- JSON array of file ids
                    model_deleted INTEGER NOT NULL DEFAULT 0,
                    run_directory TEXT NOT NULL,
                    started_at INTEGER
                );
                CREATE INDEX jobs_by_status ON jobs(status, seq);
                CREATE INDEX jobs_by_model_name ON jobs(model_name);

                CREATE TABLE events (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    id TEXT NOT NULL UNIQUE,
                    job_id TEXT NOT NULL REFERENCES jobs(id),
                    created_at INTEGER NOT NULL,
                    level TEXT NOT NULL,
                    message TEXT NOT NULL,
                    type TEXT NOT NULL,
                    data TEXT                                 -- JSON, NULL when none
                );
                CREATE INDEX events_by_job ON events(job_id, seq);

                CREATE TABLE checkpoints (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    id TEXT NOT NULL UNIQUE,
                    job_id TEXT NOT NULL REFERENCES jobs(id),
                    created_at INTEGER NOT NULL,
                    step_number INTEGER NOT NULL,
                    model_name TEXT NOT NULL,
                    metrics TEXT NOT NULL,                    -- JSON CheckpointMetrics
                    path TEXT NOT NULL
                );
                CREATE INDEX checkpoints_by_job ON checkpoints(job_id, step_number, seq);
                CREATE INDEX checkpoints_by_model_name ON checkpoints(model_name);
                """)
        }
        return migrator
    }
}
