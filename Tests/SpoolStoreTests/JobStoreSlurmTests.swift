import Foundation
@testable import SpoolStore
import Testing

/// Trials in Slurm outlive the daemon that submitted them: their Slurm ids are stored, and a rescue or a release
/// leaves them RUNNING for the next daemon to re-attach to, unless the job itself is over.
@Suite struct JobStoreSlurmTests {
    @Test("a requeued job keeps its Slurm trials RUNNING; the others wait to resume")
    func rescueKeepsSlurmTrials() throws {
        let spool = try TempSpool()
        let clock = ManualClock()
        var store = try spool.store(clock)
        let job = try store.add(newJob("sweep"))
        _ = try store.claimNext(owner: "daemon-old", leaseSeconds: 3600)
        let inSlurm = try store.startTrial(jobID: job.id, owner: "daemon-old", hyperparametersJSON: "{}")
        try store.setSlurmJobID(trialID: inSlurm.id, "41")
        let local = try store.startTrial(jobID: job.id, owner: "daemon-old", hyperparametersJSON: "{}")

        try store.close()
        store = try spool.store(clock)
        #expect(try store.rescueOrphans(owner: "daemon-new").map(\.state) == [.pending])
        let kept = try #require(try store.trial(id: inSlurm.id))
        #expect(kept.state == .running && kept.slurmJobID == "41")
        #expect(try store.trial(id: local.id)?.state == .pending)

        // The next daemon's graceful stop releases the job and again keeps the Slurm trial.
        _ = try store.claimNext(owner: "daemon-new", leaseSeconds: 60)
        try store.release(jobID: job.id, owner: "daemon-new", reason: "the daemon was stopped")
        #expect(try store.trial(id: inSlurm.id)?.state == .running)
    }

    @Test("a job that is over closes its Slurm trials too")
    func finalRescueClosesSlurmTrials() throws {
        let spool = try TempSpool()
        let clock = ManualClock()
        var store = try spool.store(clock)
        let job = try store.add(newJob("cancelled-while-down"))
        _ = try store.claimNext(owner: "daemon-old", leaseSeconds: 3600)
        let trial = try store.startTrial(jobID: job.id, owner: "daemon-old", hyperparametersJSON: "{}")
        try store.setSlurmJobID(trialID: trial.id, "42")
        _ = try store.requestCancel(jobID: job.id)
        try store.close()
        store = try spool.store(clock)
        #expect(try store.rescueOrphans(owner: "daemon-new").map(\.state) == [.cancelled])
        #expect(try store.trial(id: trial.id)?.state == .cancelled)
    }
}
