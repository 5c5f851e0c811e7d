import Foundation
import Testing
@testable import SpoolStore

@Suite("Claims, leases and rescue")
struct JobStoreLeaseTests {
    @Test("claims go by priority, then first queued first")
    func claimOrder() throws {
        let spool = try TempSpool()
        let clock = ManualClock()
        let store = try spool.store(clock)
        let low1 = try store.add(newJob("low-1"))
        clock.advance(1)
        let high1 = try store.add(newJob("high-1", priority: 10))
        clock.advance(1)
        let low2 = try store.add(newJob("low-2"))
        clock.advance(1)
        let high2 = try store.add(newJob("high-2", priority: 10))
        let urgent = try store.add(newJob("urgent", priority: 99))
        // Same created_at as high-2: the id breaks the tie.
        let sameTime = try store.add(newJob("same-time", priority: 10))

        var order: [String] = []
        while let job = try store.claimNext(owner: "d1", leaseSeconds: 60) {
            order.append(job.id)
        }
        #expect(order == [urgent, high1, high2, sameTime, low1, low2].map(\.id))
    }

    @Test("a claim takes a lease, counts the attempt and logs it")
    func claim() throws {
        let spool = try TempSpool()
        let clock = ManualClock()
        let store = try spool.store(clock)
        let queued = try store.add(newJob("a"))
        clock.advance(30)
        let job = try #require(try store.claimNext(owner: "daemon-1", leaseSeconds: 60))
        #expect(job.id == queued.id)
        #expect(job.state == .running)
        #expect(job.leaseOwner == "daemon-1")
        #expect(job.leaseExpiresAt == clock.now + 60)
        #expect(job.startedAt == clock.now)
        #expect(job.attempts == 1)
        #expect(job.reason == "running on daemon-1 (attempt 1 of 3)")
        #expect(try store.claimNext(owner: "daemon-1", leaseSeconds: 60) == nil)
        #expect(try store.events(jobID: job.id).last?.message == "started by daemon-1 (attempt 1 of 3)")
        #expect(throws: JobStoreError.self) { try store.claimNext(owner: "", leaseSeconds: 60) }
        #expect(throws: JobStoreError.self) { try store.claimNext(owner: "d", leaseSeconds: 0) }
    }

    @Test("two stores on one file, many threads: no job is claimed twice")
    func concurrentClaimers() throws {
        let spool = try TempSpool()
        let clock = ManualClock()
        let a = try spool.store(clock)
        let b = try spool.store(clock)
        let total = 300
        _ = try a.enqueue((0..<total).map { newJob("job-\($0)", priority: $0 % 3) })
        let claimed = Locked<[String]>([])
        let failures = Locked<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            let store = worker % 2 == 0 ? a : b
            do {
                while let job = try store.claimNext(owner: "worker-\(worker)", leaseSeconds: 60) {
                    claimed.withLock { $0.append(job.id) }
                }
            } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        #expect(failures.current == [])
        #expect(claimed.current.count == total)
        #expect(Set(claimed.current).count == total)
        #expect(try a.counts()[.running] == total)
        // Each job was claimed exactly once.
        #expect(try a.jobs(limit: total).allSatisfy { $0.job.attempts == 1 })
    }

    @Test("a heartbeat extends the lease; a lost lease refuses it")
    func heartbeat() throws {
        let spool = try TempSpool()
        let clock = ManualClock()
        let store = try spool.store(clock)
        let queued = try store.add(newJob("a"))
        _ = try store.claimNext(owner: "d1", leaseSeconds: 60)
        clock.advance(50)
        let beat = try store.heartbeat(jobID: queued.id, owner: "d1", leaseSeconds: 60)
        #expect(beat.leaseExpiresAt == clock.now + 60)
        clock.advance(50)  // 100 s after the claim: the first lease would have lapsed, the extended one holds
        #expect(try store.rescueExpired() == [])

        let stranger = #expect(throws: JobStoreError.self) {
            try store.heartbeat(jobID: queued.id, owner: "d2", leaseSeconds: 60)
        }
        #expect(stranger?.code == .leaseLost)
        #expect(stranger?.message == "d2 no longer holds job \(queued.id): it is leased to d1")

        clock.advance(61)
        #expect(try store.rescueExpired().map(\.state) == [.pending])
        let lost = #expect(throws: JobStoreError.self) {
            try store.heartbeat(jobID: queued.id, owner: "d1", leaseSeconds: 60)
        }
        #expect(lost?.code == .leaseLost)
        let missing = #expect(throws: JobStoreError.self) {
            try store.heartbeat(jobID: "j-nope", owner: "d1", leaseSeconds: 60)
        }
        #expect(missing?.code == .notFound)
    }

    @Test("a lapsed lease that nobody rescued yet is still the owner's")
    func lapsedButNotRescued() throws {
        let spool = try TempSpool()
        let clock = ManualClock()
        let store = try spool.store(clock)
        let queued = try store.add(newJob("a"))
        _ = try store.claimNext(owner: "d1", leaseSeconds: 60)
        clock.advance(120)
        #expect(try store.heartbeat(jobID: queued.id, owner: "d1", leaseSeconds: 60).state == .running)
    }

    @Test("expired leases are requeued until the attempts run out, then the job fails")
    func rescueWithCap() throws {
        let spool = try TempSpool()
        let clock = ManualClock()
        let store = try spool.store(clock)
        let queued = try store.add(newJob("flaky"))
        let started = clock.now

        for attempt in 1...3 {
            let job = try #require(try store.claimNext(owner: "d1", leaseSeconds: 60))
            #expect(job.attempts == attempt)
            #expect(job.startedAt == started)  // the first start is kept
            clock.advance(59)
            #expect(try store.rescueExpired() == [])  // not yet
            clock.advance(1)
            let rescued = try store.rescueExpired()
            #expect(rescued.count == 1)
            if attempt < 3 {
                #expect(rescued[0].state == .pending)
                #expect(rescued[0].reason == "requeued after its lease expired (attempt \(attempt + 1) of 3)")
                #expect(rescued[0].leaseOwner == nil && rescued[0].leaseExpiresAt == nil)
                #expect(rescued[0].finishedAt == nil)
            } else {
                #expect(rescued[0].state == .failed)
                #expect(rescued[0].reason == "gave up after 3 attempts: its lease expired while it ran")
                #expect(rescued[0].finishedAt == clock.now)
            }
        }
        #expect(try store.claimNext(owner: "d1", leaseSeconds: 60) == nil)
        #expect(try store.job(id: queued.id)?.state == .failed)
    }

    @Test("an explicit time rescues what had lapsed by then")
    func rescueAtTime() throws {
        let spool = try TempSpool()
        let clock = ManualClock()
        let store = try spool.store(clock)
        try store.add(newJob("a"))
        _ = try store.claimNext(owner: "d1", leaseSeconds: 60)
        #expect(try store.rescueExpired(now: clock.now + 30) == [])
        #expect(try store.rescueExpired(now: clock.now + 60).count == 1)
    }

    @Test("at daemon start every RUNNING job of a dead daemon is rescued, whatever its lease")
    func orphans() throws {
        let spool = try TempSpool()
        let clock = ManualClock()
        var store = try spool.store(clock)
        let once = try store.add(newJob("once"))
        let last = try store.add(newJob("last-try", maxAttempts: 1))
        let waiting = try store.add(newJob("waiting"))
        _ = try store.claimNext(owner: "daemon-old", leaseSeconds: 3600)
        _ = try store.claimNext(owner: "daemon-old", leaseSeconds: 3600)
        let trial = try store.startTrial(jobID: once.id, owner: "daemon-old", hyperparametersJSON: "{}")

        // kill -9 of the daemon: nothing is finished; a new daemon opens the file.
        try store.close()
        clock.advance(10)
        store = try spool.store(clock)
        let rescued = try store.rescueOrphans(owner: "daemon-new")
        // The daemon's death is not the jobs' doing: both requeued, the attempt given back (even on a last try),
        // counted as an interruption; the trial waits to resume from its checkpoint.
        let requeued = "requeued after the daemon stopped; its trials resume where they stopped (interruption 1, not counted as an attempt)"
        #expect(rescued.map(\.id) == [once.id, last.id])
        #expect(rescued.map(\.state) == [.pending, .pending])
        #expect(rescued.map(\.reason) == [requeued, requeued])
        #expect(rescued.map(\.attempts) == [0, 0] && rescued.map(\.interruptions) == [1, 1])
        #expect(try store.job(id: waiting.id)?.state == .pending)
        let interrupted = try #require(try store.trial(id: trial.id))
        #expect(interrupted.state == .pending)
        #expect(interrupted.reason == "interrupted: the daemon stopped while it ran; it resumes from its last checkpoint")
        #expect(try store.events(jobID: once.id).last?.message == "PENDING: \(requeued)")
        #expect(try store.trialRuns(jobID: once.id).map(\.outcome) == ["interrupted: the daemon stopped while it ran"])

        // The requeued job runs again, first in line, as its first attempt; its trial resumes as run 2.
        let again = try #require(try store.claimNext(owner: "daemon-new", leaseSeconds: 60))
        #expect(again.id == once.id && again.attempts == 1)
        let resumed = try store.resumeTrial(trialID: trial.id, owner: "daemon-new")
        #expect(resumed.state == .running && resumed.number == trial.number)
        try store.recordResume(trialID: trial.id, afterEpoch: 3)
        let runs = try store.trialRuns(jobID: once.id)
        #expect(runs.map(\.run) == [1, 2] && runs.last?.resumedAfter == 3 && runs.last?.outcome == nil)
        #expect(runs.last?.summary == "run 2: resumed after epoch 3, running")
        // The new daemon's own jobs are not orphans.
        #expect(try store.rescueOrphans(owner: "daemon-new") == [])
    }

    @Test("a rescued job whose cancel was asked ends CANCELLED, not requeued")
    func rescueCancelled() throws {
        let spool = try TempSpool()
        let clock = ManualClock()
        let store = try spool.store(clock)
        let queued = try store.add(newJob("a"))
        _ = try store.claimNext(owner: "d1", leaseSeconds: 60)
        _ = try store.requestCancel(jobID: queued.id)
        clock.advance(60)
        let rescued = try store.rescueExpired()
        #expect(rescued.map(\.state) == [.cancelled])
        #expect(rescued[0].reason == "cancelled: its lease expired while it ran, before it could be stopped")
    }
}
