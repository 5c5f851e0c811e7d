import Foundation
import GRDB
import Testing
@testable import SpoolStore

@Suite("Reading the queue")
struct JobStoreReadTests {
    @Test("status lists the newest first, with trial counts, best metrics and places in line")
    func status() throws {
        let spool = try TempSpool()
        let clock = ManualClock()
        let store = try spool.store(clock)
        let done = try store.add(newJob("done"))
        clock.advance(1)
        let first = try store.add(newJob("first"))
        clock.advance(1)
        let second = try store.add(newJob("second"))
        clock.advance(1)
        let urgent = try store.add(newJob("urgent", priority: 5))
        clock.advance(1)
        _ = try store.claimNext(owner: "d1", leaseSeconds: 60)  // takes "urgent"
        // "first" is cancelled; "urgent" runs two trials; "done" and "second" wait, "done" first in line.
        _ = try store.requestCancel(jobID: first.id)
        let trial0 = try store.startTrial(jobID: urgent.id, owner: "d1", hyperparametersJSON: "{}")
        try store.recordEpoch(trialID: trial0.id, epoch: 1, trainLoss: 1, primaryMetric: 0.4)
        let trial1 = try store.startTrial(jobID: urgent.id, owner: "d1", hyperparametersJSON: "{}")
        try store.recordEpoch(trialID: trial1.id, epoch: 1, trainLoss: 1, primaryMetric: 0.8)

        let status = try store.status()
        #expect(status.total == 4)
        #expect(status.counts[.pending] == 2 && status.counts[.running] == 1 && status.counts[.cancelled] == 1)
        #expect(status.counts[.outOfMemory] == 0)
        #expect(status.jobs.map(\.job.id) == [urgent.id, second.id, first.id, done.id])
        let running = status.jobs[0]
        #expect(running.trialCount == 2 && running.bestTrialMetric == 0.8 && running.bestMetric == 0.8)
        #expect(running.jobsAhead == nil)
        #expect(status.jobs[3].jobsAhead == 0 && status.jobs[3].displayReason == "queued (next in line)")
        #expect(status.jobs[1].jobsAhead == 1 && status.jobs[1].displayReason == "queued (1 job ahead)")
        #expect(status.jobs[2].jobsAhead == nil && status.jobs[2].displayReason == "cancelled before it started")

        #expect(try store.jobs(limit: 2).map(\.job.id) == [urgent.id, second.id])
        #expect(try store.jobs(states: [.pending]).map(\.job.id) == [second.id, done.id])
        #expect(try store.jobs(states: []).isEmpty)
    }

    @Test("events are tailed from the last id seen")
    func tailEvents() throws {
        let spool = try TempSpool()
        let store = try spool.store(ManualClock())
        let job = try store.add(newJob("a"))
        let seen = try store.events(jobID: job.id)
        #expect(seen.count == 1)
        try store.appendEvent(jobID: job.id, message: "unpacked 120 images")
        try store.appendEvent(jobID: job.id, level: .warning, message: "3 images could not be decoded")
        let next = try store.events(jobID: job.id, after: seen.last?.id)
        #expect(next.map(\.message) == ["unpacked 120 images", "3 images could not be decoded"])
        #expect(next.map(\.level) == [.info, .warning])
        #expect(try store.events(jobID: job.id, after: next.last?.id) == [])
        #expect(throws: JobStoreError.self) { try store.appendEvent(jobID: "j-nope", message: "x") }
    }

    @Test("spoolctl reads while the daemon is down, and cannot write")
    func readerWithDaemonDown() throws {
        let spool = try TempSpool()
        let clock = ManualClock()
        let missing = #expect(throws: JobStoreError.self) { try JobStore.openForReading(path: spool.databasePath) }
        #expect(missing?.code == .noDatabase)
        #expect(!FileManager.default.fileExists(atPath: spool.databasePath))  // a reader never creates the file

        let daemon = try spool.store(clock)
        try daemon.add(newJob("a"))
        try daemon.add(newJob("b"))
        _ = try daemon.claimNext(owner: "d1", leaseSeconds: 60)
        try daemon.close()  // the daemon stops

        let reader = try JobStore.openForReading(path: spool.databasePath)
        #expect(try reader.counts()[.pending] == 1)
        #expect(try reader.counts()[.running] == 1)
        #expect(try reader.status().jobs.count == 2)
        let refused = #expect(throws: JobStoreError.self) { try reader.add(newJob("c")) }
        #expect(refused?.code == .readOnly)
        #expect(throws: JobStoreError.self) { try reader.claimNext(owner: "x", leaseSeconds: 1) }
    }

    @Test("a reader on another pool sees consistent counts while the daemon writes")
    func readersDuringWrites() throws {
        let spool = try TempSpool()
        let clock = ManualClock()
        let daemon = try spool.store(clock)
        let reader = try JobStore.openForReading(path: spool.databasePath)
        let rounds = 150, batch = 5
        let writerDone = Locked(false)
        let writerError = Locked<String?>(nil)
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) {
            defer { writerDone.withLock { $0 = true } }
            do {
                for round in 0..<rounds {
                    // Each transaction adds `batch` jobs; each claim moves one to RUNNING; each finish one on.
                    _ = try daemon.enqueue((0..<batch).map { newJob("r\(round)-\($0)") })
                    let job = try daemon.claimNext(owner: "d1", leaseSeconds: 60)!
                    try daemon.finish(jobID: job.id, owner: "d1", state: round % 2 == 0 ? .completed : .failed,
                                      reason: "done")
                }
            } catch {
                writerError.withLock { $0 = "\(error)" }
            }
        }
        var reads = 0, lastTotal = 0
        var problems: [String] = []
        repeat {
            let status = try reader.status(limit: 100_000)
            reads += 1
            if status.total % batch != 0 { problems.append("total \(status.total) is not a whole number of batches") }
            if status.total < lastTotal { problems.append("total went back from \(lastTotal) to \(status.total)") }
            if status.jobs.count != status.total { problems.append("listed \(status.jobs.count) of \(status.total)") }
            if (status.counts[.running] ?? 0) > 1 { problems.append("two jobs RUNNING at once") }
            for state in JobState.allCases where status.jobs.filter({ $0.job.state == state }).count != status.counts[state] {
                problems.append("the list and the counts disagree on \(state)")
            }
            lastTotal = status.total
        } while !writerDone.current && problems.isEmpty
        group.wait()
        #expect(writerError.current == nil)
        #expect(problems == [])
        let final = try reader.counts()
        #expect(final[.pending] == rounds * (batch - 1))
        #expect(final[.completed]! + final[.failed]! == rounds)
        print("readersDuringWrites: \(reads) consistent reads during \(rounds) write rounds")
    }

    @Test("10,000 jobs: the status list is one query with the right totals")
    func tenThousandJobs() throws {
        let spool = try TempSpool()
        let clock = ManualClock()
        let store = try spool.store(clock)
        let total = 10_000
        for chunk in stride(from: 0, to: total, by: 500) {
            _ = try store.enqueue((chunk..<chunk + 500).map { newJob("job-\($0)", priority: $0 % 7 == 0 ? 1 : 0) })
            clock.advance(120)  // 20 chunks over a day and a half: ids of two days
        }
        // 100 jobs ran: 3 trials each, a best metric each; 10 more are running.
        for index in 0..<110 {
            let job = try #require(try store.claimNext(owner: "d1", leaseSeconds: 3600))
            guard index < 100 else { continue }
            for number in 0..<3 {
                let trial = try store.startTrial(jobID: job.id, owner: "d1", hyperparametersJSON: "{}")
                try store.recordEpoch(trialID: trial.id, epoch: 1, trainLoss: 1, primaryMetric: Double(number) / 10)
                try store.finishTrial(trialID: trial.id, state: .completed, reason: "ok")
            }
            try store.finish(jobID: job.id, owner: "d1", state: .completed, reason: "ok",
                             best: BestMetric(name: "accuracy", value: 0.2))
        }
        try store.close()
        let reader = try JobStore.openForReading(path: spool.databasePath)

        let (full, allSeconds) = try timed { try reader.status(limit: total) }
        let (page, pageSeconds) = try timed { try reader.status(limit: 50) }
        let (pending, pendingSeconds) = try timed { try reader.jobs(limit: 50, states: [.pending, .running]) }
        let (counts, countSeconds) = try timed { try reader.counts() }
        print(String(format: "10k jobs: status(all 10,000) %.1f ms, status(50) %.1f ms, pending+running(50) %.1f ms, counts %.1f ms",
                     allSeconds * 1000, pageSeconds * 1000, pendingSeconds * 1000, countSeconds * 1000))

        #expect(full.total == total && full.jobs.count == total && page.jobs.count == 50)
        #expect(counts[.pending] == total - 110 && counts[.running] == 10 && counts[.completed] == 100)
        #expect(full.jobs.reduce(0) { $0 + $1.trialCount } == 300)
        #expect(full.jobs.filter { $0.job.state == .completed }.allSatisfy { $0.trialCount == 3 && $0.bestMetric == 0.2 })
        #expect(Set(full.jobs.compactMap(\.jobsAhead)) == Set(0..<(total - 110)))
        #expect(pending.count == 50 && pending.allSatisfy { $0.job.state == .pending || $0.job.state == .running })
        #expect(Set(full.jobs.map(\.job.id)).count == total)
    }

    @Test("the status list uses the indexes, not a scan and sort of every job")
    func queryPlans() throws {
        let spool = try TempSpool()
        let store = try spool.store(ManualClock())
        let claimPlan = try store.pool.read { db in
            try Row.fetchAll(db, sql: """
                EXPLAIN QUERY PLAN
                SELECT id FROM jobs WHERE state = 'PENDING' ORDER BY priority DESC, created_at, id LIMIT 1
                """).map { $0["detail"] as String }
        }
        #expect(claimPlan.contains { $0.contains("jobs_state_order") })
        #expect(!claimPlan.contains { $0.contains("TEMP B-TREE") })
    }
}

/// Runs `body` once and returns its result with the seconds it took (printed, never asserted).
private func timed<T>(_ body: () throws -> T) rethrows -> (T, Double) {
    let start = ContinuousClock.now
    let value = try body()
    let elapsed = ContinuousClock.now - start
    return (value, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
}
