import Foundation
import GRDB
import Testing
@testable import SpoolStore

@Suite("Opening and migrations")
struct JobStoreMigrationTests {
    @Test("a fresh file gets v1, WAL, NORMAL sync, foreign keys and a busy timeout")
    func freshFile() throws {
        let spool = try TempSpool()
        let store = try spool.store(ManualClock())
        #expect(try store.appliedMigrations() == ["v1", "v2", "v3", "v4", "v5", "v6", "v7"])
        let (journal, sync, foreignKeys, timeout, tables) = try store.pool.read { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"),
             try Int.fetchOne(db, sql: "PRAGMA foreign_keys"), try Int.fetchOne(db, sql: "PRAGMA busy_timeout"),
             try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"))
        }
        #expect(journal == "wal")
        #expect(sync == 1)  // NORMAL
        #expect(foreignKeys == 1)
        #expect(timeout! >= 5000)  // GRDB gives pool readers 10 s for WAL's rare reader SQLITE_BUSY
        for table in ["jobs", "trials", "epoch_metrics", "events", "job_numbers"] {
            #expect(tables.contains(table))
        }
        // The writer connection: writes wait up to 5 s for another process's write.
        #expect(try store.pool.write { try Int.fetchOne($0, sql: "PRAGMA synchronous") } == 1)
        #expect(try store.pool.write { try Int.fetchOne($0, sql: "PRAGMA busy_timeout") } == 5000)
    }

    @Test("reopening runs nothing again and keeps the jobs")
    func reopen() throws {
        let spool = try TempSpool()
        let clock = ManualClock()
        let first = try spool.store(clock)
        let job = try first.add(newJob("a"))
        try first.close()
        let second = try spool.store(clock)
        #expect(try second.appliedMigrations() == ["v1", "v2", "v3", "v4", "v5", "v6", "v7"])
        #expect(try second.job(id: job.id) == job)
    }

    @Test("a v1 file gains v2's sweep columns and keeps its trials")
    func upgradeFromV1() throws {
        let spool = try TempSpool()
        do {
            let pool = try DatabasePool(path: spool.databasePath)
            try JobStore.migrator.migrate(pool, upTo: "v1")
            try pool.write { db in
                try db.execute(sql: """
                    INSERT INTO jobs (id, name, task, created_at, bundle_path, settings_json, budget_seconds)
                    VALUES ('j-1', 'old', 'image_classification', '2026-11-01 00:00:00', '/b', '{}', 60);
                    INSERT INTO trials (job_id, number, state, reason) VALUES ('j-1', 0, 'COMPLETED', 'finished');
                    """)
            }
        }
        let store = try spool.store(ManualClock())
        #expect(try store.appliedMigrations() == ["v1", "v2", "v3", "v4", "v5", "v6", "v7"])
        let trial = try #require(try store.trials(jobID: "j-1").first)
        #expect(trial.state == .completed)
        #expect(trial.branch == nil && trial.configurationIndex == nil && trial.retryOf == nil)
    }

    @Test("two processes opening a fresh file at once both succeed")
    func racingOpens() throws {
        for _ in 0..<5 {
            let spool = try TempSpool()
            let failures = Locked<[String]>([])
            let path = spool.databasePath
            DispatchQueue.concurrentPerform(iterations: 4) { _ in
                do {
                    _ = try JobStore(path: path, now: ManualClock().function).counts()
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
            #expect(failures.current == [])
        }
    }

    @Test("the CHECK rejects a state outside the set, and a RUNNING job without a lease")
    func checkConstraints() throws {
        let spool = try TempSpool()
        _ = try spool.store(ManualClock())
        let raw = try DatabaseQueue(path: spool.databasePath)
        let insert = """
            INSERT INTO jobs (id, name, task, state, created_at, bundle_path, budget_seconds, lease_owner,
                lease_expires_at, finished_at)
            VALUES (?, 'x', 'image_classification', ?, '2026-11-29 09:00:00.000', '/b', 60, ?, ?, ?)
            """
        #expect(throws: DatabaseError.self) {
            try raw.write { try $0.execute(sql: insert, arguments: ["j-1", "DONE", nil, nil, nil]) }
        }
        #expect(throws: DatabaseError.self) {
            try raw.write { try $0.execute(sql: insert, arguments: ["j-2", "pending", nil, nil, nil]) }
        }
        #expect(throws: DatabaseError.self) {  // RUNNING needs a lease
            try raw.write { try $0.execute(sql: insert, arguments: ["j-3", "RUNNING", nil, nil, nil]) }
        }
        #expect(throws: DatabaseError.self) {  // a final state needs its finish time
            try raw.write { try $0.execute(sql: insert, arguments: ["j-4", "FAILED", nil, nil, nil]) }
        }
        try raw.write { try $0.execute(sql: insert, arguments: ["j-5", "PENDING", nil, nil, nil]) }
        try raw.write {
            try $0.execute(sql: insert, arguments: ["j-6", "RUNNING", "d", "2026-11-29 09:01:00.000", nil])
        }
        #expect(try raw.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM jobs") } == 2)
        // Foreign keys hold: no trial of a missing job.
        #expect(throws: DatabaseError.self) {
            try raw.write {
                try $0.execute(sql: "INSERT INTO trials (job_id, number) VALUES ('j-missing', 0)")
            }
        }
    }
}
