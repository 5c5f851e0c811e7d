import Foundation
import GRDB

extension JobStore {
    /// The schedule's state, created (first seen `at`, the schedule runner's clock; the store's when nil) when
    /// it has none.
    public func scheduleState(name: String, at date: Date? = nil) throws -> ScheduleState {
        // Read first: the daemon asks on every turn of its loop, and only the first time writes.
        if let state = try read({ try ScheduleState.fetchOne($0, key: name) }) { return state }
        return try writeImmediate { db in
            if let state = try ScheduleState.fetchOne(db, key: name) { return state }
            let state = ScheduleState(name: name, firstSeenAt: date ?? now(), lastSlot: nil, lastFiredAt: nil, lastJobID: nil,
                                      lastResult: "not fired yet")
            try state.insert(db)
            return state
        }
    }

    /// Every schedule's state, by name.
    public func scheduleStates() throws -> [ScheduleState] {
        try read { try ScheduleState.order(Column("name")).fetchAll($0) }
    }

    /// Records what the schedule did for `slot`: fired (with its job), skipped or missed, `at` the schedule
    /// runner's time (the store's clock when nil).
    public func recordSchedule(name: String, slot: Date, jobID: String?, result: String, at date: Date? = nil) throws {
        try writeImmediate { db in
            let at = date ?? now()
            try db.execute(sql: """
                INSERT INTO schedules (name, first_seen_at, last_slot, last_fired_at, last_job_id, last_result)
                VALUES (:name, :at, :slot, CASE WHEN :job IS NULL THEN NULL ELSE :at END, :job, :result)
                ON CONFLICT (name) DO UPDATE SET
                    last_slot = :slot,
                    last_fired_at = CASE WHEN :job IS NULL THEN last_fired_at ELSE :at END,
                    last_job_id = COALESCE(:job, last_job_id),
                    last_result = :result
                """, arguments: ["name": name, "at": at, "slot": slot, "job": jobID, "result": result])
        }
    }

    /// Forgets a schedule's state (its file was removed).
    public func removeSchedule(name: String) throws {
        _ = try writeImmediate { try ScheduleState.deleteOne($0, key: name) }
    }

    /// The jobs a schedule queued that have not finished (PENDING or RUNNING), oldest first.
    public func unfinishedJobs(scheduleName: String) throws -> [Job] {
        try read { db in
            try Job.fetchAll(db, sql: """
                SELECT * FROM jobs WHERE schedule_key LIKE ? ESCAPE '\\' AND state IN ('PENDING', 'RUNNING')
                ORDER BY created_at, id
                """, arguments: [Self.likePrefix(scheduleName + "@")])
        }
    }

    /// The newest job of a schedule (or named `name`), any state.
    public func latestJob(scheduleName: String) throws -> Job? {
        try read { db in
            try Job.fetchOne(db, sql: """
                SELECT * FROM jobs WHERE schedule_key LIKE ? ESCAPE '\\' ORDER BY created_at DESC, id DESC LIMIT 1
                """, arguments: [Self.likePrefix(scheduleName + "@")])
        }
    }

    static func likePrefix(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_") + "%"
    }
}

extension JobStore {
    /// The newest job named `name` (a schedule's `source: {bundle: NAME}`).
    public func newestJob(named name: String) throws -> Job? {
        try read { db in
            try Job.fetchOne(db, sql: "SELECT * FROM jobs WHERE name = ? AND schedule_key IS NULL ORDER BY created_at DESC, id DESC LIMIT 1",
                             arguments: [name])
        }
    }
}
