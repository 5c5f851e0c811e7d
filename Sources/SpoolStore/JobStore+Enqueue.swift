import Foundation
import GRDB

extension JobStore {
    /// Queues a job, unless its bundle (same SHA-256) or its schedule slot is already a job's: then nothing
    /// is queued and the existing job comes back as `.duplicate`.
    public func enqueue(job: NewJob) throws -> EnqueueResult {
        try enqueue([job])[0]
    }

    /// Queues several jobs in one transaction (all or none), in order; duplicates within the batch are
    /// found too.
    public func enqueue(_ jobs: [NewJob]) throws -> [EnqueueResult] {
        for job in jobs { try Self.validate(job) }
        return try writeImmediate { db in
            let at = now()
            return try jobs.map { try insert($0, at: at, db) }
        }
    }

    private func insert(_ new: NewJob, at: Date, _ db: Database) throws -> EnqueueResult {
        let sha = new.bundleSHA256?.lowercased()
        if let sha, let existing = try Job.filter(Job.Columns.bundleSHA256 == sha).fetchOne(db) {
            return .duplicate(existing: existing)
        }
        if let key = new.scheduleKey, let existing = try Job.filter(Job.Columns.scheduleKey == key).fetchOne(db) {
            return .duplicate(existing: existing)
        }
        let job = Job(
            id: try JobID.next(at: at, in: db), name: new.name, task: new.task, state: .pending, reason: "queued",
            priority: new.priority, createdAt: at, startedAt: nil, finishedAt: nil, attempts: 0,
            maxAttempts: new.maxAttempts, interruptions: 0, leaseOwner: nil, leaseExpiresAt: nil, bundleSHA256: sha,
            bundlePath: new.bundlePath, settingsJSON: new.settingsJSON, budgetSeconds: new.budgetSeconds,
            outboxPath: nil, bestMetricName: nil, bestMetricValue: nil, cancelRequested: false,
            scheduleKey: new.scheduleKey)
        try job.insert(db)
        try Self.log(db, job.id, at, .info,
                     "queued \(new.name) (\(new.task), priority \(new.priority), up to \(new.maxAttempts) attempts)")
        return .queued(job)
    }

    private static func validate(_ job: NewJob) throws {
        guard !job.name.isEmpty else {
            throw JobStoreError(.invalidArgument, "a job needs a name")
        }
        guard job.maxAttempts >= 1 else {
            throw JobStoreError(.invalidArgument, "\(job.name): max attempts is \(job.maxAttempts): it must be 1 or more")
        }
        guard job.budgetSeconds > 0 else {
            throw JobStoreError(.invalidArgument, "\(job.name): the budget is \(job.budgetSeconds) s: it must be positive")
        }
    }

    /// Writes one line of a job's log inside the caller's transaction.
    @discardableResult
    static func log(_ db: Database, _ jobID: String, _ at: Date, _ level: JobEvent.Level, _ message: String) throws
        -> JobEvent
    {
        try JobEvent.fetchOne(db, sql: """
            INSERT INTO events (job_id, at, level, message) VALUES (?, ?, ?, ?) RETURNING *
            """, arguments: [jobID, at, level, message])!
    }
}
