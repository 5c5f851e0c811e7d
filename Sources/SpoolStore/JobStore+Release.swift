import Foundation
import GRDB

extension JobStore {
    /// Gives a RUNNING job back to the queue (PENDING) on a graceful shutdown: the daemon stopped it, the job
    /// did nothing wrong, so the attempt is not counted against it. Only the lease holder may release.
    @discardableResult
    public func release(jobID: String, owner: String, reason: String) throws -> Job {
        try writeImmediate { db in
            let at = now()
            guard let job = try Job.fetchOne(db, sql: """
                UPDATE jobs SET state = 'PENDING', reason = ?, lease_owner = NULL, lease_expires_at = NULL,
                    attempts = MAX(attempts - 1, 0)
                WHERE id = ? AND state = 'RUNNING' AND lease_owner = ?
                RETURNING *
                """, arguments: [reason, jobID, owner])
            else {
                throw try Self.refusal(jobID: jobID, owner: owner, db)
            }
            try Self.interruptRunningTrials(of: jobID, reason: reason, at: at, db, keepingSlurm: true)
            try Self.log(db, jobID, at, .warning, "PENDING: \(reason)")
            return job
        }
    }
}
