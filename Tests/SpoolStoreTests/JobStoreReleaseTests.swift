import Foundation
import Testing
@testable import SpoolStore

@Suite("Releasing a job on shutdown")
struct JobStoreReleaseTests {
    @Test("a released job goes back to PENDING without spending an attempt; only its holder releases it")
    func release() throws {
        let spool = try TempSpool()
        let store = try spool.store(ManualClock())
        let queued = try store.add(newJob("a"))
        _ = try store.claimNext(owner: "d1", leaseSeconds: 60)
        let trial = try store.startTrial(jobID: queued.id, owner: "d1", hyperparametersJSON: "{}")
        let refused = #expect(throws: JobStoreError.self) {
            try store.release(jobID: queued.id, owner: "d2", reason: "the daemon is shutting down")
        }
        #expect(refused?.code == .leaseLost)
        let released = try store.release(jobID: queued.id, owner: "d1", reason: "the daemon is shutting down")
        #expect(released.state == .pending && released.attempts == 0 && released.leaseOwner == nil)
        #expect(try store.trial(id: trial.id)?.state == .pending, "it resumes when the job runs again")
        #expect(try store.claimNext(owner: "d1", leaseSeconds: 60)?.attempts == 1)
    }
}
