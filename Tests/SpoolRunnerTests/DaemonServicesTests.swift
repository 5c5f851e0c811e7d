import Foundation
import SpoolCore
import SpoolRunner
import SpoolStore
import Testing

/// The daemon as a group of services: a graceful shutdown, asked in-process as SIGTERM asks it, stops the
/// intake first and then the scheduler, whose running trial stops and whose job is requeued.
@Suite(.serialized)
struct DaemonServicesTests {
    @Test(.timeLimit(.minutes(3)))
    func aGracefulShutdownStopsTheIntakeThenTheTrialsAndRequeuesTheJob() async throws {
        let dir = try RunnerSupport.temporaryDirectory("services")
        defer { try? FileManager.default.removeItem(at: dir) }
        let spool = dir.appendingPathComponent("spool")
        // A trial that would run for two minutes: only the shutdown can end it in time.
        let pidFile = dir.appendingPathComponent("trial.pid")
        let trainer = try TrialSupervisionTests.fakeTrainer(in: dir, behaviour: "  echo $$ > '\(pidFile.path)'; exec sleep 120")
        let submitted = try RunnerSupport.spoolctl(["submit", "--spool", spool.path, try RunnerSupport.bundle(in: dir).path])
        #expect(submitted.status == 0, "\(submitted.stderr)")

        let layout = SpoolLayout(root: spool)
        let store = try JobStore(path: layout.database.path)
        var options = SpoolDaemon.Options(executor: .init(trainer: trainer, owner: "test"))
        options.executor.graceSeconds = 2
        options.executor.pollSeconds = 0.05
        options.tick = .milliseconds(100)
        let log = dir.appendingPathComponent("daemon.log")
        let daemon = SpoolDaemon(layout: layout, store: store, options: options,
                                 logger: RunLogHandler.logger(label: "test", file: log, mirrorToStderr: false))
        let serving = Task { try await daemon.run() }

        // The intake takes the drop (the watcher), the scheduler claims the job and its trial starts.
        var running: (job: String, trial: Trial, pid: Int32)?
        for _ in 0..<1200 where running == nil {
            try await Task.sleep(for: .milliseconds(50))
            let jobs = try store.jobs()
            if let job = jobs.first?.job, job.state == .running,
               let trial = try store.trials(jobID: job.id).first(where: { $0.state == .running }),
               let text = try? String(contentsOf: pidFile, encoding: .utf8), let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                running = (job.id, trial, pid)
            }
        }
        guard let running else {
            let jobs = try store.jobs().map { "\($0.job.id) \($0.job.state.rawValue): \($0.job.reason)" }
            Issue.record("the job's trial did not start: \(jobs) \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
            daemon.stop()
            _ = try? await serving.value
            return
        }
        let (jobID, trial, pid) = running

        daemon.stop()
        try await serving.value

        let job = try #require(try store.job(id: jobID))
        #expect(job.state == JobState.pending && job.reason.contains("requeued"), "\(job)")
        #expect(job.attempts == 0, "a graceful stop does not count against the job: \(job)")
        let stopped = try #require(try store.trials(jobID: jobID).first { $0.id == trial.id })
        #expect(stopped.state == JobState.pending && stopped.reason.contains("the daemon was stopped"), "\(stopped)")
        #expect(kill(pid, 0) != 0, "the trial's process has ended")

        // Reverse order: the intake (last started) stops before the scheduler stops the trials.
        let text = try String(contentsOf: log, encoding: .utf8)
        let intake = try #require(text.range(of: "no more drops are taken"), "\(text)")
        let scheduler = try #require(text.range(of: "stopping gracefully (running trials stop and are requeued)"), "\(text)")
        #expect(intake.lowerBound < scheduler.lowerBound, "\(text)")
        #expect(text.contains("stopped"))
    }
}
