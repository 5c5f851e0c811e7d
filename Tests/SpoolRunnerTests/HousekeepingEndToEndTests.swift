import Foundation
import Logging
import SpoolCore
import SpoolStore
import Testing
@testable import SpoolRunner

/// requeue, submit --set/--name, prune and the overwrite rule, through the built `spoolctl`.
@Suite(.serialized)
struct HousekeepingEndToEndTests {
    /// Takes one drop of `incoming/` as the daemon's intake does (unpack, validate, queue), without training it.
    static func take(_ drop: String, layout: SpoolLayout, store: JobStore) -> Intake.Result {
        Intake(layout: layout, store: store, validator: BundleValidator(trainer: RunnerSupport.trainer),
               logger: Logger(label: "test")).process(dropNamed: drop)
    }

    static func incoming(_ layout: SpoolLayout) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: layout.incoming.path).sorted()
    }

    /// The first value of `key` anywhere in a JSON document.
    static func find(_ key: String, in object: Any) -> Any? {
        if let map = object as? [String: Any] {
            if let value = map[key] { return value }
            for value in map.values { if let found = find(key, in: value) { return found } }
        } else if let list = object as? [Any] {
            for value in list { if let found = find(key, in: value) { return found } }
        }
        return nil
    }

    static func setting(_ key: String, of job: Job) -> Any? {
        (try? JSONSerialization.jsonObject(with: Data(job.settingsJSON.utf8))).flatMap { find(key, in: $0) }
    }

    @Test func aFailedJobIsRequeuedWithItsSettingsAndACompletedOrRunningOneIsRefused() throws {
        let dir = try RunnerSupport.temporaryDirectory("requeue")
        defer { try? FileManager.default.removeItem(at: dir) }
        let spool = dir.appendingPathComponent("spool")
        let layout = SpoolLayout(root: spool)
        let trainer = try TrialSupervisionTests.fakeTrainer(in: dir, behaviour: "  exit 1")
        let bundle = try RunnerSupport.bundle(in: dir, name: "cats", epochs: 1)
        #expect(try RunnerSupport.spoolctl(["submit", "--spool", spool.path, bundle.path]).status == 0)
        let serve = try RunnerSupport.spoolctl(["serve", "--once", "--spool", spool.path], environment: ["SPOOL_TRAINER": trainer.path])
        #expect(serve.status == 0, "\(serve.stderr)")
        let failed = try #require(try RunnerSupport.status(spool: spool).first)
        #expect(failed.state == "FAILED", "\(failed)")
        let failedID = failed.id

        let requeue = try RunnerSupport.spoolctl(["requeue", "--spool", spool.path, String(failedID.suffix(4))])
        #expect(requeue.status == 0, "\(requeue.stderr)")
        let drop = try #require(try Self.incoming(layout).first)
        #expect(requeue.stdout.contains("requeue of \(failedID) dropped as \(drop)"), "\(requeue.stdout)")
        let origin = try #require(JobOrigin.read(in: layout.incoming.appendingPathComponent(drop)))
        #expect(origin.requeueOf == failedID && origin.name == "cats")

        let store = try JobStore(path: layout.database.path)
        guard case let .queued(newID) = Self.take(drop, layout: layout, store: store) else {
            Issue.record("the requeued drop was not queued")
            return
        }
        let original = try #require(try store.job(id: failedID))
        let again = try #require(try store.job(id: newID))
        #expect(again.state == .pending && again.name == "cats" && newID != failedID)
        #expect(again.settingsJSON == original.settingsJSON)
        #expect(again.task == original.task && again.budgetSeconds == original.budgetSeconds)

        // A running job is refused; so is a completed one, pointing at retrain.
        let running = try #require(try store.claimNext(owner: "test", leaseSeconds: 600))
        #expect(running.id == newID)
        let refusedRunning = try RunnerSupport.spoolctl(["requeue", "--spool", spool.path, newID])
        #expect(refusedRunning.status != 0 && refusedRunning.stderr.contains("is RUNNING"), "\(refusedRunning.stderr)")
        try store.finish(jobID: newID, owner: "test", state: .completed, reason: "test")
        let refusedDone = try RunnerSupport.spoolctl(["requeue", "--spool", spool.path, newID])
        #expect(refusedDone.status != 0, "\(refusedDone.stdout)")
        #expect(refusedDone.stderr.contains("COMPLETED") && refusedDone.stderr.contains("spoolctl retrain \(newID)"), "\(refusedDone.stderr)")
        #expect(try Self.incoming(layout).isEmpty)
    }

    /// A job whose budget ran out mid-training, requeued: the new job's trial resumes from the old one's last
    /// checkpoint (docs/resume.md), and the old job's folder stays as it was; `requeue --restart` starts over.
    @Test func aRequeuedJobResumesItsTrialsAndRestartStartsOver() throws {
        let dir = try RunnerSupport.temporaryDirectory("requeue-resume")
        defer { try? FileManager.default.removeItem(at: dir) }
        let spool = dir.appendingPathComponent("spool")
        let layout = SpoolLayout(root: spool)
        let bundle = try RunnerSupport.bundle(in: dir, name: "long", epochs: 40)
        #expect(try RunnerSupport.spoolctl(["submit", "--spool", spool.path, bundle.path]).status == 0)
        let cut = try RunnerSupport.spoolctl(["serve", "--once", "--spool", spool.path, "--max-job-seconds", "10", "--grace", "2"])
        #expect(cut.status == 0, "\(cut.stderr)")
        let timedOut = try #require(try RunnerSupport.status(spool: spool).first)
        #expect(timedOut.state == "TIMEOUT", "\(timedOut)")
        let oldID = timedOut.id
        let oldLog = spool.appendingPathComponent("jobs/\(oldID)/trials/0/train.log")
        let oldLogText = try String(contentsOf: oldLog, encoding: .utf8)
        let checkpoints = try FileManager.default.contentsOfDirectory(atPath: spool.appendingPathComponent("jobs/\(oldID)/trials/0/checkpoints/resume").path)
        let last = try #require(checkpoints.compactMap { Int($0.dropFirst(6)) }.max(), "the timed-out trial left checkpoints: \(checkpoints)")

        for restart in [false, true] {
            let before = Set(try RunnerSupport.status(spool: spool).map(\.id))
            let requeue = try RunnerSupport.spoolctl(["requeue", "--spool", spool.path, oldID] + (restart ? ["--restart"] : []))
            #expect(requeue.status == 0, "\(requeue.stderr)")
            #expect(requeue.stdout.contains(restart ? "(its trials start over)" : "(its trials resume)"), "\(requeue.stdout)")
            let serve = try RunnerSupport.spoolctl(["serve", "--once", "--spool", spool.path])
            #expect(serve.status == 0, "\(serve.stderr)")
            let jobs = try RunnerSupport.status(spool: spool)
            let job = try #require(jobs.first { !before.contains($0.id) })
            let id = job.id
            #expect(job.state == "COMPLETED", "\(job)")
            let log = try String(contentsOf: spool.appendingPathComponent("jobs/\(id)/trials/0/train.log"), encoding: .utf8)
            let detail = try RunnerSupport.detail(spool: spool, job: id)
            let runs = detail.trials.first?.runs ?? []
            if restart {
                #expect(!log.contains("resumed after epoch"), "--restart trains from the start:\n\(log)")
                #expect(runs.count == 1, "\(runs)")
            } else {
                #expect(log.contains("resumed after epoch \(last) of 40"), "the old job's last checkpoint (epoch \(last)):\n\(log)")
                #expect(runs.last?.resumedAfterEpoch == last, "\(runs)")
                let jobLog = try String(contentsOf: layout.jobLog(id), encoding: .utf8)
                #expect(jobLog.contains("continues \(oldID): 0 finished trials kept, 1 resume from their checkpoints"), "\(jobLog)")
            }
        }
        // The old job's folder is as it was.
        #expect(try String(contentsOf: oldLog, encoding: .utf8) == oldLogText)
    }

    @Test func submitSetAndNameChangeTheDroppedCopyOnly() throws {
        let dir = try RunnerSupport.temporaryDirectory("submit-set")
        defer { try? FileManager.default.removeItem(at: dir) }
        let spool = dir.appendingPathComponent("spool")
        let layout = SpoolLayout(root: spool)
        let bundle = try RunnerSupport.bundle(in: dir, name: "b", epochs: 2)
        let before = try String(contentsOf: bundle.appendingPathComponent("settings.yaml"), encoding: .utf8)

        // A misspelt key: refused before anything is dropped, with the key and the nearest one.
        let bad = try RunnerSupport.spoolctl(["submit", "--spool", spool.path, bundle.path, "--set", "numbr_of_epochs=1"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("numbr_of_epochs") && bad.stderr.contains("did you mean number_of_epochs"), "\(bad.stderr)")
        let shape = try RunnerSupport.spoolctl(["submit", "--spool", spool.path, bundle.path, "--set", "epochs"])
        #expect(shape.status != 0 && shape.stderr.contains("expected key=value"), "\(shape.stderr)")
        #expect(try Self.incoming(layout).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: layout.tmp.path).isEmpty)

        let submit = try RunnerSupport.spoolctl(["submit", "--spool", spool.path, bundle.path, "--set", "number_of_epochs=1",
                                                 "--set", "learning_rate=0.02", "--name", "fridge"])
        #expect(submit.status == 0, "\(submit.stderr)")
        #expect(try Self.incoming(layout) == ["fridge"])
        // The user's bundle is untouched.
        #expect(try String(contentsOf: bundle.appendingPathComponent("settings.yaml"), encoding: .utf8) == before)
        #expect(!FileManager.default.fileExists(atPath: bundle.appendingPathComponent("settings.json").path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: layout.tmp.path).isEmpty)

        let store = try JobStore(path: layout.database.path)
        guard case let .queued(id) = Self.take("fridge", layout: layout, store: store) else {
            Issue.record("the drop was not queued")
            return
        }
        let job = try #require(try store.job(id: id))
        #expect(job.name == "fridge")
        #expect((Self.setting("number_of_epochs", of: job) as? NSNumber)?.intValue == 1, "\(job.settingsJSON)")
        #expect((Self.setting("learning_rate", of: job) as? NSNumber)?.doubleValue == 0.02, "\(job.settingsJSON)")
        #expect((Self.setting("model_name", of: job) as? String) == "resnet18")
    }

    @Test func pruneDryRunThenRealRunThroughTheCommand() throws {
        let dir = try RunnerSupport.temporaryDirectory("prune")
        defer { try? FileManager.default.removeItem(at: dir) }
        let layout = SpoolLayout(root: dir.appendingPathComponent("spool"))
        try layout.create()
        let store = try JobStore(path: layout.database.path)
        var ids: [String] = []
        for _ in 0..<3 {
            guard case let .queued(job) = try store.enqueue(job: NewJob(
                name: "cats", task: .imageClassification, bundlePath: "cats", settingsJSON: "{}", budgetSeconds: 60)) else { return }
            _ = try store.claimNext(owner: "t", leaseSeconds: 60)
            try store.finish(jobID: job.id, owner: "t", state: .failed, reason: "test")
            try FileManager.default.createDirectory(at: layout.job(job.id), withIntermediateDirectories: true)
            try Data(repeating: 0, count: 2000).write(to: layout.job(job.id).appendingPathComponent("job.log"))
            ids.append(job.id)
        }
        let spool = layout.root.path
        let missing = try RunnerSupport.spoolctl(["prune", "--spool", spool])
        #expect(missing.status != 0 && missing.stderr.contains("--older-than"), "\(missing.stderr)")

        let dry = try RunnerSupport.spoolctl(["prune", "--spool", spool, "--keep", "1", "--dry-run", "--json"])
        #expect(dry.status == 0, "\(dry.stderr)")
        let plan = try #require(try JSONSerialization.jsonObject(with: Data(dry.stdout.utf8)) as? [String: Any])
        #expect(plan["dry_run"] as? Bool == true && plan["bytes"] as? Int == 4000, "\(plan)")
        #expect(((plan["jobs"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }.sorted() == [ids[0], ids[1]])
        #expect(ids.allSatisfy { FileManager.default.fileExists(atPath: layout.job($0).path) })
        #expect(try store.finishedJobs().count == 3)

        let real = try RunnerSupport.spoolctl(["prune", "--spool", spool, "--keep", "1", "--state", "failed,CA"])
        #expect(real.status == 0, "\(real.stderr)")
        #expect(real.stdout.contains("removed \(ids[0])") && real.stdout.contains("4.0 KB freed"), "\(real.stdout)")
        #expect(try store.finishedJobs().map(\.id) == [ids[2]])
        #expect(!FileManager.default.fileExists(atPath: layout.job(ids[0]).path) && FileManager.default.fileExists(atPath: layout.job(ids[2]).path))
        let badState = try RunnerSupport.spoolctl(["prune", "--spool", spool, "--state", "RUNNING"])
        #expect(badState.status != 0 && badState.stderr.contains("--state"), "\(badState.stderr)")
    }

    @Test func everyCommandRefusesToReplaceAnOutputUnlessForced() throws {
        let dir = try RunnerSupport.temporaryDirectory("overwrite")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bundle = dir.appendingPathComponent("shapes")
        let args = ["example", "--out", bundle.path, "--per-class", "3", "--size", "16"]
        #expect(try RunnerSupport.spoolctl(args).status == 0)
        // example used to write over an existing folder without a word.
        let again = try RunnerSupport.spoolctl(args)
        #expect(again.status != 0)
        #expect(again.stderr.contains("\(bundle.path) exists; pass --force to replace it"), "\(again.stderr)")
        #expect(try RunnerSupport.spoolctl(args + ["--force"]).status == 0)
        #expect(FileManager.default.fileExists(atPath: bundle.appendingPathComponent("train.jsonl").path))

        // score --jsonl used to truncate an existing file.
        let jsonl = dir.appendingPathComponent("scores.jsonl")
        try "keep me\n".write(to: jsonl, atomically: true, encoding: .utf8)
        let score = try RunnerSupport.spoolctl(["score", "--model", dir.appendingPathComponent("model").path,
                                                bundle.appendingPathComponent("images").path, "--jsonl", jsonl.path])
        #expect(score.status != 0)
        #expect(score.stderr.contains("\(jsonl.path) exists; pass --force to replace it"), "\(score.stderr)")
        #expect(try String(contentsOf: jsonl, encoding: .utf8) == "keep me\n")

        // train --out refused a folder in words of its own; unpack --into, the extractor's.
        let train = try RunnerSupport.spoolctl(["train", bundle.path, "--out", bundle.path])
        #expect(train.status != 0 && train.stderr.contains("\(bundle.path) exists; pass --force to replace it"), "\(train.stderr)")
        let archive = dir.appendingPathComponent("b.tar.gz")
        try RunnerSupport.tarball(bundle, to: archive)
        let unpack = try RunnerSupport.spoolctl(["unpack", archive.path, "--into", bundle.path])
        #expect(unpack.status != 0 && unpack.stderr.contains("\(bundle.path) exists; pass --force to replace it"), "\(unpack.stderr)")
        let forced = try RunnerSupport.spoolctl(["unpack", archive.path, "--into", bundle.path, "--force"])
        #expect(forced.status == 0, "\(forced.stderr)")
    }
}
