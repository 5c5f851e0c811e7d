import Foundation
import Testing
@testable import SpoolStore

@Suite("Queueing jobs")
struct JobStoreEnqueueTests {
    @Test("a queued job is PENDING, says so, and has a day-numbered id")
    func queued() throws {
        let spool = try TempSpool()
        let clock = ManualClock()
        let store = try spool.store(clock)
        let job = try store.add(newJob("cats"))
        #expect(job.id == "j-20261129-0001")
        #expect(job.state == .pending)
        #expect(job.reason == "queued")
        #expect(job.attempts == 0 && job.maxAttempts == 3)
        #expect(job.createdAt == clock.now)
        #expect(job.task == .imageClassification)
        #expect(try store.job(id: job.id) == job)
        #expect(try store.add(newJob("dogs")).id == "j-20261129-0002")
        clock.advance(86_400)
        #expect(try store.add(newJob("birds")).id == "j-20261130-0001")
        #expect(try store.events(jobID: job.id).map(\.message) == [
            "queued cats (image_classification, priority 0, up to 3 attempts)"
        ])
    }

    @Test("the same bundle dropped twice is reported, not queued twice")
    func duplicateBundle() throws {
        let spool = try TempSpool()
        let store = try spool.store(ManualClock())
        let sha = String(repeating: "ab", count: 32)
        let first = try store.enqueue(job: newJob("first", sha: sha))
        let second = try store.enqueue(job: newJob("again", sha: sha.uppercased()))
        #expect(!first.isDuplicate)
        #expect(second == .duplicate(existing: first.job))
        #expect(try store.counts()[.pending] == 1)
        // Jobs without a bundle hash are never duplicates of each other.
        try store.add(newJob("no-hash-1"))
        try store.add(newJob("no-hash-2"))
        #expect(try store.counts()[.pending] == 3)
    }

    @Test("a schedule slot queues once")
    func scheduleKey() throws {
        let spool = try TempSpool()
        let store = try spool.store(ManualClock())
        let first = try store.enqueue(job: newJob("nightly", scheduleKey: "nightly@2026-11-29T02:00Z"))
        let again = try store.enqueue(job: newJob("nightly", scheduleKey: "nightly@2026-11-29T02:00Z"))
        #expect(again == .duplicate(existing: first.job))
    }

    @Test("a batch is one transaction and finds duplicates within itself")
    func batch() throws {
        let spool = try TempSpool()
        let store = try spool.store(ManualClock())
        let results = try store.enqueue([newJob("a", sha: "11"), newJob("b", sha: "22"), newJob("c", sha: "11")])
        #expect(results.map(\.isDuplicate) == [false, false, true])
        #expect(results[2].job.id == results[0].job.id)
        #expect(results.map(\.job.id) == ["j-20261129-0001", "j-20261129-0002", "j-20261129-0001"])
        // One bad job refuses the whole batch.
        #expect(throws: JobStoreError.self) {
            try store.enqueue([newJob("d"), newJob("e", maxAttempts: 0)])
        }
        #expect(try store.counts().values.reduce(0, +) == 2)
    }

    @Test("ids are never reused, even after a job is deleted")
    func idsNotReused() throws {
        let spool = try TempSpool()
        let store = try spool.store(ManualClock())
        let job = try store.add(newJob("a"))
        try store.pool.write { try $0.execute(sql: "DELETE FROM jobs WHERE id = ?", arguments: [job.id]) }
        #expect(try store.add(newJob("b")).id == "j-20261129-0002")
    }

    @Test("a job is found by a unique prefix of its id")
    func prefix() throws {
        let spool = try TempSpool()
        let clock = ManualClock()
        let store = try spool.store(clock)
        let a = try store.add(newJob("a"))
        clock.advance(86_400)
        let b = try store.add(newJob("b"))
        #expect(try store.job(id: "j-20261129") == a)
        #expect(try store.job(id: "j-20261130-0") == b)
        #expect(try store.job(id: "j-2026113") == b)
        #expect(try store.job(id: "j-2027") == nil)
        #expect(try store.job(id: "") == nil)
        let error = #expect(throws: JobStoreError.self) { try store.job(id: "j-2026") }
        #expect(error?.code == .ambiguousID)
    }

    @Test("a job is found by a unique suffix of its id (squeue's short ids), else by name, the newest of it")
    func suffixAndName() throws {
        let spool = try TempSpool()
        let clock = ManualClock()
        let store = try spool.store(clock)
        let a = try store.add(newJob("nightly"))       // j-20261129-0001
        let b = try store.add(newJob("cats"))          // j-20261129-0002
        clock.advance(86_400)
        let c = try store.add(newJob("nightly"))       // j-20261130-0001
        #expect(a.id.hasSuffix("-0001") && b.id.hasSuffix("-0002") && c.id.hasSuffix("-0001"))
        #expect(try store.job(id: "0002") == b)
        #expect(try store.job(id: "2") == b)
        #expect(try store.job(id: "1129-0001") == a)
        #expect(try store.job(id: "30-0001") == c)
        let twice = #expect(throws: JobStoreError.self) { try store.job(id: "0001") }
        #expect(twice?.code == .ambiguousID)
        #expect(twice?.message.contains("ends with 0001") == true)
        #expect(try store.job(id: "nightly") == c, "a name means its newest job")
        #expect(try store.job(id: "cats") == b)
        #expect(try store.job(id: "dogs") == nil)
    }
}
