import Foundation
import Testing
@testable import SpoolStore

@Suite("Finishing and cancelling")
struct JobStoreFinishTests {
    @Test("the lease owner finishes a job with its outcome")
    func finish() throws {
        let spool = try TempSpool()
        let clock = ManualClock()
        let store = try spool.store(clock)
        let queued = try store.add(newJob("cats"))
        _ = try store.claimNext(owner: "d1", leaseSeconds: 60)
        clock.advance(600)
        let done = try store.finish(
            jobID: queued.id, owner: "d1", state: .completed, reason: "best accuracy 0.930 in trial 2",
            best: BestMetric(name: "accuracy", value: 0.93), outbox: "/spool/outbox/cats")
        #expect(done.state == .completed)
        #expect(done.reason == "best accuracy 0.930 in trial 2")
        #expect(done.finishedAt == clock.now)
        #expect(done.leaseOwner == nil && done.leaseExpiresAt == nil)
        #expect(done.bestMetricName == "accuracy" && done.bestMetricValue == 0.93)
        #expect(done.outboxPath == "/spool/outbox/cats")
        #expect(try store.job(id: queued.id) == done)
        #expect(try store.events(jobID: queued.id).last?.message == "COMPLETED: best accuracy 0.930 in trial 2")
    }

    @Test("a daemon that does not hold the lease cannot finish the job")
    func nonOwner() throws {
        let spool = try TempSpool()
        let store = try spool.store(ManualClock())
        let queued = try store.add(newJob("a"))
        _ = try store.claimNext(owner: "d1", leaseSeconds: 60)
        let error = #expect(throws: JobStoreError.self) {
            try store.finish(jobID: queued.id, owner: "d2", state: .completed, reason: "done")
        }
        #expect(error?.code == .leaseLost)
        #expect(try store.job(id: queued.id)?.state == .running)
        // Nor a PENDING job, which nobody holds.
        let pending = try store.add(newJob("b"))
        let notClaimed = #expect(throws: JobStoreError.self) {
            try store.finish(jobID: pending.id, owner: "d1", state: .completed, reason: "done")
        }
        #expect(notClaimed?.code == .leaseLost)
        #expect(notClaimed?.message == "d1 no longer holds job \(pending.id): it is PENDING (queued)")
    }

    @Test("a job completes once: a second finish, even by its owner, changes nothing")
    func completesOnce() throws {
        let spool = try TempSpool()
        let clock = ManualClock()
        let store = try spool.store(clock)
        let queued = try store.add(newJob("a"))
        _ = try store.claimNext(owner: "d1", leaseSeconds: 60)
        let done = try store.finish(jobID: queued.id, owner: "d1", state: .completed, reason: "done")
        clock.advance(5)
        let again = #expect(throws: JobStoreError.self) {
            try store.finish(jobID: queued.id, owner: "d1", state: .failed, reason: "crashed")
        }
        #expect(again?.code == .alreadyFinished)
        #expect(again?.message == "job \(queued.id) has already finished as COMPLETED (done)")
        #expect(try store.job(id: queued.id) == done)
        #expect(try store.claimNext(owner: "d1", leaseSeconds: 60) == nil)
        // Live states are not outcomes.
        #expect(throws: JobStoreError.self) {
            try store.finish(jobID: queued.id, owner: "d1", state: .pending, reason: "again")
        }
    }

    @Test("a stale daemon cannot finish a job that was rescued and claimed again")
    func staleOwnerAfterRescue() throws {
        let spool = try TempSpool()
        let clock = ManualClock()
        let store = try spool.store(clock)
        let queued = try store.add(newJob("a"))
        _ = try store.claimNext(owner: "d1", leaseSeconds: 60)
        clock.advance(60)
        try store.rescueExpired()
        _ = try store.claimNext(owner: "d2", leaseSeconds: 60)
        let error = #expect(throws: JobStoreError.self) {
            try store.finish(jobID: queued.id, owner: "d1", state: .failed, reason: "late")
        }
        #expect(error?.code == .leaseLost)
        #expect(try store.finish(jobID: queued.id, owner: "d2", state: .completed, reason: "ok").attempts == 2)
    }

    @Test("finishing a job ends the trials it left running")
    func finishClosesTrials() throws {
        let spool = try TempSpool()
        let store = try spool.store(ManualClock())
        let queued = try store.add(newJob("a"))
        _ = try store.claimNext(owner: "d1", leaseSeconds: 60)
        let done = try store.startTrial(jobID: queued.id, owner: "d1", hyperparametersJSON: "{}")
        try store.finishTrial(trialID: done.id, state: .completed, reason: "10 epochs")
        let open = try store.startTrial(jobID: queued.id, owner: "d1", hyperparametersJSON: "{}")
        try store.finish(jobID: queued.id, owner: "d1", state: .timeout, reason: "the 1 h budget ran out")
        #expect(try store.trial(id: done.id)?.state == .completed)
        let closed = try #require(try store.trial(id: open.id))
        #expect(closed.state == .timeout)
        #expect(closed.reason == "stopped: the job ended (TIMEOUT) while it ran")
    }

    @Test("cancelling a PENDING job cancels it at once")
    func cancelPending() throws {
        let spool = try TempSpool()
        let clock = ManualClock()
        let store = try spool.store(clock)
        let queued = try store.add(newJob("a"))
        let outcome = try store.requestCancel(jobID: queued.id)
        guard case .cancelled(let job) = outcome else {
            Issue.record("expected .cancelled, got \(outcome)")
            return
        }
        #expect(job.state == .cancelled)
        #expect(job.reason == "cancelled before it started")
        #expect(job.finishedAt == clock.now)
        #expect(try store.claimNext(owner: "d1", leaseSeconds: 60) == nil)
        #expect(try store.requestCancel(jobID: queued.id) == .alreadyFinished(job))
    }

    @Test("cancelling a RUNNING job asks the daemon, which sees it at its heartbeat and finishes it")
    func cancelRunning() throws {
        let spool = try TempSpool()
        let store = try spool.store(ManualClock())
        let queued = try store.add(newJob("a"))
        _ = try store.claimNext(owner: "d1", leaseSeconds: 60)
        let outcome = try store.requestCancel(jobID: queued.id)
        #expect(outcome.job.state == .running)
        #expect(outcome.job.cancelRequested)
        guard case .requested = outcome else {
            Issue.record("expected .requested, got \(outcome)")
            return
        }
        // Asking twice changes nothing more.
        #expect(try store.requestCancel(jobID: queued.id) == outcome)
        let beat = try store.heartbeat(jobID: queued.id, owner: "d1", leaseSeconds: 60)
        #expect(beat.cancelRequested)
        let cancelled = try store.finish(jobID: queued.id, owner: "d1", state: .cancelled, reason: "cancelled by request")
        #expect(cancelled.state == .cancelled)
        let missing = #expect(throws: JobStoreError.self) { try store.requestCancel(jobID: "j-nope") }
        #expect(missing?.code == .notFound)
    }

    @Test("a live job's reason can change; a finished one's cannot")
    func setReason() throws {
        let spool = try TempSpool()
        let store = try spool.store(ManualClock())
        let queued = try store.add(newJob("a"))
        #expect(try store.setReason(jobID: queued.id, reason: "waiting for a free GPU").reason == "waiting for a free GPU")
        _ = try store.requestCancel(jobID: queued.id)
        let error = #expect(throws: JobStoreError.self) { try store.setReason(jobID: queued.id, reason: "x") }
        #expect(error?.code == .alreadyFinished)
    }
}
