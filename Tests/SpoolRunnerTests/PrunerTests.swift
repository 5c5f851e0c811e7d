import Foundation
import Logging
import SpoolCore
import SpoolStore
import Testing
@testable import SpoolRunner

/// `spoolctl prune` and the daemon's retention, on an injected clock: jobs are queued and finished through the
/// store at chosen times, their folders written by hand.
@Suite struct PrunerTests {
    final class Clock: @unchecked Sendable {
        private let lock = NSLock()
        private var current: Date
        init(_ text: String) { current = ISO8601DateFormatter().date(from: text)! }
        var now: Date { lock.withLock { current } }
        func set(_ text: String) { lock.withLock { current = ISO8601DateFormatter().date(from: text)! } }
    }

    struct Fixture {
        let root: URL
        let layout: SpoolLayout
        let store: JobStore
        let clock = Clock("2026-11-01T00:00:00Z")

        init() throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("prune-\(UUID().uuidString)")
            layout = SpoolLayout(root: root)
            try layout.create()
            let clock = self.clock
            store = try JobStore(path: layout.database.path, now: { clock.now })
        }

        /// A job of `name` finished as `state` at `finished`, with a 1,000-byte model in its trial hard-linked
        /// into its outbox (as the outbox writer does).
        @discardableResult
        func job(_ name: String, _ state: JobState = .completed, finished: String) throws -> String {
            clock.set(finished)
            guard case let .queued(job) = try store.enqueue(job: NewJob(
                name: name, task: .imageClassification, bundlePath: name, settingsJSON: "{}", budgetSeconds: 60)) else {
                throw TestFailure("not queued")
            }
            _ = try store.claimNext(owner: "d", leaseSeconds: 60)
            let trial = try store.startTrial(jobID: job.id, owner: "d", hyperparametersJSON: "{}")
            try store.recordEpoch(trialID: trial.id, epoch: 1, trainLoss: 1)
            try store.finish(jobID: job.id, owner: "d", state: state, reason: "test", outbox: layout.outbox(job.id).path)
            let model = layout.job(job.id).appendingPathComponent("trials/0/model")
            try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
            try Data(repeating: 7, count: 1000).write(to: model.appendingPathComponent("weights.safetensors"))
            try FileManager.default.createDirectory(at: layout.outbox(job.id), withIntermediateDirectories: true)
            try TreeLinker.link(model, to: layout.outbox(job.id).appendingPathComponent("model"))
            try Data("{}".utf8).write(to: layout.outbox(job.id).appendingPathComponent("job.json"))
            return job.id
        }

        func exists(_ id: String) -> Bool {
            FileManager.default.fileExists(atPath: layout.job(id).path) || FileManager.default.fileExists(atPath: layout.outbox(id).path)
        }
    }

    @Test func agesParse() {
        #expect(Pruner.parseAge("30d") == TimeInterval(30 * 86_400))
        #expect(Pruner.parseAge("12h") == TimeInterval(12 * 3600))
        #expect(Pruner.parseAge("90m") == TimeInterval(90 * 60))
        #expect(Pruner.parseAge("2w") == TimeInterval(14 * 86_400))
        for bad in ["30", "d", "-1d", "3x", ""] { #expect(Pruner.parseAge(bad) == nil, "\(bad)") }
    }

    @Test func byAgeAndStateTheDryRunRemovesNothingAndTheRealRunRemovesWhatItListed() throws {
        let f = try Fixture()
        defer { try? FileManager.default.removeItem(at: f.root) }
        let old = try f.job("cats", .failed, finished: "2026-10-01T00:00:00Z")
        let oldDone = try f.job("cats", .completed, finished: "2026-10-02T00:00:00Z")
        let recent = try f.job("cats", .failed, finished: "2026-11-20T00:00:00Z")
        // A job still running is never chosen, however old.
        f.clock.set("2026-09-01T00:00:00Z")
        _ = try f.store.enqueue(job: NewJob(name: "live", task: .imageClassification, bundlePath: "live", settingsJSON: "{}", budgetSeconds: 60))
        let live = try #require(try f.store.claimNext(owner: "d", leaseSeconds: 60))
        // A rejected drop from long ago, and one from yesterday.
        for (name, date) in [("bad.zip", "2026-10-01T00:00:00Z"), ("fresh.zip", "2026-11-29T00:00:00Z")] {
            let drop = f.layout.failed.appendingPathComponent(name)
            try Data(repeating: 1, count: 100).write(to: drop)
            try Data("{}".utf8).write(to: URL(fileURLWithPath: drop.path + ".error.json"))
            let stamp = ISO8601DateFormatter().date(from: date)!
            for path in [drop.path, drop.path + ".error.json"] {
                try FileManager.default.setAttributes([.modificationDate: stamp], ofItemAtPath: path)
            }
        }
        let now = ISO8601DateFormatter().date(from: "2026-12-01T00:00:00Z")!
        let pruner = Pruner(layout: f.layout, store: f.store)
        let plan = try pruner.plan(Pruner.Rules(olderThan: 30 * 86_400, states: [.failed]), now: now)
        #expect(plan.jobs.map(\.id) == [old])
        // The model is hard-linked: counted once (1,000 bytes), with job.json's 2.
        #expect(plan.jobs[0].bytes == 1002)
        #expect(plan.failedDrops.map(\.name) == ["bad.zip"])
        #expect(plan.failedDrops[0].bytes == 102)
        #expect(plan.bytes == 1104)
        // Planning removes nothing.
        #expect(try f.exists(old) && f.store.job(id: old) != nil)

        #expect(pruner.apply(plan, now: now).isEmpty)
        #expect(try !f.exists(old) && f.store.job(id: old) == nil)
        #expect(try f.store.trials(jobID: old).isEmpty && f.store.events(jobID: old).isEmpty)
        for kept in [oldDone, recent, live.id] { #expect(try f.store.job(id: kept) != nil) }
        #expect(f.exists(oldDone) && f.exists(recent))
        let failed = try FileManager.default.contentsOfDirectory(atPath: f.layout.failed.path).sorted()
        #expect(failed == ["fresh.zip", "fresh.zip.error.json"])
    }

    @Test func keepsTheNewestPerNameAndTheModelALineUses() throws {
        let f = try Fixture()
        defer { try? FileManager.default.removeItem(at: f.root) }
        var cats: [String] = []
        for day in 1...4 { cats.append(try f.job("cats", finished: "2026-10-0\(day)T00:00:00Z")) }
        let dogs = try f.job("dogs", finished: "2026-10-01T00:00:00Z")
        // The line "cats" uses the oldest cats model.
        let line = f.layout.outbox.appendingPathComponent("cats")
        try FileManager.default.createDirectory(at: line, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: f.layout.latest("cats").path, withDestinationPath: "../\(cats[0])/model")
        // A schedule takes its bundle from the newest "dogs" job.
        try "schedule: \"0 2 * * *\"\nsource: {bundle: dogs}\n".write(to: f.layout.schedule("nightly"), atomically: true, encoding: .utf8)

        let pruner = Pruner(layout: f.layout, store: f.store)
        let now = ISO8601DateFormatter().date(from: "2026-12-01T00:00:00Z")!
        let plan = try pruner.plan(Pruner.Rules(keepPerName: 1), now: now)
        #expect(plan.jobs.map(\.id).sorted() == [cats[1], cats[2]])
        #expect(Set(plan.kept.map(\.id)) == [cats[0]])
        #expect(plan.kept.first?.reason.contains("outbox/cats/latest") == true)
        // --keep 0 would take dogs too, but a schedule's source is kept.
        let none = try pruner.plan(Pruner.Rules(keepPerName: 0), now: now)
        #expect(!none.jobs.map(\.id).contains(dogs) && none.kept.contains { $0.id == dogs && $0.reason.contains("schedule nightly") })
        #expect(pruner.apply(plan, now: now).isEmpty)
        #expect(f.exists(cats[0]) && f.exists(cats[3]) && f.exists(dogs))
        #expect(!f.exists(cats[1]) && !f.exists(cats[2]))
        #expect(FileManager.default.fileExists(atPath: f.layout.latest("cats").appendingPathComponent("weights.safetensors").path))
    }

    @Test func theDaemonAppliesItsRetentionAtStartOnItsClock() throws {
        let f = try Fixture()
        defer { try? FileManager.default.removeItem(at: f.root) }
        let old = try f.job("cats", finished: "2026-10-01T00:00:00Z")
        let young = try f.job("cats", finished: "2026-11-25T00:00:00Z")
        var options = SpoolDaemon.Options(executor: .init(trainer: URL(fileURLWithPath: "/bin/false"), owner: "test"))
        options.once = true
        options.retention = Pruner.Rules(olderThan: 30 * 86_400)
        options.clock = { ISO8601DateFormatter().date(from: "2026-12-01T00:00:00Z")! }
        let log = f.root.appendingPathComponent("daemon.log")
        let logger = RunLogHandler.logger(label: "test", file: log, mirrorToStderr: false)
        try SpoolDaemon(layout: f.layout, store: f.store, options: options, logger: logger).run()
        #expect(try f.store.job(id: old) == nil && !f.exists(old))
        #expect(try f.store.job(id: young) != nil && f.exists(young))
        let text = try String(contentsOf: log, encoding: .utf8)
        #expect(text.contains("retention: removed job \(old)"), "\(text)")
    }

    @Test func theOutboxModelIsAHardLinkToTheTrials() throws {
        let f = try Fixture()
        defer { try? FileManager.default.removeItem(at: f.root) }
        let trial = f.root.appendingPathComponent("jobs/j-1/trials/0")
        try FileManager.default.createDirectory(at: trial.appendingPathComponent("model/spool_scoring"), withIntermediateDirectories: true)
        try Data(repeating: 3, count: 4096).write(to: trial.appendingPathComponent("model/weights.safetensors"))
        try Data("{}".utf8).write(to: trial.appendingPathComponent("model/spool_scoring/__init__.py"))
        try Data("{}".utf8).write(to: trial.appendingPathComponent("metrics.json"))
        let outbox = try OutboxWriter(layout: f.layout).publish(
            jobID: "j-1", contents: .init(trialOutput: trial, jobDocument: Data("{}".utf8), logs: []))
        for file in ["model/weights.safetensors", "model/spool_scoring/__init__.py"] {
            var a = stat(), b = stat()
            #expect(stat(trial.appendingPathComponent(file).path, &a) == 0 && stat(outbox.appendingPathComponent(file).path, &b) == 0)
            #expect(a.st_ino == b.st_ino && a.st_nlink == 2, "\(file)")
        }
        // metrics.json is a copy (small, and the outbox's own).
        var m = stat()
        #expect(stat(outbox.appendingPathComponent("metrics.json").path, &m) == 0 && m.st_nlink == 1)
        #expect(!FileManager.default.fileExists(atPath: f.layout.outbox.appendingPathComponent(".staging-j-1").path))
    }

    @Test func acrossFilesystemsTheLinkerCopiesAndSaysWhy() throws {
        // /dev/shm is a tmpfs: another filesystem than the temporary folder on most machines.
        var shm = stat(), tmp = stat()
        let temporary = FileManager.default.temporaryDirectory
        guard stat("/dev/shm", &shm) == 0, stat(temporary.path, &tmp) == 0, shm.st_dev != tmp.st_dev,
              access("/dev/shm", W_OK) == 0 else { return }
        let source = URL(fileURLWithPath: "/dev/shm/linker-\(UUID().uuidString)")
        let target = temporary.appendingPathComponent("linker-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: source); try? FileManager.default.removeItem(at: target) }
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: source.appendingPathComponent("weights.safetensors"))
        let outcome = try TreeLinker.link(source, to: target)
        #expect(outcome.copied == 1 && outcome.linked == 0)
        #expect(outcome.copyReason?.contains("another filesystem") == true)
        #expect(try String(contentsOf: target.appendingPathComponent("weights.safetensors"), encoding: .utf8) == "x")
    }
}
