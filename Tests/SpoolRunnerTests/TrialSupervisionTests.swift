import Foundation
import SpoolCore
import Testing

/// Trials that crash, overrun, or lose their daemon: the daemon survives and every job ends with a reason.
@Suite(.serialized)
struct TrialSupervisionTests {
    /// A stand-in trainer: checks images with the real one, but does `behaviour` when asked to train.
    static func fakeTrainer(in dir: URL, behaviour: String) throws -> URL {
        let url = dir.appendingPathComponent("fake-trainer.sh")
        let script = """
            #!/bin/sh
            if [ "$1" = "train" ]; then
            \(behaviour)
            fi
            exec "\(RunnerSupport.trainer.path)" "$@"
            """
        try script.write(to: url, atomically: true, encoding: .utf8)
        chmod(url.path, 0o755)
        return url
    }

    @Test func anAbortingTrialFailsItsJobNotTheDaemon() throws {
        let dir = try RunnerSupport.temporaryDirectory("abort")
        defer { try? FileManager.default.removeItem(at: dir) }
        // abort(3), as libtorch does on a fatal error (it raises SIGABRT even where the signal is ignored).
        let jobs = try Self.crashingTrials(in: dir, python: "import os, sys; sys.stderr.write(\"libtorch: something broke\\n\"); sys.stderr.flush(); os.abort()",
                                           bundles: [("one", 2), ("two", 3)])
        #expect(jobs.count == 2)
        for job in jobs {
            #expect(job.state == "FAILED", "\(job)")
            let reason = job.reason
            #expect(reason.contains("signal 6") && reason.contains("abort"), "\(reason)")
        }
    }

    /// A trial that crashes while the daemon lives counts: a failed trial, its reason naming the signal and
    /// quoting the end of its log; the job's one attempt is charged.
    @Test func aSegfaultingTrialIsCountedAndItsReasonNamesTheSignal() throws {
        let dir = try RunnerSupport.temporaryDirectory("segv")
        defer { try? FileManager.default.removeItem(at: dir) }
        let jobs = try Self.crashingTrials(
            in: dir, python: "import os, signal, sys; sys.stderr.write(\"error: the kernel module misbehaved\\n\"); sys.stderr.flush(); os.kill(os.getpid(), signal.SIGSEGV)",
            bundles: [("shapes", 2)])
        let job = try #require(jobs.first)
        #expect(job.state == "FAILED", "\(job)")
        let reason = job.reason
        #expect(reason.contains("signal 11") && reason.contains("SIGSEGV") && reason.contains("the kernel module misbehaved"), "\(reason)")
        #expect(job.attempts == 1 && job.interruptions == 0, "\(job)")
    }

    /// Jobs of `bundles` (name, epochs) whose trainer runs `python` instead of training, served once; their status.
    static func crashingTrials(in dir: URL, python: String, bundles: [(String, Int)]) throws -> [JobStatusDocument] {
        let spool = dir.appendingPathComponent("spool")
        let trainer = try Self.fakeTrainer(in: dir, behaviour: "  exec /usr/bin/python3 -c '\(python)'")
        for (name, epochs) in bundles {
            _ = try RunnerSupport.spoolctl(["submit", "--spool", spool.path, try RunnerSupport.bundle(in: dir, name: name, epochs: epochs).path])
        }
        let serve = try RunnerSupport.spoolctl(["serve", "--once", "--spool", spool.path], environment: ["SPOOL_TRAINER": trainer.path])
        #expect(serve.status == 0, "\(serve.stderr)")
        return try RunnerSupport.status(spool: spool)
    }

    @Test func aTrialThatOverrunsItsBudgetEndsTimeout() throws {
        let dir = try RunnerSupport.temporaryDirectory("timeout")
        defer { try? FileManager.default.removeItem(at: dir) }
        let spool = dir.appendingPathComponent("spool")
        let trainer = try Self.fakeTrainer(in: dir, behaviour: "  exec sleep 120")
        let bundle = try RunnerSupport.bundle(in: dir)
        _ = try RunnerSupport.spoolctl(["submit", "--spool", spool.path, bundle.path])
        let started = Date()
        let serve = try RunnerSupport.spoolctl(["serve", "--once", "--spool", spool.path, "--max-job-seconds", "2", "--grace", "1"],
                                               environment: ["SPOOL_TRAINER": trainer.path])
        #expect(serve.status == 0, "\(serve.stderr)")
        #expect(Date().timeIntervalSince(started) < 60)
        let job = try #require(try RunnerSupport.status(spool: spool).first)
        #expect(job.state == "TIMEOUT", "\(job)")
        #expect(job.reason.contains("--max-job-seconds"))
    }

    /// The daemon killed without warning while a trial trains: the restarted daemon requeues the job without
    /// charging it an attempt, and the same trial resumes after the epoch its checkpoint holds (docs/resume.md).
    @Test func killDashNineThenRestartResumesTheTrialAndCompletesOnce() throws {
        let dir = try RunnerSupport.temporaryDirectory("kill9")
        defer { try? FileManager.default.removeItem(at: dir) }
        let spool = dir.appendingPathComponent("spool")
        let bundle = try RunnerSupport.bundle(in: dir, epochs: 40)
        _ = try RunnerSupport.spoolctl(["submit", "--spool", spool.path, bundle.path])

        let daemon = Process()
        daemon.executableURL = RunnerSupport.spoolctl
        daemon.arguments = ["serve", "--spool", spool.path]
        daemon.standardOutput = FileHandle.nullDevice
        daemon.standardError = FileHandle.nullDevice
        try daemon.run()
        // Wait until the job trains (an epoch recorded), then kill the daemon without warning.
        var running = false
        for _ in 0..<240 {
            Thread.sleep(forTimeInterval: 0.25)
            if let job = try? RunnerSupport.status(spool: spool).first, job.state == "RUNNING" {
                let id = job.id
                let log = (try? String(contentsOf: spool.appendingPathComponent("jobs/\(id)/job.log"), encoding: .utf8)) ?? ""
                if log.contains("epoch 1:") { running = true; break }
            }
        }
        #expect(running)
        kill(daemon.processIdentifier, SIGKILL)
        daemon.waitUntilExit()
        let during = try #require(try RunnerSupport.status(spool: spool).first)
        #expect(during.state == "RUNNING")  // what the dead daemon left

        // Quicker now: the restarted daemon requeues the job and runs it to the end, once.
        let restart = try RunnerSupport.spoolctl(["serve", "--once", "--spool", spool.path])
        #expect(restart.status == 0, "\(restart.stderr)")
        let jobs = try RunnerSupport.status(spool: spool)
        #expect(jobs.count == 1)
        let job = try #require(jobs.first)
        #expect(job.state == "COMPLETED", "\(job)")
        #expect(job.attempts == 1 && job.interruptions == 1, "the daemon's death is not the job's attempt: \(job)")
        let trials = job.trials
        #expect(trials.total == 1 && trials.done == 1, "the interrupted trial resumed as itself: \(job)")
        let detail = try RunnerSupport.detail(spool: spool, job: job.id)
        let runs = detail.trials.first?.runs ?? []
        #expect(runs.count == 2, "\(runs)")
        #expect(runs.first?.outcome?.hasPrefix("interrupted") == true, "\(runs)")
        #expect((runs.last?.resumedAfterEpoch ?? 0) >= 1, "the second run resumed after the epoch it had: \(runs)")
        #expect(runs.last?.outcome?.hasPrefix("COMPLETED") == true, "\(runs)")
        // One job folder in the outbox (beside index.html, the page over the jobs).
        let outboxes = try FileManager.default.contentsOfDirectory(atPath: spool.appendingPathComponent("outbox").path)
        #expect(outboxes.filter { $0 != "index.html" } == [job.id])
        let log = try String(contentsOf: spool.appendingPathComponent("jobs/\(job.id)/job.log"), encoding: .utf8)
        #expect(log.contains("requeued") || log.contains("PENDING"), "\(log)")
    }

    /// Starts `spoolctl serve` in the background and waits until its job has a recorded epoch.
    static func serveUntilTraining(spool: URL, environment: [String: String] = [:], arguments: [String] = []) throws
        -> (Process, String)
    {
        let daemon = Process()
        daemon.executableURL = RunnerSupport.spoolctl
        daemon.arguments = ["serve", "--spool", spool.path, "--grace", "2"] + arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        daemon.environment = env
        daemon.standardOutput = FileHandle.nullDevice
        daemon.standardError = FileHandle.nullDevice
        try daemon.run()
        for _ in 0..<240 {
            Thread.sleep(forTimeInterval: 0.25)
            if let job = try? RunnerSupport.status(spool: spool).first, job.state == "RUNNING",
               case let id = job.id,
               let log = try? String(contentsOf: spool.appendingPathComponent("jobs/\(id)/job.log"), encoding: .utf8),
               log.contains("epoch 1:") {
                return (daemon, id)
            }
        }
        daemon.terminate()
        throw TestFailure("the job did not start training within 60 s")
    }

    @Test func sigtermStopsGracefullyAndRequeues() throws {
        let dir = try RunnerSupport.temporaryDirectory("sigterm")
        defer { try? FileManager.default.removeItem(at: dir) }
        let spool = dir.appendingPathComponent("spool")
        let bundle = try RunnerSupport.bundle(in: dir, epochs: 60)
        _ = try RunnerSupport.spoolctl(["submit", "--spool", spool.path, bundle.path])
        let (daemon, id) = try Self.serveUntilTraining(spool: spool)
        daemon.terminate()  // SIGTERM
        daemon.waitUntilExit()
        #expect(daemon.terminationStatus == 0)
        let job = try #require(try RunnerSupport.status(spool: spool).first)
        #expect(job.id == id)
        #expect(job.state == "PENDING", "\(job)")
        #expect(job.reason.contains("requeued"))
        #expect(job.attempts == 0)  // a graceful stop does not count against the job
    }

    /// A real running trial, seen as squeue shows a job: its epoch and ETA in `status`, the budget the daemon
    /// caps it to, a short id; then cancelled as scancel does it, with JSON and exit statuses.
    @Test func statusShowsARunningTrialAndCancelStopsIt() throws {
        let dir = try RunnerSupport.temporaryDirectory("cancel")
        defer { try? FileManager.default.removeItem(at: dir) }
        let spool = dir.appendingPathComponent("spool")
        let bundle = try RunnerSupport.bundle(in: dir, epochs: 60)
        _ = try RunnerSupport.spoolctl(["submit", "--spool", spool.path, bundle.path])
        let (daemon, id) = try Self.serveUntilTraining(spool: spool, arguments: ["--max-job-seconds", "600"])
        defer { daemon.terminate(); daemon.waitUntilExit() }
        let short = String(id.suffix(4))   // j-YYYYMMDD-0001 -> 0001

        // status while the trial trains: the progress the trainer reports, through the daemon and the store.
        var progress: JobStatusDocument.Progress?
        for _ in 0..<80 {
            if let job = try RunnerSupport.status(spool: spool).first,
               let first = job.progress.first, first.etaSeconds != nil {
                progress = first
                #expect(job.budgetSeconds == 600 && job.budgetCapSeconds == 600, "\(job)")
                break
            }
            Thread.sleep(forTimeInterval: 0.25)
        }
        #expect(progress?.trial == 0, "no progress in status --json: \(String(describing: progress))")
        #expect(progress?.epochs == 60 && (progress?.epoch ?? 0) >= 1, "\(String(describing: progress))")
        #expect((progress?.imagesPerSecond ?? 0) > 0)
        #expect((progress?.etaSeconds ?? 0) > 0, "58 or more epochs are left: \(String(describing: progress))")
        let table = try RunnerSupport.spoolctl(["status", "--spool", spool.path])
        let line = table.stdout.split(separator: "\n").first { $0.hasPrefix(id) } ?? ""
        #expect(line.contains("RUNNING") && line.contains("/10m00s") && line.contains("trial 0: epoch ")
                && line.contains("/60, ETA "), "\(table.stdout)")
        #expect(table.stdout.contains("daemon: serving"))
        let detail = try RunnerSupport.spoolctl(["status", "--spool", spool.path, short])
        #expect(detail.status == 0 && detail.stdout.contains("job     \(id)"), "\(detail.stdout)\(detail.stderr)")
        #expect(detail.stdout.contains("img/s  ETA "), "the trial's row shows its pace and ETA: \(detail.stdout)")
        let running = try RunnerSupport.spoolctl(["status", "--spool", spool.path, "-t", "r", "--format", "job,state",
                                                  "--noheader"])
        #expect(running.stdout == "\(id)  RUNNING\n", "\(running.stdout)")
        let none = try RunnerSupport.spoolctl(["status", "--spool", spool.path, "-t", "CD,F", "--noheader"])
        #expect(none.status == 0 && none.stdout.isEmpty, "\(none.stdout)")
        let bad = try RunnerSupport.spoolctl(["status", "--spool", spool.path, "-t", "done"])
        #expect(bad.status != 0 && bad.stderr.contains("'done' is not a state"), "\(bad.stderr)")
        let watched = try RunnerSupport.spoolctl(["status", "--spool", spool.path, "--watch", "--interval", "0.2",
                                                  "--count", "2", "--noheader", "--format", "job"])
        #expect(watched.stdout == "\(id)\n\(id)\n", "\(watched.stdout)")

        let cancel = try RunnerSupport.spoolctl(["cancel", "--spool", spool.path, short, "--json"])
        let answer = try #require(try? CancellationDocument.decode(cancel.stdout), "\(cancel.stdout)\(cancel.stderr)")
        #expect(cancel.status == 0 && answer.outcome == "requested" && answer.job == id, "\(answer)")
        var state = ""
        for _ in 0..<80 {
            Thread.sleep(forTimeInterval: 0.25)
            state = (try? RunnerSupport.status(spool: spool).first?.state) ?? ""
            if state == "CANCELLED" { break }
        }
        #expect(state == "CANCELLED")
        let ended = try #require(try RunnerSupport.status(spool: spool).first)
        #expect(ended.progress.isEmpty, "an ended job shows no progress: \(ended)")
        // As scancel: an ended or unknown job is an error (exit 1), said on stderr or in the JSON.
        let again = try RunnerSupport.spoolctl(["cancel", "--spool", spool.path, id])
        #expect(again.status == 1 && again.stderr.contains("already CANCELLED"), "\(again.stderr)")
        let unknown = try RunnerSupport.spoolctl(["cancel", "--spool", spool.path, "9999", "--json"])
        #expect(unknown.status == 1 && unknown.stdout.contains("\"outcome\":\"not_found\""), "\(unknown.stdout)")
        let logs = try RunnerSupport.spoolctl(["logs", "--spool", spool.path, id])
        #expect(logs.stdout.contains("job=\(id)") && logs.stdout.contains("CANCELLED"))
        let jsonLogs = try RunnerSupport.spoolctl(["logs", "--spool", spool.path, short, "--json"])
        let lines = try jsonLogs.stdout.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
        }
        #expect(lines.contains { $0["log"] as? String == "job" && ($0["line"] as? String)?.contains("CANCELLED") == true })
        #expect(lines.contains { $0["log"] as? String == "train" && $0["trial"] as? Int == 0 }, "\(jsonLogs.stdout.prefix(2000))")
    }
}
