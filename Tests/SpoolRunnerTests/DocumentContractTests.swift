import Foundation
import SpoolCore
@testable import SpoolRunner
import SpoolStore
import Synchronization
import Testing

/// The JSON documents users script against (`spoolctl status --json`, `status JOB --json`, `trials.json`,
/// `cancel --json`, `schedules --json`) against fixtures of what Spool wrote before they were typed
/// (Tests/fixtures/documents/): nothing renamed, dropped or changed in type. A spool is filled through the
/// store with a fixed clock (no training), so each document is the same from run to run but for the spool's
/// path and a running job's elapsed time. `SPOOL_UPDATE_FIXTURES=1` writes the fixtures instead.
@Suite(.serialized)
struct DocumentContractTests {
    static let fixtures = RunnerSupport.repository.appendingPathComponent("Tests/fixtures/documents")

    /// A clock the store reads, moved on by hand.
    final class TestClock: Sendable {
        let time = Mutex(Date(timeIntervalSince1970: 1_795_000_000))  // 2026-11-18T…Z
        var now: Date { time.withLock { $0 } }
        func advance(_ seconds: TimeInterval) { time.withLock { $0 += seconds } }
    }

    /// A spool holding a completed sweep (trials with every optional field set, and one with none), a running
    /// job with a trial's progress, a pending job, a rejected drop and a schedule with its state.
    struct FilledSpool {
        let root: URL
        let layout: SpoolLayout
        let sweepID: String
        let runningID: String
        let pendingID: String
        let store: JobStore

        init() throws {
            root = try RunnerSupport.temporaryDirectory("documents")
            layout = SpoolLayout(root: root.appendingPathComponent("spool"))
            try layout.create()
            let clock = TestClock()
            store = try JobStore(path: layout.database.path, now: { clock.now })
            let owner = "host:1"
            sweepID = try store.enqueue(job: NewJob(name: "sweep", task: .imageClassification, bundlePath: "/bundles/sweep")).job.id
            clock.advance(5)
            runningID = try store.enqueue(job: NewJob(name: "running", task: .imageObjectDetection, bundlePath: "/bundles/running")).job.id
            clock.advance(5)
            pendingID = try store.enqueue(job: NewJob(name: "waiting", task: .imageClassificationMultilabel, bundlePath: "/bundles/w")).job.id
            clock.advance(5)
            _ = try #require(try store.claimNext(owner: owner, leaseSeconds: 600))
            let full = try store.startTrial(jobID: sweepID, owner: owner, hyperparametersJSON: #"{"learning_rate":0.01,"model_name":"resnet18","nesterov":true,"training_batch_size":8}"#,
                                            pid: 42, device: "cuda:0", branch: 1, configurationIndex: 3)
            try store.setSlurmJobID(trialID: full.id, "1234")
            for epoch in 1...2 {
                clock.advance(30)
                try store.recordEpoch(trialID: full.id, epoch: epoch, trainLoss: 1.5 / Double(epoch), validationLoss: 1.25 / Double(epoch),
                                      primaryMetric: 0.25 * Double(epoch))
            }
            try store.recordResume(trialID: full.id, afterEpoch: 1)
            try store.finishTrial(trialID: full.id, state: .completed, reason: "2 epochs")
            let retry = try store.startTrial(jobID: sweepID, owner: owner, hyperparametersJSON: #"{"learning_rate":0.1,"training_batch_size":4}"#,
                                             retryOf: 0)
            clock.advance(30)
            try store.recordEpoch(trialID: retry.id, epoch: 1, trainLoss: nil)
            try store.finishTrial(trialID: retry.id, state: .failed, reason: "out of memory")
            let bare = try store.startTrial(jobID: sweepID, owner: owner, hyperparametersJSON: "{}")
            try store.finishTrial(trialID: bare.id, state: .cancelled, reason: "stopped early")
            clock.advance(10)
            let outbox = layout.outbox(sweepID)
            try FileManager.default.createDirectory(at: outbox, withIntermediateDirectories: true)
            for name in ["job.json", "metrics.json", "trials.json"] { try Data("{}".utf8).write(to: outbox.appendingPathComponent(name)) }
            try store.finish(jobID: sweepID, owner: owner, state: .completed, reason: "3 trials",
                             best: BestMetric(name: "accuracy", value: 0.5), outbox: outbox.path)
            _ = try #require(try store.claimNext(owner: owner, leaseSeconds: 600))
            let running = try store.startTrial(jobID: runningID, owner: owner, hyperparametersJSON: #"{"model_name":"fasterrcnn_resnet50_fpn"}"#,
                                               device: "cpu")
            let event = ProgressEvent(kind: .step, epoch: 2, epochs: 5, step: 3, steps: 10, loss: 0.75, learningRate: 0.01,
                                      imagesPerSecond: 12.5, etaSeconds: 90)
            try store.recordProgress(trialID: running.id, json: String(decoding: try JSONEncoder().encode(event), as: UTF8.self))
            try store.recordDrop(DropRecord(name: "broken.zip", sha256: "ab12", takenAt: clock.now, outcome: .rejected,
                                            reason: "no settings.yaml", failedPath: layout.failed.appendingPathComponent("broken.zip").path))
            try store.recordDrop(DropRecord(name: "again.zip", sha256: nil, takenAt: clock.now, outcome: .duplicate, jobID: sweepID,
                                            reason: "the same bundle as \(sweepID)"))
            try """
                schedule: "0 2 * * *"
                time_zone: Europe/Berlin
                source: {folder: /data/shapes}
                """.write(to: layout.schedule("nightly"), atomically: true, encoding: .utf8)
            try "schedule: [".write(to: layout.schedule("broken"), atomically: true, encoding: .utf8)
            try store.recordSchedule(name: "nightly", slot: Date(timeIntervalSince1970: 1_795_050_000), jobID: sweepID,
                                     result: "queued", at: clock.now)
        }

        func remove() { try? FileManager.default.removeItem(at: root) }

        func spoolctl(_ arguments: [String]) throws -> String {
            let result = try RunnerSupport.spoolctl(arguments + ["--spool", layout.root.path])
            return result.stdout
        }
    }

    /// A document's text with the spool's temporary path put as `<spool>`.
    static func normalised(_ text: String, _ spool: FilledSpool) -> String {
        text.replacingOccurrences(of: spool.layout.root.path, with: "<spool>")
    }

    /// The document as a value, with what changes from run to run (a running job's elapsed time) put as null.
    static func value(_ text: String) throws -> SettingValue {
        func clean(_ value: SettingValue) -> SettingValue {
            switch value {
            case let .map(entries):
                var out = entries.mapValues(clean)
                if entries["state"] == "RUNNING", entries["elapsed_seconds"] != nil { out["elapsed_seconds"] = .null }
                return .map(out)
            case let .list(items): return .list(items.map(clean))
            default: return value
            }
        }
        return clean(try JSONDecoder().decode(SettingValue.self, from: Data(text.utf8)))
    }

    /// Every key path with its JSON type (`jobs[].best: object|null`), for a message that says what differs.
    static func shape(_ value: SettingValue, _ path: String = "", into shape: inout [String: Set<String>]) {
        let kind = switch value {
        case .string: "string"
        case .int, .double: "number"
        case .bool: "bool"
        case .list: "array"
        case .map: "object"
        case .null: "null"
        }
        shape[path, default: []].insert(kind)
        switch value {
        case let .map(entries): for (key, item) in entries { Self.shape(item, path + "." + key, into: &shape) }
        case let .list(items): for item in items { Self.shape(item, path + "[]", into: &shape) }
        default: break
        }
    }

    /// Compares a document with its fixture: the same keys with the same types, and the same values.
    static func check(_ text: String, fixture name: String) throws {
        let url = fixtures.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["SPOOL_UPDATE_FIXTURES"] == "1" {
            try FileManager.default.createDirectory(at: fixtures, withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        let expected = try value(String(contentsOf: url, encoding: .utf8))
        let actual = try value(text)
        var expectedShape: [String: Set<String>] = [:], actualShape: [String: Set<String>] = [:]
        shape(expected, into: &expectedShape)
        shape(actual, into: &actualShape)
        let keys = Set(expectedShape.keys).union(actualShape.keys).sorted()
        let differences = keys.filter { expectedShape[$0] != actualShape[$0] }.map {
            "\($0): \(expectedShape[$0].map { $0.sorted().joined(separator: "|") } ?? "absent") before, "
                + "\(actualShape[$0].map { $0.sorted().joined(separator: "|") } ?? "absent") now"
        }
        #expect(differences.isEmpty, "\(name): \(differences.joined(separator: "; "))")
        #expect(actual == expected, "\(name): \(text)")
    }

    /// Reads a document through its type and writes it again: the same text (nothing the type does not hold).
    static func roundTrip<T: Codable>(_ text: String, as type: T.Type, pretty: Bool = true) throws -> T {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let value = try ContractCoding.decoder().decode(T.self, from: Data(trimmed.utf8))
        let again = String(decoding: try ContractCoding.encoder(pretty: pretty).encode(value), as: UTF8.self)
        #expect(again == trimmed)
        return value
    }

    @Test func statusQueueJSONKeepsItsKeys() throws {
        let spool = try FilledSpool()
        defer { spool.remove() }
        let text = try spool.spoolctl(["status", "--json"])
        try Self.check(Self.normalised(text, spool), fixture: "status-queue.json")
        let document = try Self.roundTrip(text, as: QueueStatusDocument.self)
        #expect(document.jobs.map(\.state) == ["PENDING", "RUNNING", "COMPLETED"])
        #expect(document.jobs.allSatisfy { $0.detail == nil }, "a queue row has no trial detail")
        #expect(document.jobs[1].progress.first?.trial == 0 && document.jobs[1].progress.first?.etaSeconds == 90)
        #expect(document.drops.map(\.drop) == ["again.zip", "broken.zip"] && document.daemon.pid == nil)
    }

    @Test func statusJobJSONKeepsItsKeys() throws {
        let spool = try FilledSpool()
        defer { spool.remove() }
        let text = try spool.spoolctl(["status", spool.sweepID, "--json"])
        try Self.check(Self.normalised(text, spool), fixture: "status-job.json")
        let running = try spool.spoolctl(["status", spool.runningID, "--json"])
        try Self.check(Self.normalised(running, spool), fixture: "status-running-job.json")
        let detail = try #require(try Self.roundTrip(text, as: JobStatusDocument.self).detail)
        #expect(detail.bestTrial == 0 && detail.trials.map(\.isBest) == [true, false, false])
        #expect(detail.trials[0].hyperparameters["nesterov"] == .bool(true) && detail.trials[0].runs.first?.resumedAfterEpoch == 1)
        #expect(detail.trials[1].retryOf == 0 && detail.trials[1].epochs.first?.trainLoss == nil)
        let trial = try #require(try Self.roundTrip(running, as: JobStatusDocument.self).detail?.trials.first)
        #expect(trial.progress?.trial == nil && trial.progress?.epoch == 2, "a trial's own progress does not repeat its number")
    }

    @Test func trialsJSONKeepsItsKeys() throws {
        let spool = try FilledSpool()
        defer { spool.remove() }
        let trials = try spool.store.trials(jobID: spool.sweepID)
        let report = TrialsReport(metricName: "accuracy", varying: ["learning_rate"], trials: trials,
                                  epochs: { (try? spool.store.epochs(trialID: $0)) ?? [] }, best: 0)
        let text = String(decoding: try report.json(), as: UTF8.self)
        try Self.check(text, fixture: "trials.json")
        let document = try Self.roundTrip(text, as: TrialsDocument.self)
        #expect(document.trials[0].evaluations.map(\.metric) == ["accuracy", "accuracy"])
        #expect(document.trials[0].evaluations.map(\.value) == [0.25, 0.5] && document.varying == ["learning_rate", "model_name", "nesterov", "training_batch_size"])
    }

    @Test func cancelAndSchedulesJSONKeepTheirKeys() throws {
        let spool = try FilledSpool()
        defer { spool.remove() }
        let schedules = try spool.spoolctl(["schedules", "--json", "--now", "2026-11-29T12:00:00Z"])
        try Self.check(schedules, fixture: "schedules.json")
        let list = try Self.roundTrip(schedules, as: ScheduleListDocument.self)
        #expect(list.schedules.map(\.name) == ["nightly"] && list.problems.map(\.name) == ["broken"])
        let lines = try spool.spoolctl(["cancel", "--json", spool.pendingID, "no-such-job"]).split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        try Self.check("[" + lines.joined(separator: ",") + "]", fixture: "cancel-lines.json")
        let answers = try lines.map { try Self.roundTrip($0, as: CancellationDocument.self, pretty: false) }
        #expect(answers.map(\.outcome) == ["cancelled", "not_found"] && answers[1].job == nil)
    }
}
