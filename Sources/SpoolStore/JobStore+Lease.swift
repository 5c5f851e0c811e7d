import Foundation
import GRDB

extension JobStore {
    /// Claims the next PENDING job (highest priority, then first queued) for `owner`, with a lease of
    /// `leaseSeconds`; nil when nothing waits.
    ///
    /// One `UPDATE ... RETURNING` in an immediate transaction: two daemons (or threads) never claim the
    /// same job.
    public func claimNext(owner: String, leaseSeconds: TimeInterval) throws -> Job? {
        try Self.validate(owner: owner, leaseSeconds: leaseSeconds)
        return try writeImmediate { db in
            let at = now()
            let job = try Job.fetchOne(db, sql: """
                UPDATE jobs SET
                    state = 'RUNNING', lease_owner = :owner, lease_expires_at = :expires,
                    started_at = COALESCE(started_at, :now), attempts = attempts + 1,
                    reason = 'running on ' || :owner || ' (attempt ' || (attempts + 1) || ' of ' || max_attempts || ')'
                WHERE id = (SELECT id FROM jobs WHERE state = 'PENDING' ORDER BY priority DESC, created_at, id LIMIT 1)
                RETURNING *
                """, arguments: ["owner": owner, "expires": at.addingTimeInterval(leaseSeconds), "now": at])
            if let job {
                try Self.log(db, job.id, at, .info, "started by \(owner) (attempt \(job.attempts) of \(job.maxAttempts))")
            }
            return job
        }
    }

    /// Extends `owner`'s lease on a RUNNING job to `leaseSeconds` from now, and returns the job (its
    /// `cancelRequested` tells the daemon to stop it).
    ///
    /// A lease that has lapsed but was not rescued yet is still the owner's.
    /// - Throws: `leaseLost` when the job was rescued or is someone else's, `alreadyFinished`, `notFound`.
    @discardableResult
    public func heartbeat(jobID: String, owner: String, leaseSeconds: TimeInterval) throws -> Job {
        try Self.validate(owner: owner, leaseSeconds: leaseSeconds)
        return try writeImmediate { db in
            let at = now()
            if let job = try Job.fetchOne(db, sql: """
                UPDATE jobs SET lease_expires_at = ? WHERE id = ? AND state = 'RUNNING' AND lease_owner = ? RETURNING *
                """, arguments: [at.addingTimeInterval(leaseSeconds), jobID, owner])
            {
                return job
            }
            throw try Self.refusal(jobID: jobID, owner: owner, db)
        }
    }

    /// Takes back every RUNNING job whose lease has lapsed by `now` (the store's clock when nil): requeued
    /// if it has attempts left, FAILED otherwise, CANCELLED if a cancel was asked. Returns the jobs as they
    /// are now.
    @discardableResult
    public func rescueExpired(now date: Date? = nil) throws -> [Job] {
        try writeImmediate { db in
            let at = date ?? now()
            let stale = try Job.fetchAll(db, sql: """
                SELECT * FROM jobs WHERE state = 'RUNNING' AND lease_expires_at <= ? ORDER BY id
                """, arguments: [at])
            return try stale.map { try Self.rescue($0, .leaseExpired, at: at, db) }
        }
    }

    /// At daemon start: takes back every RUNNING job not leased to `owner`, whatever its lease, since the
    /// daemon that ran it is dead. Call it only while holding the spool's daemon lock (one daemon a spool).
    @discardableResult
    public func rescueOrphans(owner: String) throws -> [Job] {
        try writeImmediate { db in
            let at = now()
            let orphans = try Job.fetchAll(db, sql: """
                SELECT * FROM jobs WHERE state = 'RUNNING' AND lease_owner <> ? ORDER BY id
                """, arguments: [owner])
            return try orphans.map { try Self.rescue($0, .daemonStopped, at: at, db) }
        }
    }

    enum RescueCause {
        case daemonStopped, leaseExpired

        var requeued: String {
            switch self {
            case .daemonStopped: "requeued after the daemon stopped"
            case .leaseExpired: "requeued after its lease expired"
            }
        }

        var whileRunning: String {
            switch self {
            case .daemonStopped: "the daemon stopped while it ran"
            case .leaseExpired: "its lease expired while it ran"
            }
        }
    }

    /// Interruptions by the daemon a job may take before it fails: far more than any crash-and-restart cycle,
    /// but a job that takes the daemon down with it every time (its report, say) must not loop for ever.
    public static let maxInterruptions = 50

    private static func rescue(_ job: Job, _ cause: RescueCause, at: Date, _ db: Database) throws -> Job {
        let state: JobState, reason: String, level: JobEvent.Level
        // A daemon that died did not fail the job: the attempt is given back and counted as an interruption. A
        // lease that lapsed under a live daemon (its executor stuck on this job) is charged as an attempt.
        let refunded = cause == .daemonStopped
        let interruptions = job.interruptions + (refunded ? 1 : 0)
        if job.cancelRequested {
            (state, level) = (.cancelled, .warning)
            reason = "cancelled: \(cause.whileRunning), before it could be stopped"
        } else if refunded, interruptions > maxInterruptions {
            (state, level) = (.failed, .error)
            reason = "gave up after \(job.interruptions) interruptions: \(cause.whileRunning) every time; see the daemon's log for what stops it"
        } else if !refunded, job.attempts >= job.maxAttempts {
            (state, level) = (.failed, .error)
            reason = "gave up after \(job.attempts) attempt\(job.attempts == 1 ? "" : "s"): \(cause.whileRunning)"
        } else if refunded {
            (state, level) = (.pending, .warning)
            reason = "\(cause.requeued); its trials resume where they stopped (interruption \(interruptions), not counted as an attempt)"
        } else {
            (state, level) = (.pending, .warning)
            reason = "\(cause.requeued) (attempt \(job.attempts + 1) of \(job.maxAttempts))"
        }
        let rescued = try Job.fetchOne(db, sql: """
            UPDATE jobs SET state = ?, reason = ?, lease_owner = NULL, lease_expires_at = NULL, finished_at = ?,
                attempts = MAX(attempts - ?, 0), interruptions = ?
            WHERE id = ? RETURNING *
            """, arguments: [state, reason, state.isFinal ? at : nil, refunded ? 1 : 0, interruptions, job.id])!
        // A trial in Slurm goes on without the daemon: the next one re-attaches to it, unless the job is over.
        // The others wait to resume from their checkpoints.
        if state.isFinal {
            try closeRunningTrials(of: job.id, state: state, reason: "stopped: \(cause.whileRunning)", at: at, db)
        } else {
            try interruptRunningTrials(of: job.id, reason: cause.whileRunning, at: at, db, keepingSlurm: true)
        }
        try log(db, job.id, at, level, "\(state): \(reason)")
        return rescued
    }

    /// Ends the trials a job left RUNNING or waiting to resume (the job finished under them), and their runs.
    static func closeRunningTrials(of jobID: String, state: JobState, reason: String, at: Date, _ db: Database) throws {
        try endRuns(db, at: at, outcome: "\(state): \(reason)", trials: """
            SELECT id FROM trials WHERE job_id = ? AND state = 'RUNNING'
            """, [jobID])
        try db.execute(sql: """
            UPDATE trials SET state = ?, reason = ?, finished_at = ?, progress_json = NULL
            WHERE job_id = ? AND state IN ('RUNNING', 'PENDING')
            """, arguments: [state, reason, at, jobID])
    }

    /// The trials a job left RUNNING when its daemon died or stopped: PENDING, to resume from their checkpoints
    /// when the job runs again (not failed, not an observation of the sweep). With `keepingSlurm`, those in
    /// Slurm stay RUNNING: they go on without the daemon, and the next one re-attaches to them.
    static func interruptRunningTrials(of jobID: String, reason: String, at: Date, _ db: Database,
                                       keepingSlurm: Bool) throws {
        let slurm = keepingSlurm ? " AND slurm_job_id IS NULL" : ""
        try endRuns(db, at: at, outcome: "interrupted: \(reason)", trials: """
            SELECT id FROM trials WHERE job_id = ? AND state = 'RUNNING'
            """ + slurm, [jobID])
        try db.execute(sql: """
            UPDATE trials SET state = 'PENDING', reason = ?, pid = NULL, progress_json = NULL
            WHERE job_id = ? AND state = 'RUNNING'
            """ + slurm, arguments: ["interrupted: \(reason); it resumes from its last checkpoint", jobID])
    }

    /// Closes the open run of each trial `trials` selects.
    static func endRuns(_ db: Database, at: Date, outcome: String, trials: String, _ arguments: StatementArguments) throws {
        try db.execute(sql: """
            UPDATE trial_runs SET finished_at = ?, outcome = ? WHERE finished_at IS NULL AND trial_id IN (\(trials))
            """, arguments: [at, outcome] + arguments)
    }

    /// Why `owner` may not act on `jobID`: it does not exist, it has finished, or it is not `owner`'s.
    static func refusal(jobID: String, owner: String, _ db: Database) throws -> JobStoreError {
        guard let job = try Job.fetchOne(db, key: jobID) else {
            return JobStoreError(.notFound, "there is no job \(jobID)", jobID: jobID)
        }
        if job.state.isFinal {
            return JobStoreError(.alreadyFinished,
                "job \(jobID) has already finished as \(job.state) (\(job.reason))", jobID: jobID)
        }
        let holder = job.leaseOwner.map { "it is leased to \($0)" } ?? "it is \(job.state) (\(job.reason))"
        return JobStoreError(.leaseLost, "\(owner) no longer holds job \(jobID): \(holder)", jobID: jobID)
    }

    static func validate(owner: String, leaseSeconds: TimeInterval) throws {
        guard !owner.isEmpty else {
            throw JobStoreError(.invalidArgument, "a lease needs an owner (the daemon's name)")
        }
        guard leaseSeconds > 0, leaseSeconds.isFinite else {
            throw JobStoreError(.invalidArgument, "a lease of \(leaseSeconds) s: it must be a positive number of seconds")
        }
    }
}
