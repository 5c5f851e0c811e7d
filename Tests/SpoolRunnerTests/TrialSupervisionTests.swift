import Foundation
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
        let spool = dir.appendingPathComponent("spool")
        // abort(3), as libtorch does on a fatal error (it raises SIGABRT even where the signal is ignored).
        let trainer = try Self.fakeTrainer(
            in: dir, behaviour: "  exec /usr/bin/python3 -c 'import os, sys; sys.stderr.write(\"libtorch: something broke\\n\"); sys.stderr.flush(); os.abort()'")
        let first = try RunnerSupport.bundle(in: dir, name: "one")
        let second = try RunnerSupport.bundle(in: dir, name: "two", epochs: 3)
        _ = try RunnerSupport.spoolctl(["submit", "--spool", spool.path, first.path])
        _ = try RunnerSupport.spoolctl(["submit", "--spool", spool.path, second.path])
        let serve = try RunnerSupport.spoolctl(["serve", "--once", "--spool", spool.path], environment: ["SPOOL_TRAINER": trainer.path])
        #expect(serve.status == 0, "\(serve.stderr)")
        let jobs = try RunnerSupport.statusJSON(spool: spool)
        #expect(jobs.count == 2)
        for job in jobs {
            #expect(job["state"] as? String == "FAILED", "\(job)")
            let reason = job["reason"] as? String ?? ""
            #expect(reason.contains("signal 6") && reason.contains("abort"), "\(reason)")
        }
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
        let job = try #require(try RunnerSupport.statusJSON(spool: spool).first)
        #expect(job["state"] as? String == "TIMEOUT", "\(job)")
        #expect((job["reason"] as? String)?.contains("--max-job-seconds") == true)
    }

    @Test func killDashNineThenRestartRequeuesAndCompletesOnce() throws {
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
            if let job = try? RunnerSupport.statusJSON(spool: spool).first, job["state"] as? String == "RUNNING" {
                let id = job["id"] as! String
                let log = (try? String(contentsOf: spool.appendingPathComponent("jobs/\(id)/job.log"), encoding: .utf8)) ?? ""
                if log.contains("epoch 1:") { running = true; break }
            }
        }
        #expect(running)
        kill(daemon.processIdentifier, SIGKILL)
        daemon.waitUntilExit()
        let during = try #require(try RunnerSupport.statusJSON(spool: spool).first)
        #expect(during["state"] as? String == "RUNNING")  // what the dead daemon left

        // Quicker now: the restarted daemon requeues the job and runs it to the end, once.
        let restart = try RunnerSupport.spoolctl(["serve", "--once", "--spool", spool.path])
        #expect(restart.status == 0, "\(restart.stderr)")
        let jobs = try RunnerSupport.statusJSON(spool: spool)
        #expect(jobs.count == 1)
        let job = try #require(jobs.first)
        #expect(job["state"] as? String == "COMPLETED", "\(job)")
        #expect(job["attempts"] as? Int == 2)
        let trials = job["trials"] as? [String: Any]
        #expect(trials?["total"] as? Int == 2 && trials?["done"] as? Int == 2)
        let outboxes = try FileManager.default.contentsOfDirectory(atPath: spool.appendingPathComponent("outbox").path)
        #expect(outboxes == [job["id"] as! String])
        let log = try String(contentsOf: spool.appendingPathComponent("jobs/\(job["id"] as! String)/job.log"), encoding: .utf8)
        #expect(log.contains("requeued") || log.contains("PENDING"), "\(log)")
    }

    /// Starts `spoolctl serve` in the background and waits until its job has a recorded epoch.
    static func serveUntilTraining(spool: URL, environment: [String: String] = [:]) throws -> (Process, String) {
        let daemon = Process()
        daemon.executableURL = RunnerSupport.spoolctl
        daemon.arguments = ["serve", "--spool", spool.path, "--grace", "2"]
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        daemon.environment = env
        daemon.standardOutput = FileHandle.nullDevice
        daemon.standardError = FileHandle.nullDevice
        try daemon.run()
        for _ in 0..<240 {
            Thread.sleep(forTimeInterval: 0.25)
            if let job = try? RunnerSupport.statusJSON(spool: spool).first, job["state"] as? String == "RUNNING",
               let id = job["id"] as? String,
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
        let job = try #require(try RunnerSupport.statusJSON(spool: spool).first)
        #expect(job["id"] as? String == id)
        #expect(job["state"] as? String == "PENDING", "\(job)")
        #expect((job["reason"] as? String)?.contains("requeued") == true)
        #expect(job["attempts"] as? Int == 0)  // a graceful stop does not count against the job
    }

    @Test func cancelStopsARunningJob() throws {
        let dir = try RunnerSupport.temporaryDirectory("cancel")
        defer { try? FileManager.default.removeItem(at: dir) }
        let spool = dir.appendingPathComponent("spool")
        let bundle = try RunnerSupport.bundle(in: dir, epochs: 60)
        _ = try RunnerSupport.spoolctl(["submit", "--spool", spool.path, bundle.path])
        let (daemon, id) = try Self.serveUntilTraining(spool: spool)
        defer { daemon.terminate(); daemon.waitUntilExit() }
        let cancel = try RunnerSupport.spoolctl(["cancel", "--spool", spool.path, String(id)])
        #expect(cancel.status == 0 && cancel.stdout.contains("requested"), "\(cancel.stdout)\(cancel.stderr)")
        var state = ""
        for _ in 0..<80 {
            Thread.sleep(forTimeInterval: 0.25)
            state = (try? RunnerSupport.statusJSON(spool: spool).first?["state"] as? String) ?? ""
            if state == "CANCELLED" { break }
        }
        #expect(state == "CANCELLED")
        let logs = try RunnerSupport.spoolctl(["logs", "--spool", spool.path, id])
        #expect(logs.stdout.contains("job=\(id)") && logs.stdout.contains("CANCELLED"))
    }
}
