import Foundation
import GRDB

extension JobStore {
    /// Ends a RUNNING job that `owner` holds, in a final `state`, with the sentence that says why.
    ///
    /// At most once: a job that has finished never changes again, and only the lease holder finishes it
    /// (a daemon whose job was rescued cannot overwrite what happened since). Trials the job left RUNNING
    /// are ended with it.
    /// - Parameters:
    ///   - best: the job's best primary metric, if it has one.
    ///   - outbox: where its outputs were written.
    /// - Throws: `alreadyFinished`, `leaseLost`, `notFound`; `invalidArgument` for PENDING or RUNNING.
    @discardableResult
    public func finish(
        jobID: String, owner: String, state: JobState, reason: String, best: BestMetric? = nil,
        outbox: String? = nil
    ) throws -> Job {
        guard state.isFinal else {
            throw JobStoreError(.invalidArgument, "a job finishes in a final state, not \(state)", jobID: jobID)
        }
        return try writeImmediate { db in
            let at = now()
            guard let job = try Job.fetchOne(db, sql: """
                UPDATE jobs SET state = ?, reason = ?, finished_at = ?, lease_owner = NULL, lease_expires_at = NULL,
                    best_metric_name = COALESCE(?, best_metric_name), best_metric_value = COALESCE(?, best_metric_value),
                    outbox_path = COALESCE(?, outbox_path)
                WHERE id = ? AND state = 'RUNNING' AND lease_owner = ?
                RETURNING *
                """, arguments: [state, reason, at, best?.name, best?.value, outbox, jobID, owner])
            else {
                throw try Self.refusal(jobID: jobID, owner: owner, db)
            }
            // A trial still RUNNING under a finished job was stopped with it.
            try Self.closeRunningTrials(
                of: jobID, state: state == .completed ? .cancelled : state,
                reason: "stopped: the job ended (\(state)) while it ran", at: at, db)
            let level: JobEvent.Level = switch state {
            case .completed: .info
            case .cancelled: .warning
            default: .error
            }
            try Self.log(db, jobID, at, level, "\(state): \(reason)")
            return job
        }
    }

    /// Cancels a job: a PENDING one becomes CANCELLED at once; a RUNNING one gets `cancelRequested`, which
    /// the daemon sees at its next heartbeat, stops the job and finishes it as CANCELLED.
    @discardableResult
    public func requestCancel(jobID: String) throws -> CancelOutcome {
        try writeImmediate { db in
            let at = now()
            guard let job = try Job.fetchOne(db, key: jobID) else {
                throw JobStoreError(.notFound, "there is no job \(jobID)", jobID: jobID)
            }
            switch job.state {
            case .pending:
                let reason = "cancelled before it started"
                let cancelled = try Job.fetchOne(db, sql: """
                    UPDATE jobs SET state = 'CANCELLED', reason = ?, finished_at = ? WHERE id = ? RETURNING *
                    """, arguments: [reason, at, jobID])!
                try Self.log(db, jobID, at, .warning, "CANCELLED: \(reason)")
                return .cancelled(cancelled)
            case .running:
                if job.cancelRequested { return .requested(job) }
                let asked = try Job.fetchOne(db, sql: """
                    UPDATE jobs SET cancel_requested = 1 WHERE id = ? RETURNING *
                    """, arguments: [jobID])!
                try Self.log(db, jobID, at, .warning, "cancel requested: the daemon will stop the job")
                return .requested(asked)
            default:
                return .alreadyFinished(job)
            }
        }
    }

    /// Replaces the reason of a live (PENDING or RUNNING) job: the daemon says why a job waits ("waiting for
    /// a free GPU"). A finished job's reason is its outcome and never changes.
    @discardableResult
    public func setReason(jobID: String, reason: String) throws -> Job {
        try writeImmediate { db in
            if let job = try Job.fetchOne(db, sql: """
                UPDATE jobs SET reason = ? WHERE id = ? AND state IN ('PENDING', 'RUNNING') RETURNING *
                """, arguments: [reason, jobID])
            {
                return job
            }
            guard let job = try Job.fetchOne(db, key: jobID) else {
                throw JobStoreError(.notFound, "there is no job \(jobID)", jobID: jobID)
            }
            throw JobStoreError(.alreadyFinished,
                "job \(jobID) has already finished as \(job.state) (\(job.reason))", jobID: jobID)
        }
    }
}
