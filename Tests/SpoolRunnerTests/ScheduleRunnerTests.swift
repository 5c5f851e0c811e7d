import Foundation
import Logging
import SpoolCore
import SpoolStore
import Testing
@testable import SpoolRunner

/// Schedules on an injected clock: nothing sleeps. The intake here queues a firing's drop by its key (what the
/// real intake does after unpacking and validating), so the queue's one-job-per-key rule is what is tested.
@Suite struct ScheduleRunnerTests {
    final class Clock: @unchecked Sendable {
        private let lock = NSLock()
        private var current: Date
        init(_ start: String) { current = ISO8601DateFormatter().date(from: start)! }
        var now: Date { lock.withLock { current } }
        func set(_ text: String) { lock.withLock { current = ISO8601DateFormatter().date(from: text)! } }
    }

    struct Fixture {
        let root: URL
        let layout: SpoolLayout
        let store: JobStore
        let clock: Clock
        let source: URL

        init(start: String = "2026-11-29T12:00:00Z") throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("schedules-\(UUID().uuidString)")
            layout = SpoolLayout(root: root)
            try layout.create()
            let clock = Clock(start)
            self.clock = clock
            store = try JobStore(path: layout.database.path, now: { clock.now })
            source = root.appendingPathComponent("source")
            try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
            try "task: image_classification\n".write(to: source.appendingPathComponent("settings.yaml"), atomically: true, encoding: .utf8)
        }

        func write(_ name: String, policy: String = "Forbid", deadline: Int? = nil, cron: String = "0 2 * * *") throws {
            var text = "schedule: \"\(cron)\"\nsource: {folder: \(source.path)}\nconcurrency_policy: \(policy)\n"
            if let deadline { text += "starting_deadline_seconds: \(deadline)\n" }
            try text.write(to: layout.schedule(name), atomically: true, encoding: .utf8)
        }

        /// Queues a drop as the intake would, keyed by its origin.
        func runner() -> ScheduleRunner {
            let layout = self.layout, store = self.store, clock = self.clock
            return ScheduleRunner(layout: layout, store: store, logger: Logger(label: "test"), now: { clock.now }, intake: { drop in
                let folder = layout.incoming.appendingPathComponent(drop)
                defer { try? FileManager.default.removeItem(at: folder) }
                guard let origin = JobOrigin.read(in: folder) else { return .rejected(reason: "no origin") }
                let result = try! store.enqueue(job: NewJob(name: origin.name, task: .imageClassification, bundlePath: drop,
                                                            settingsJSON: "{}", budgetSeconds: 60, scheduleKey: origin.scheduleKey))
                switch result {
                case let .queued(job): return .queued(jobID: job.id)
                case let .duplicate(existing): return .duplicate(of: existing.id)
                }
            })
        }

        func jobs(_ name: String) throws -> [Job] {
            try store.jobs(limit: 100).map(\.job).filter { $0.name == name }.sorted { $0.id < $1.id }
        }
    }

    @Test func firesAtItsSlotOnceWithTheSlotsKey() throws {
        let f = try Fixture()
        defer { try? FileManager.default.removeItem(at: f.root) }
        try f.write("nightly")
        let runner = f.runner()
        #expect(runner.tick().isEmpty)  // first seen at 12:00; the 02:00 slot of today was before it
        f.clock.set("2026-11-30T02:00:05Z")
        let lines = runner.tick()
        #expect(lines.count == 1 && lines[0].contains("queued job"), "\(lines)")
        #expect(runner.tick().isEmpty)  // the same slot does not fire again
        let jobs = try f.jobs("nightly")
        #expect(jobs.map(\.scheduleKey) == ["nightly@2026-11-30T02:00:00Z"])
        let state = try f.store.scheduleState(name: "nightly")
        #expect(state.lastJobID == jobs[0].id && state.lastSlot == ISO8601DateFormatter().date(from: "2026-11-30T02:00:00Z"))
        // The bundle carries its origin: the schedule's name, key and line of models.
        #expect(FileManager.default.fileExists(atPath: f.source.appendingPathComponent("settings.yaml").path))  // the source is untouched
    }

    /// Two firings of one slot (a daemon restarted before it recorded the firing): one job.
    @Test func aDoubleFiringTrainsOnce() throws {
        let f = try Fixture()
        defer { try? FileManager.default.removeItem(at: f.root) }
        try f.write("nightly", policy: "Allow")
        let runner = f.runner()
        _ = runner.tick()
        f.clock.set("2026-11-30T02:00:05Z")
        _ = runner.tick()
        // Forget that it fired, as a crash between queueing and recording would.
        try f.store.removeSchedule(name: "nightly")
        try f.store.recordSchedule(name: "nightly", slot: ISO8601DateFormatter().date(from: "2026-11-29T02:00:00Z")!, jobID: nil, result: "reset")
        let again = runner.tick()
        #expect(again.count == 1 && again[0].contains("not trained twice"), "\(again)")
        #expect(try f.jobs("nightly").count == 1)
    }

    @Test func forbidSkipsWhileTheLastFiringRuns() throws {
        let f = try Fixture()
        defer { try? FileManager.default.removeItem(at: f.root) }
        try f.write("nightly", policy: "Forbid")
        let runner = f.runner()
        _ = runner.tick()
        f.clock.set("2026-11-30T02:00:00Z")
        _ = runner.tick()
        f.clock.set("2026-12-01T02:00:00Z")  // the first job is still PENDING
        let lines = runner.tick()
        #expect(lines.first?.contains("skipped") == true && lines.first?.contains("Forbid") == true, "\(lines)")
        #expect(try f.jobs("nightly").count == 1)
        #expect(try f.store.scheduleState(name: "nightly").lastResult.hasPrefix("skipped"))
    }

    @Test func allowRunsBoth() throws {
        let f = try Fixture()
        defer { try? FileManager.default.removeItem(at: f.root) }
        try f.write("nightly", policy: "Allow")
        let runner = f.runner()
        _ = runner.tick()
        f.clock.set("2026-11-30T02:00:00Z")
        _ = runner.tick()
        f.clock.set("2026-12-01T02:00:00Z")
        _ = runner.tick()
        #expect(try f.jobs("nightly").map(\.state) == [.pending, .pending])
    }

    @Test func replaceCancelsTheEarlierFiring() throws {
        let f = try Fixture()
        defer { try? FileManager.default.removeItem(at: f.root) }
        try f.write("nightly", policy: "Replace")
        let runner = f.runner()
        _ = runner.tick()
        f.clock.set("2026-11-30T02:00:00Z")
        _ = runner.tick()
        f.clock.set("2026-12-01T02:00:00Z")
        _ = runner.tick()
        let jobs = try f.jobs("nightly")
        #expect(jobs.count == 2)
        #expect(jobs[0].state == .cancelled || jobs[0].cancelRequested)
        #expect(jobs[1].state == .pending)
    }

    @Test func afterDowntimeMissedSlotsRunOnceWithinTheDeadline() throws {
        let f = try Fixture()
        defer { try? FileManager.default.removeItem(at: f.root) }
        try f.write("nightly", policy: "Allow", deadline: 6 * 3600)
        let runner = f.runner()
        _ = runner.tick()
        f.clock.set("2026-11-30T02:00:00Z")
        _ = runner.tick()
        // Down from the 30th to the 3rd at 05:00: three slots missed, one firing, for the latest.
        f.clock.set("2026-12-03T05:00:00Z")
        let lines = runner.tick()
        #expect(lines.count == 1 && lines[0].contains("queued"), "\(lines)")
        #expect(try f.jobs("nightly").map(\.scheduleKey) == ["nightly@2026-11-30T02:00:00Z", "nightly@2026-12-03T02:00:00Z"])
        #expect(runner.tick().isEmpty)
    }

    @Test func afterDowntimeBeyondTheDeadlineTheSlotIsMissed() throws {
        let f = try Fixture()
        defer { try? FileManager.default.removeItem(at: f.root) }
        try f.write("nightly", policy: "Allow", deadline: 3600)
        let runner = f.runner()
        _ = runner.tick()
        f.clock.set("2026-12-03T05:00:00Z")
        let lines = runner.tick()
        #expect(lines.first?.contains("missed the 2026-12-03T02:00:00Z slot") == true, "\(lines)")
        #expect(try f.jobs("nightly").isEmpty)
        f.clock.set("2026-12-04T02:10:00Z")  // the next slot, within the deadline
        #expect(runner.tick().first?.contains("queued") == true)
    }

    @Test func aBrokenScheduleFileIsReportedNotRun() throws {
        let f = try Fixture()
        defer { try? FileManager.default.removeItem(at: f.root) }
        try "schedule: \"61 * * * *\"\nsource: {folder: /x}\n".write(to: f.layout.schedule("broken"), atomically: true, encoding: .utf8)
        let (schedules, problems) = f.runner().definitions()
        #expect(schedules.isEmpty)
        #expect(problems.first?.name == "broken" && problems.first?.message.contains("schedules/broken.yaml:1") == true)
    }
}
