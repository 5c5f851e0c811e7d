import Foundation
import GRDB

extension JobStore {
    /// The job a person means by `reference`: its whole id, the only id that starts with it
    /// (`j-20261129-00`) or ends with it (`0003`, `1129-0003`), else the newest job of that name (a schedule
    /// queues many of one name; the newest is the one asked about).
    /// - Throws: `ambiguousID` when a prefix or suffix matches several jobs.
    public func job(id reference: String) throws -> Job? {
        try read { db in try Self.job(id: reference, db) }
    }

    static func job(id: String, _ db: Database) throws -> Job? {
        if let job = try Job.fetchOne(db, key: id) { return job }
        guard !id.isEmpty else { return nil }
        // Every id starting with `id` sorts in [id, id + U+10FFFF): a range on the primary key.
        let starting = try Job.fetchAll(db, sql: """
            SELECT * FROM jobs WHERE id >= ? AND id < ? ORDER BY id LIMIT 2
            """, arguments: [id, id + "\u{10FFFF}"])
        if let found = try unique(starting, id, "starts") { return found }
        let ending = try Job.fetchAll(db, sql: """
            SELECT * FROM jobs WHERE length(id) > ? AND substr(id, -?) = ? ORDER BY id DESC LIMIT 2
            """, arguments: [id.utf8.count, id.utf8.count, id])
        if let found = try unique(ending, id, "ends") { return found }
        return try Job.fetchOne(db, sql: """
            SELECT * FROM jobs WHERE name = ? ORDER BY created_at DESC, id DESC LIMIT 1
            """, arguments: [id])
    }

    private static func unique(_ matches: [Job], _ id: String, _ how: String) throws -> Job? {
        guard matches.count < 2 else {
            throw JobStoreError(.ambiguousID,
                "more than one job id \(how) with \(id) (\(matches[0].id), \(matches[1].id), ...): give more of the id")
        }
        return matches.first
    }

    /// The newest `limit` jobs (newest first), optionally only those in `states`, each with its trial count,
    /// best trial metric and, when PENDING, how many jobs are ahead of it. One query, whatever the number of
    /// jobs.
    public func jobs(limit: Int = 50, states: Set<JobState>? = nil, name: String? = nil) throws -> [JobSummary] {
        try read { db in try Self.summaries(limit: limit, states: states, name: name, db) }
    }

    /// The counts and the newest `limit` jobs (optionally only those in `states`, or of one name) from one
    /// snapshot, for `spoolctl status`.
    public func status(limit: Int = 50, states: Set<JobState>? = nil, name: String? = nil) throws -> QueueStatus {
        try read { db in
            QueueStatus(counts: try Self.counts(db), jobs: try Self.summaries(limit: limit, states: states, name: name, db))
        }
    }

    /// How many jobs are in each state; every state is present (0 when empty).
    public func counts() throws -> [JobState: Int] {
        try read { db in try Self.counts(db) }
    }

    /// A job's trials, by number.
    public func trials(jobID: String) throws -> [Trial] {
        try read { db in
            try Trial.filter(Trial.Columns.jobID == jobID).order(Trial.Columns.number).fetchAll(db)
        }
    }

    public func trial(id: Int64) throws -> Trial? {
        try read { db in try Trial.fetchOne(db, key: id) }
    }

    /// A trial's epochs, in order.
    public func epochs(trialID: Int64) throws -> [EpochMetric] {
        try read { db in
            try EpochMetric.filter(EpochMetric.Columns.trialID == trialID).order(EpochMetric.Columns.epoch).fetchAll(db)
        }
    }

    /// A job's log lines after the event id `after` (all when nil), oldest first: tail with the last id seen.
    public func events(jobID: String, after: Int64? = nil, limit: Int = 1000) throws -> [JobEvent] {
        try read { db in
            try JobEvent.fetchAll(db, sql: """
                SELECT * FROM events WHERE job_id = ? AND id > ? ORDER BY id LIMIT ?
                """, arguments: [jobID, after ?? 0, limit])
        }
    }

    /// Adds a line to a job's log.
    @discardableResult
    public func appendEvent(jobID: String, level: JobEvent.Level = .info, message: String) throws -> JobEvent {
        try writeImmediate { db in
            guard try Job.exists(db, key: jobID) else {
                throw JobStoreError(.notFound, "there is no job \(jobID)", jobID: jobID)
            }
            return try Self.log(db, jobID, now(), level, message)
        }
    }

    static func counts(_ db: Database) throws -> [JobState: Int] {
        var counts = Dictionary(uniqueKeysWithValues: JobState.allCases.map { ($0, 0) })
        for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM jobs GROUP BY state") {
            if let state = JobState(rawValue: row["state"]) { counts[state] = row["n"] }
        }
        return counts
    }

    static func summaries(limit: Int, states: Set<JobState>?, name: String? = nil, _ db: Database) throws -> [JobSummary] {
        // States come from the enum: safe to spell into the SQL.
        let filter = states.map { set in
            "WHERE state IN (" + JobState.allCases.filter(set.contains).map { "'\($0.rawValue)'" }
                .joined(separator: ", ") + ")"
        } ?? ""
        // One pass over jobs_state_order (a covering index) numbers the PENDING jobs in claim order; a
        // top-N sort of narrow rows picks the page; only then are the page's rows read by primary key and
        // their trials counted through trials' (job_id, number) index. Joining a numbered list to jobs
        // instead would scan the list once per job (SQLite builds no index on it): seconds at 10,000 jobs.
        let arguments: [(any DatabaseValueConvertible)?] = (name.map { [$0] } ?? []) + [max(0, limit)]
        let rows = try Row.fetchCursor(db, sql: """
            WITH numbered AS (
                SELECT id, created_at,
                    CASE WHEN state = 'PENDING' THEN
                        ROW_NUMBER() OVER (PARTITION BY state ORDER BY priority DESC, created_at, id) - 1
                    END AS jobs_ahead
                FROM jobs
                \(filter)
            ),
            page AS (
                SELECT id, jobs_ahead FROM numbered
                \(name == nil ? "" : "WHERE id IN (SELECT id FROM jobs WHERE name = ?)")
                ORDER BY created_at DESC, id DESC LIMIT ?
            )
            SELECT jobs.*,
                (SELECT COUNT(*) FROM trials WHERE trials.job_id = jobs.id) AS trial_count,
                (SELECT MAX(best_metric_value) FROM trials WHERE trials.job_id = jobs.id) AS best_trial_metric,
                page.jobs_ahead
            FROM page JOIN jobs ON jobs.id = page.id
            ORDER BY jobs.created_at DESC, jobs.id DESC
            """, arguments: StatementArguments(arguments))
        // A cursor decodes each row straight from the statement, without copying it first.
        return try Array(rows.map { row in
            JobSummary(job: try Job(row: row), trialCount: row["trial_count"], bestTrialMetric: row["best_trial_metric"],
                       jobsAhead: row["jobs_ahead"])
        })
    }
}
