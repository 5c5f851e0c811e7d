import Foundation
import GRDB

extension JobStore {
    /// The schema, one numbered migration at a time. A migration that has shipped never changes: add the
    /// next one.
    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()

        // v1: jobs, trials, epochs, events. The states are written out as they shipped: a state added later
        // comes with a migration of its own.
        migrator.registerMigration("v1") { db in
            let states = "'PENDING', 'RUNNING', 'COMPLETED', 'FAILED', 'TIMEOUT', 'CANCELLED', 'OUT_OF_MEMORY'"
            try db.execute(sql: """
                CREATE TABLE jobs (
                    id TEXT NOT NULL PRIMARY KEY,                 -- j-YYYYMMDD-NNNN
                    name TEXT NOT NULL,
                    task TEXT NOT NULL,
                    state TEXT NOT NULL DEFAULT 'PENDING' CHECK (state IN (\(states))),
                    reason TEXT NOT NULL DEFAULT 'queued',
                    priority INTEGER NOT NULL DEFAULT 0,          -- higher first
                    created_at DATETIME NOT NULL,
                    started_at DATETIME,
                    finished_at DATETIME,
                    attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
                    max_attempts INTEGER NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
                    lease_owner TEXT,
                    lease_expires_at DATETIME,
                    bundle_sha256 TEXT,                           -- unique when set: jobs_bundle_sha256
                    bundle_path TEXT NOT NULL,
                    settings_json TEXT NOT NULL DEFAULT '{}',
                    budget_seconds INTEGER NOT NULL CHECK (budget_seconds > 0),
                    outbox_path TEXT,
                    best_metric_name TEXT,
                    best_metric_value REAL,
                    cancel_requested INTEGER NOT NULL DEFAULT 0 CHECK (cancel_requested IN (0, 1)),
                    schedule_key TEXT UNIQUE,
                    -- A RUNNING job holds a lease, and only a RUNNING one.
                    CHECK ((state = 'RUNNING') = (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL)),
                    -- A job has a finish time exactly when it is in a final state.
                    CHECK ((state IN ('PENDING', 'RUNNING')) = (finished_at IS NULL))
                );
                CREATE UNIQUE INDEX jobs_bundle_sha256 ON jobs(bundle_sha256) WHERE bundle_sha256 IS NOT NULL;
                -- The claim (next PENDING by priority, then FIFO), the rescue (RUNNING) and counts() (per state).
                CREATE INDEX jobs_state_order ON jobs(state, priority DESC, created_at, id);
                -- The status list, newest first.
                CREATE INDEX jobs_created ON jobs(created_at, id);
                -- The last job number given out on each UTC day: ids are never reused, even after a job is deleted.
                CREATE TABLE job_numbers (
                    day TEXT NOT NULL PRIMARY KEY,                -- j-YYYYMMDD-
                    last_number INTEGER NOT NULL
                ) WITHOUT ROWID;

                CREATE TABLE trials (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
                    number INTEGER NOT NULL CHECK (number >= 0),
                    state TEXT NOT NULL DEFAULT 'RUNNING' CHECK (state IN (\(states))),
                    reason TEXT NOT NULL DEFAULT '',
                    hyperparameters_json TEXT NOT NULL DEFAULT '{}',
                    started_at DATETIME,
                    finished_at DATETIME,
                    epochs_done INTEGER NOT NULL DEFAULT 0 CHECK (epochs_done >= 0),
                    best_metric_value REAL,
                    pid INTEGER,
                    device TEXT,
                    UNIQUE (job_id, number)                       -- also the index of a job's trials
                );

                CREATE TABLE epoch_metrics (
                    trial_id INTEGER NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
                    epoch INTEGER NOT NULL CHECK (epoch >= 1),
                    train_loss REAL,
                    validation_loss REAL,
                    primary_metric REAL,
                    metrics_json TEXT NOT NULL DEFAULT '{}',
                    recorded_at DATETIME NOT NULL,
                    PRIMARY KEY (trial_id, epoch)
                ) WITHOUT ROWID;

                CREATE TABLE events (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,         -- never reused: a tail cursor
                    job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
                    at DATETIME NOT NULL,
                    level TEXT NOT NULL CHECK (level IN ('debug', 'info', 'warning', 'error')),
                    message TEXT NOT NULL
                );
                CREATE INDEX events_job ON events(job_id, id);
                """)
        }

        // v2: sweeps. A trial's branch of the search space and its configuration's place in the sweep (a
        // retry after running out of memory repeats the configuration under a new trial number).
        migrator.registerMigration("v2") { db in
            try db.execute(sql: """
                ALTER TABLE trials ADD COLUMN branch INTEGER;
                ALTER TABLE trials ADD COLUMN configuration_index INTEGER;
                ALTER TABLE trials ADD COLUMN retry_of INTEGER;
                """)
        }

        // v3: schedules. What each schedule last did; its definition stays in spool/schedules/NAME.yaml.
        migrator.registerMigration("v3") { db in
            try db.execute(sql: """
                CREATE TABLE schedules (
                    name TEXT NOT NULL PRIMARY KEY,
                    first_seen_at DATETIME NOT NULL,   -- slots before this never fire
                    last_slot DATETIME,                -- the last slot fired, skipped or missed
                    last_fired_at DATETIME,
                    last_job_id TEXT,
                    last_result TEXT NOT NULL DEFAULT 'not fired yet'
                ) WITHOUT ROWID;
                """)
        }

        // v4: every drop the intake took, with its outcome, so that `submit --wait` follows its own drop (not
        // another of the same name) and `status` lists the rejected and duplicate ones.
        migrator.registerMigration("v4") { db in
            try db.execute(sql: """
                CREATE TABLE drops (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,         -- never reused: submit follows from its cursor
                    name TEXT NOT NULL,                           -- the name it had in incoming/
                    sha256 TEXT,                                  -- NULL when the drop could not be read
                    taken_at DATETIME NOT NULL,
                    outcome TEXT NOT NULL CHECK (outcome IN ('QUEUED', 'REJECTED', 'DUPLICATE')),
                    job_id TEXT,                                  -- QUEUED: the job; DUPLICATE: the earlier job
                    reason TEXT NOT NULL DEFAULT '',
                    failed_path TEXT                              -- REJECTED, DUPLICATE: where it was kept
                );
                CREATE INDEX drops_name ON drops(name, id);
                """)
        }

        // v5: what `spoolctl status` shows of a running job: each running trial's latest progress (epoch, step,
        // images per second, ETA; the trainer's event as JSON) and the daemon's cap on the job's budget
        // (`serve --max-job-seconds`) when it is below the job's own.
        migrator.registerMigration("v5") { db in
            try db.execute(sql: """
                ALTER TABLE trials ADD COLUMN progress_json TEXT;
                ALTER TABLE jobs ADD COLUMN budget_cap_seconds INTEGER;
                """)
        }

        // v6: a trial's Slurm job id (`serve --executor slurm`): a restarted daemon re-attaches to the trials
        // still queued or running in Slurm instead of submitting them again.
        migrator.registerMigration("v6") { db in
            try db.execute(sql: "ALTER TABLE trials ADD COLUMN slurm_job_id TEXT")
        }

        // v7: resume, never restart. A job's interruptions by the daemon (not charged to its attempts), and each
        // run of a trial: when it started, the epoch it resumed after, how it ended.
        migrator.registerMigration("v7") { db in
            try db.execute(sql: """
                ALTER TABLE jobs ADD COLUMN interruptions INTEGER NOT NULL DEFAULT 0;
                CREATE TABLE trial_runs (
                    trial_id INTEGER NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
                    run INTEGER NOT NULL CHECK (run >= 1),
                    started_at DATETIME NOT NULL,
                    finished_at DATETIME,
                    resumed_after INTEGER,                       -- the epoch it continued after; NULL: from the start
                    outcome TEXT,                                -- how it ended; NULL while it runs
                    PRIMARY KEY (trial_id, run)
                );
                """)
        }

        return migrator
    }()

    /// Runs the missing migrations.
    ///
    /// Two processes opening a fresh file at once can both see a migration missing; the second one's
    /// `CREATE TABLE` then fails after the first commits. Another pass sees it applied and goes on, while a
    /// migration that is really broken fails every pass and throws.
    static func migrate(_ pool: DatabasePool) throws {
        // Each pass resumes after what the other process committed; one pass per migration is always enough.
        var attempt = 0
        while true {
            do {
                return try migrator.migrate(pool)
            } catch where attempt < 4 {
                attempt += 1
                Thread.sleep(forTimeInterval: 0.02 * Double(attempt))
            }
        }
    }

    /// The migrations applied to the file, in order ("v1", ...).
    public func appliedMigrations() throws -> [String] {
        try read { try Self.migrator.appliedMigrations($0) }
    }
}
