import Foundation
import GRDB
import Testing
@testable import SpoolRunner
@testable import SpoolStore

/// Regression tests for defects found by reading the runner.
@Suite struct RunnerDefectTests {
    /// A transient store error (SQLITE_BUSY) while renewing a lease must not stop the job's trials; only the
    /// store's word that the lease is someone else's does.
    @Test func onlyALostLeaseIsLost() {
        #expect(JobExecutor.leaseCheck { } == .held)
        let busy = JobExecutor.leaseCheck { throw DatabaseError(resultCode: .SQLITE_BUSY, message: "database is locked") }
        guard case .retry = busy else {
            Issue.record("SQLITE_BUSY was taken as a lost lease: \(busy)")
            return
        }
        #expect(JobExecutor.leaseCheck { throw JobStoreError(.leaseLost, "rescued by another daemon") } == .lost("rescued by another daemon"))
        #expect(JobExecutor.leaseCheck { throw JobStoreError(.alreadyFinished, "finished") } == .lost("finished"))
    }

    /// Migration v1 is frozen: every state the code knows can be stored (a new state needs a new migration
    /// that widens the CHECK), and the shipped SQL does not move when the enum does.
    @Test func everyJobStateFitsTheSchema() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("states-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try JobStore(path: dir.appendingPathComponent("q.sqlite").path)
        let job = try store.enqueue(job: NewJob(name: "n", task: .imageClassification, bundlePath: "b", settingsJSON: "{}",
                                                 budgetSeconds: 60))
        guard case let .queued(queued) = job else { Issue.record("not queued"); return }
        try store.pool.write { db in
            for (number, state) in JobState.allCases.enumerated() {
                try db.execute(sql: "INSERT INTO trials (job_id, number, state) VALUES (?, ?, ?)",
                               arguments: [queued.id, number, state.rawValue])
            }
            #expect(throws: DatabaseError.self) {
                try db.execute(sql: "INSERT INTO trials (job_id, number, state) VALUES (?, 99, 'NOT_A_STATE')", arguments: [queued.id])
            }
        }
        let source = try String(contentsOfFile: #filePath.replacingOccurrences(of: "Tests/SpoolRunnerTests/RunnerDefectTests.swift",
                                                                                with: "Sources/SpoolStore/JobStore+Migrations.swift"), encoding: .utf8)
        #expect(!source.contains("JobState."), "a shipped migration must not read the live enum")
    }

    /// `submit .` from a folder that holds the spool would copy the spool into its own tmp/ without end.
    @Test func aSourceHoldingTheSpoolIsRefused() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("drop-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let layout = SpoolLayout(root: dir.appendingPathComponent("spool"))
        try layout.create()
        try Data("task: image_classification\n".utf8).write(to: dir.appendingPathComponent("settings.yaml"))
        #expect(throws: RunnerError.self) { try Dropper(layout: layout).drop(dir) }
        #expect(throws: RunnerError.self) { try Dropper(layout: layout).drop(layout.incoming) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: layout.tmp.path).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: layout.incoming.path).isEmpty)
    }
}
