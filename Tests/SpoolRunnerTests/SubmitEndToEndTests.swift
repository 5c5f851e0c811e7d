import Foundation
import SpoolCore
import Testing

/// The submit -> result loop that cron users rely on (`spoolctl submit --wait` against a running daemon).
@Suite(.serialized)
struct SubmitEndToEndTests {
    /// `spoolctl serve` in the background (its output discarded), with `extra` arguments.
    static func daemon(_ spool: URL, _ extra: [String] = ["--rescan", "1"]) throws -> Process {
        let daemon = Process()
        daemon.executableURL = RunnerSupport.spoolctl
        daemon.arguments = ["serve", "--spool", spool.path] + extra
        daemon.standardOutput = FileHandle.nullDevice
        daemon.standardError = FileHandle.nullDevice
        try daemon.run()
        return daemon
    }

    static func statusObject(_ spool: URL) throws -> QueueStatusDocument {
        let result = try RunnerSupport.spoolctl(["status", "--spool", spool.path, "--json"])
        return try QueueStatusDocument.decode(Data(result.stdout.utf8))
    }

    @Test func submitWaitFollowsItsOwnDropAgainstARunningDaemon() throws {
        let dir = try RunnerSupport.temporaryDirectory("submit")
        defer { try? FileManager.default.removeItem(at: dir) }
        let spool = dir.appendingPathComponent("spool")
        #expect(try RunnerSupport.spoolctl(["init", "--spool", spool.path]).status == 0)
        let daemon = try Self.daemon(spool)
        defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }

        // Hashing after the hand-over raced the daemon (it may move the drop at once): every submit must
        // finish, each with its own job.
        var ids: Set<String> = []
        for seed in 1...3 {
            let bundle = try RunnerSupport.bundle(in: dir, name: "lr\(seed)", epochs: 1, extraSettings: "  seed: \(seed)")
            let result = try RunnerSupport.spoolctl(["submit", "--spool", spool.path, bundle.path, "--wait"])
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
            #expect(!result.stderr.contains("sha256sum") && !result.stderr.contains("No such file"), "\(result.stderr)")
            let line = result.stdout.split(separator: "\n").first { $0.contains("queued as job") }
            if let id = line?.split(separator: " ").last { ids.insert(String(id)) }
        }
        #expect(ids.count == 3, "\(ids)")

        // The same bundle again is a DUPLICATE (15), not the earlier job's result (0).
        let again = try RunnerSupport.spoolctl(["submit", "--spool", spool.path, dir.appendingPathComponent("lr1").path, "--wait"])
        #expect(again.status == 15, "\(again.stdout)\(again.stderr)")
        #expect(again.stderr.contains("duplicate"))

        // An earlier drop of a name left its error file in failed/: a new, valid drop of that name is followed,
        // not answered by the old file.
        let name = "fresh"
        try #"{"reason": "an old rejection", "problems": ["old"]}"#.write(
            to: spool.appendingPathComponent("failed/\(name).error.json"), atomically: true, encoding: .utf8)
        let fresh = try RunnerSupport.bundle(in: dir, name: name, epochs: 1, extraSettings: "  seed: 9")
        let followed = try RunnerSupport.spoolctl(["submit", "--spool", spool.path, fresh.path, "--wait", "--json"])
        #expect(followed.status == 0, "\(followed.stdout)\(followed.stderr)")
        let outcome = try SubmitOutcome.decode(Data(followed.stdout.utf8))
        #expect(outcome.outcome == "QUEUED" && outcome.state == "COMPLETED", "\(outcome)")
        #expect(outcome.sha256?.count == 64 && outcome.drop == name)
        #expect(outcome.exitCode == 0)

        // A bundle that will be rejected is refused by submit itself: exit 14, nothing dropped.
        let single = try RunnerSupport.bundle(in: dir, name: "single", epochs: 1)
        let jsonl = single.appendingPathComponent("train.jsonl")
        let text = try String(contentsOf: jsonl, encoding: .utf8)
            .replacingOccurrences(of: "\"square\"", with: "\"circle\"").replacingOccurrences(of: "\"triangle\"", with: "\"circle\"")
        try text.write(to: jsonl, atomically: true, encoding: .utf8)
        let refused = try RunnerSupport.spoolctl(["submit", "--spool", spool.path, single.path])
        #expect(refused.status == 14, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stderr.contains("only the class 'circle'"), "\(refused.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: spool.appendingPathComponent("incoming").path).isEmpty)
        // With --no-validate the daemon rejects it, and --wait says so with the daemon's problems.
        let rejected = try RunnerSupport.spoolctl(["submit", "--spool", spool.path, single.path, "--no-validate", "--wait"])
        #expect(rejected.status == 14, "\(rejected.stdout)\(rejected.stderr)")
        #expect(rejected.stderr.contains("only the class 'circle'"), "\(rejected.stderr)")

        // status lists the drops that were not queued, and that a daemon serves the spool.
        var status = try Self.statusObject(spool)
        let drops = status.drops
        #expect(drops.map(\.outcome) == ["REJECTED", "DUPLICATE"], "\(drops)")
        #expect(status.daemon.serving == true)

        kill(daemon.processIdentifier, SIGTERM)
        daemon.waitUntilExit()
        try FileManager.default.copyItem(at: fresh, to: spool.appendingPathComponent("incoming/waiting"))
        status = try Self.statusObject(spool)
        #expect(status.daemon.serving == false)
        #expect(status.waiting.incoming == 1)
        let table = try RunnerSupport.spoolctl(["status", "--spool", spool.path])
        #expect(table.stdout.contains("daemon: none is serving") && table.stdout.contains("1 drop(s) in incoming/"), "\(table.stdout)")
        #expect(table.stdout.contains("REJECTED") && table.stdout.contains("DUPLICATE"))
    }

    @Test func submitFromAFolderHoldingTheSpoolIsRefused() throws {
        let dir = try RunnerSupport.temporaryDirectory("submit-dot")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bundle = try RunnerSupport.bundle(in: dir, name: "b", epochs: 1)
        let spool = bundle.appendingPathComponent("spool")
        #expect(try RunnerSupport.spoolctl(["init", "--spool", spool.path]).status == 0)
        let result = try RunnerSupport.spoolctl(["submit", "--spool", spool.path, bundle.path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("contains the spool"), "\(result.stderr)")
        #expect(!result.stderr.contains("NSCocoaError") && !result.stderr.contains("Domain="))
        #expect(try FileManager.default.contentsOfDirectory(atPath: spool.appendingPathComponent("tmp").path).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: spool.appendingPathComponent("incoming").path).isEmpty)
    }
}
