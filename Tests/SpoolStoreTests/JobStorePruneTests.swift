import Foundation
import GRDB
import Testing
@testable import SpoolStore

@Suite("Removing finished jobs")
struct JobStorePruneTests {
    func count(_ store: JobStore, _ sql: String, _ id: String) throws -> Int {
        try store.read { try Int.fetchOne($0, sql: sql, arguments: [id]) ?? -1 }
    }

    @Test("a finished job's rows go, with its trials, epochs and events; another job's stay")
    func deletesEveryRowOfTheJob() throws {
        let spool = try TempSpool()
        let clock = ManualClock()
        let store = try spool.store(clock)
        var ids: [String] = []
        for name in ["old", "other"] {
            let job = try store.add(newJob(name))
            _ = try store.claimNext(owner: "d1", leaseSeconds: 60)
            let trial = try store.startTrial(jobID: job.id, owner: "d1", hyperparametersJSON: "{}")
            try store.recordEpoch(trialID: trial.id, epoch: 1, trainLoss: 0.5, validationLoss: 0.6, primaryMetric: 0.7)
            try store.finish(jobID: job.id, owner: "d1", state: .failed, reason: "broke")
            ids.append(job.id)
        }
        let oldTrial = try #require(try store.trials(jobID: ids[0]).first)
        #expect(try store.epochs(trialID: oldTrial.id).count == 1)
        try store.deleteFinishedJob(id: ids[0])
        #expect(try store.job(id: ids[0]) == nil)
        #expect(try count(store, "SELECT COUNT(*) FROM trials WHERE job_id = ?", ids[0]) == 0)
        #expect(try count(store, "SELECT COUNT(*) FROM events WHERE job_id = ?", ids[0]) == 0)
        #expect(try store.epochs(trialID: oldTrial.id).isEmpty)
        // The other job is whole.
        #expect(try store.job(id: ids[1])?.state == .failed)
        #expect(try store.trials(jobID: ids[1]).count == 1)
        #expect(try store.epochs(trialID: try store.trials(jobID: ids[1])[0].id).count == 1)
        #expect(try !store.events(jobID: ids[1]).isEmpty)
        #expect(try store.finishedJobs().map(\.id) == [ids[1]])
        // A removed job's number is not given out again.
        let next = try store.add(newJob("next"))
        #expect(next.id > ids[1])
    }

    @Test("a pending or running job is refused; an unknown one is not found")
    func refusesLiveJobs() throws {
        let spool = try TempSpool()
        let store = try spool.store(ManualClock())
        let running = try store.add(newJob("running"))
        _ = try store.claimNext(owner: "d1", leaseSeconds: 60)
        let pending = try store.add(newJob("pending"))
        for id in [running.id, pending.id] {
            let error = #expect(throws: JobStoreError.self) { try store.deleteFinishedJob(id: id) }
            #expect(error?.code == .invalidArgument)
            #expect(error?.message.contains("only a finished job can be removed") == true)
            #expect(try store.job(id: id) != nil)
        }
        let missing = #expect(throws: JobStoreError.self) { try store.deleteFinishedJob(id: "j-20261129-9999") }
        #expect(missing?.code == .notFound)
        #expect(try store.finishedJobs().isEmpty)
    }
}
