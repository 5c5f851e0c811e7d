import Foundation
import GRDB

extension JobStore {
    /// Every finished job (any final state), newest first: what `spoolctl prune` chooses from.
    public func finishedJobs() throws -> [Job] {
        try read { db in
            try Job.fetchAll(db, sql: """
                SELECT * FROM jobs WHERE state NOT IN ('PENDING', 'RUNNING') ORDER BY created_at DESC, id DESC
                """)
        }
    }

    /// Deletes a finished job's rows: the job, its trials, their epoch metrics and its events, in one
    /// transaction. A PENDING or RUNNING job is refused (`invalidArgument`); an unknown id is `notFound`.
    /// Its number is never given out again (`job_numbers` keeps the last one of each day).
    public func deleteFinishedJob(id: String) throws {
        try writeImmediate { db in
            guard let job = try Job.fetchOne(db, key: id) else {
                throw JobStoreError(.notFound, "there is no job \(id)", jobID: id)
            }
            guard job.state.isFinal else {
                throw JobStoreError(.invalidArgument,
                    "job \(id) is \(job.state): only a finished job can be removed; cancel it first", jobID: id)
            }
            try db.execute(sql: """
                DELETE FROM epoch_metrics WHERE trial_id IN (SELECT id FROM trials WHERE job_id = ?)
                """, arguments: [id])
            try db.execute(sql: "DELETE FROM trials WHERE job_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM events WHERE job_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM jobs WHERE id = ?", arguments: [id])
        }
    }

    /// Forgets the drops kept at `failedPath` (a rejected or duplicate drop that was removed from `failed/`).
    public func deleteDropRecords(failedPath: String) throws {
        try writeImmediate { db in
            try db.execute(sql: "DELETE FROM drops WHERE failed_path = ?", arguments: [failedPath])
        }
    }
}
