import Foundation
import SpoolCore
@testable import SpoolRunner
import Testing

/// `spoolctl serve --executor slurm` against a real one-node Slurm (Debian's slurm-wlm and munge, started for
/// the test by scripts/slurm/local-cluster.sh): trials are Slurm batch jobs, their progress read from the
/// shared folder, the policy's stops sent through scancel.
@Suite(.serialized)
struct SlurmExecutorTests {
    /// The trials' Slurm job ids, by trial number, from the job's log ("trial 2 started (Slurm job 14, ...").
    static func slurmIDs(inLog log: String) -> [Int: String] {
        var ids: [Int: String] = [:]
        for line in log.split(separator: "\n") {
            guard let trial = line.range(of: "trial "), let started = line.range(of: " started (Slurm job ") else { continue }
            let number = Int(line[trial.upperBound..<started.lowerBound])
            let id = line[started.upperBound...].prefix { $0.isNumber }
            if let number, !id.isEmpty { ids[number] = String(id) }
        }
        return ids
    }

    /// `spoolctl serve ARGUMENTS` in the background against the cluster, and the first job's id and job log once
    /// `ready` holds for that log (checked every quarter second, for two minutes at most).
    static func startDaemon(_ arguments: [String], spool: URL, cluster: LocalSlurm,
                            until ready: (String) -> Bool) throws -> (daemon: Process, jobID: String, log: String) {
        let daemon = Process()
        daemon.executableURL = RunnerSupport.spoolctl
        daemon.arguments = ["serve"] + arguments
        daemon.environment = ProcessInfo.processInfo.environment.merging(cluster.environment) { $1 }
        daemon.standardOutput = FileHandle.nullDevice
        daemon.standardError = FileHandle.nullDevice
        try daemon.run()
        for _ in 0..<480 {
            Thread.sleep(forTimeInterval: 0.25)
            guard let id = (try? RunnerSupport.status(spool: spool))?.first?.id else { continue }
            let log = (try? String(contentsOf: spool.appendingPathComponent("jobs/\(id)/job.log"), encoding: .utf8)) ?? ""
            if ready(log) { return (daemon, id, log) }
        }
        kill(daemon.processIdentifier, SIGKILL)
        throw TestFailure("the daemon's job never reached the awaited point")
    }

    /// Four grid trials, two at a time in Slurm, a bandit policy: the sweep completes, the best model is in the
    /// outbox, every trial ran as a Slurm job (COMPLETED in Slurm, or CANCELLED there when the policy stopped it).
    @Test(.timeLimit(.minutes(10))) func aSweepRunsInSlurmAndThePolicyCancelsThroughScancel() throws {
        let fixture = try SlurmSpool.start("sweep")
        defer { fixture.stop() }
        let (cluster, dir, spool) = (fixture.cluster, fixture.dir, fixture.spool)
        // Twenty short epochs, read every quarter second: the policy judges a trial while it has most of its run
        // ahead (a stop that reaches a trial already done leaves it COMPLETED, in Slurm and here).
        let bundle = try RunnerSupport.bundle(in: dir, name: "sweep", epochs: 20, perClass: 15)
        let settings = try String(contentsOf: bundle.appendingPathComponent("settings.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "limits: {timeout_minutes: 30}\n", with: "")
        try (settings + """

            limits: {timeout_minutes: 30, max_trials: 4, max_concurrent_trials: 2}
            sweep:
              sampling_algorithm: grid
              early_termination: {type: bandit, slack_amount: 0.001, evaluation_interval: 1, delay_evaluation: 1}
            search_space:
              - learning_rate: "choice(0.05, 0.0001)"
                momentum: "choice(0.9, 0.5)"
            """).write(to: bundle.appendingPathComponent("settings.yaml"), atomically: true, encoding: .utf8)
        try fixture.submit(bundle)

        // The partition allows 5 minutes: the trials ask no more, though the job's budget is 30.
        try cluster.scontrol(["update", "PartitionName=spool", "MaxTime=5"])
        let serve = try RunnerSupport.spoolctl(["serve", "--once", "--spool", spool.path, "--executor", "slurm",
                                                "--slurm-cpus", "1", "--slurm-mem", "1500", "--slurm-poll", "0.25"],
                                               environment: cluster.environment)
        #expect(serve.status == 0, "\(serve.stderr)")
        let job = try #require(try RunnerSupport.status(spool: spool).first)
        #expect(job.state == "COMPLETED", "\(job)")
        #expect(job.trials.total == 4)
        let outbox = try #require(job.outbox)
        #expect(FileManager.default.fileExists(atPath: outbox + "/model/model.json"))

        let log = try String(contentsOfFile: outbox + "/job.log", encoding: .utf8)
        let ids = Self.slurmIDs(inLog: log)
        #expect(ids.count == 4, "\(log)")
        #expect(log.contains("2 at once"))
        let document = try SweepEndToEndTests.trialsJSON(outbox)
        let trials = document.trials
        #expect(trials.count == 4)
        let statuses = try SlurmClient(environment: cluster.environment).statuses(of: Array(ids.values))
        var stopped = 0
        for trial in trials {
            let number = trial.number
            let slurm = try #require(ids[number].flatMap { statuses[$0] }, "trial \(number): no Slurm job")
            let reason = trial.reason
            if reason.hasPrefix("early termination: bandit") {
                stopped += 1
                #expect(trial.state == "CANCELLED")
                #expect(slurm.state == .cancelled, "trial \(number): \(slurm.summary)")
                // Stopped after an evaluation: its metrics and its model are kept.
                #expect(!trial.evaluations.isEmpty)
            } else {
                #expect(trial.state == "COMPLETED", "trial \(number): \(reason)")
                #expect(slurm.state == .completed && slurm.exitStatus == 0, "trial \(number): \(slurm.summary)")
            }
            #expect(slurm.nodes == "spoolnode")
            #expect(slurm.timeLimitMinutes == 5, "trial \(number): the partition's limit")
        }
        #expect(stopped >= 1, "\(trials.map { "\($0.state): \($0.reason)" })")
        // The best trial's model is the outbox's.
        let bestNumber = try #require(document.bestTrial)
        let best = try #require(trials.first { $0.number == bestNumber })
        let metrics = try MetricsDocument.read(from: URL(fileURLWithPath: outbox + "/metrics.json"))
        #expect(metrics.primaryMetric.value == best.bestMetric)
    }

    /// `--slurm-tasks 2`: a trial is one `srun` of two tasks in one batch job, which find each other from Slurm's
    /// SLURM_PROCID and SLURM_NTASKS and train data-parallel over gloo; the trial completes.
    @Test(.timeLimit(.minutes(5))) func aTrialOfTwoProcessesIsOneSrunOfTwoTasks() throws {
        let fixture = try SlurmSpool.start("ddp")
        defer { fixture.stop() }
        let (cluster, dir, spool) = (fixture.cluster, fixture.dir, fixture.spool)
        let bundle = try RunnerSupport.bundle(in: dir, name: "ddp", epochs: 2, perClass: 8)
        try fixture.submit(bundle)
        let serve = try RunnerSupport.spoolctl(["serve", "--once", "--spool", spool.path, "--executor", "slurm",
                                                "--slurm-tasks", "2", "--slurm-cpus", "1", "--slurm-mem", "1500",
                                                "--slurm-poll", "0.25"],
                                               environment: cluster.environment)
        #expect(serve.status == 0, "\(serve.stderr)")
        let job = try #require(try RunnerSupport.status(spool: spool).first)
        #expect(job.state == "COMPLETED", "\(job)")
        let outbox = try #require(job.outbox)
        #expect(FileManager.default.fileExists(atPath: outbox + "/model/model.json"))
        let log = try String(contentsOfFile: outbox + "/job.log", encoding: .utf8)
        #expect(log.contains("2 processes x1, data-parallel"), "\(log)")
        let id = try #require(Self.slurmIDs(inLog: log).values.first)
        let status = try #require(try SlurmClient(environment: cluster.environment).statuses(of: [id])[id])
        #expect(status.state == .completed, "\(status.summary)")
        let trainLog = try #require(DataParallelTrialTests.trainLogs(under: spool).first)
        #expect(trainLog.contains("data-parallel: process 0 of 2 (gloo"), "\(trainLog)")
    }

    /// Slurm's warning before a trial's time limit (`--signal=B:TERM@90` for trials of 5 minutes or more; sent here
    /// at once with `scancel --batch --signal=TERM`, which is what Slurm does at the warning): the trainer finishes its
    /// step, saves a checkpoint and stops; the trial is TIMEOUT with the model of its best evaluation so far.
    @Test(.timeLimit(.minutes(5))) func slurmsWarningSignalMakesTheTrainerCheckpointAndStop() throws {
        let fixture = try SlurmSpool.start("warning")
        defer { fixture.stop() }
        let (cluster, dir, spool) = (fixture.cluster, fixture.dir, fixture.spool)
        let bundle = try RunnerSupport.bundle(in: dir, name: "warned", epochs: 20_000, perClass: 6)
        try fixture.submit(bundle)
        let (daemon, jobID, started) = try Self.startDaemon(
            ["--once", "--spool", spool.path, "--executor", "slurm", "--slurm-poll", "0.25"], spool: spool, cluster: cluster,
            until: { $0.contains("epoch 2:") })
        defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
        let id = try #require(Self.slurmIDs(inLog: started).values.first)
        try SlurmClient(environment: cluster.environment).cancel(id, signal: "TERM")
        daemon.waitUntilExit()
        #expect(daemon.terminationStatus == 0)

        let job = try #require(try RunnerSupport.status(spool: spool).first)
        let outbox = try #require(job.outbox)
        let trial = try #require(try SweepEndToEndTests.trialsJSON(outbox).trials.first)
        #expect(trial.state == "TIMEOUT", "\(trial.state): \(trial.reason)")
        #expect(FileManager.default.fileExists(atPath: outbox + "/model/model.json"))
        let trialFolder = spool.appendingPathComponent("jobs/\(jobID)/trials/0")
        let checkpoints = (try? FileManager.default.contentsOfDirectory(atPath: trialFolder.appendingPathComponent("checkpoints/resume").path)) ?? []
        #expect(checkpoints.contains { $0.hasPrefix("epoch-") }, "its resume checkpoints stay: \(checkpoints)")
        let trainLog = try String(contentsOf: trialFolder.appendingPathComponent("train.log"), encoding: .utf8)
        #expect(trainLog.contains("stopped when asked at epoch"), "\(trainLog)")
        let status = try #require(try SlurmClient(environment: cluster.environment).statuses(of: [id])[id])
        #expect(status.exitStatus == 4, "the trainer stopped itself (exit 4), it was not killed: \(status.summary)")
    }

    /// Slurm runs a trial again after a node failure or a preemption (`--requeue`); `scontrol requeue` does the
    /// same to a running trial: the second run resumes from the first's checkpoint in the trial's folder, and the
    /// job completes.
    @Test(.timeLimit(.minutes(6))) func aTrialSlurmRequeuesRunsAgainAndCompletes() throws {
        let fixture = try SlurmSpool.start("requeue")
        defer { fixture.stop() }
        let (cluster, dir, spool) = (fixture.cluster, fixture.dir, fixture.spool)
        let bundle = try RunnerSupport.bundle(in: dir, name: "requeued", epochs: 12, perClass: 6)
        try fixture.submit(bundle)

        // Once the trial has evaluated in Slurm, Slurm is told to run it again.
        let (daemon, jobID, started) = try Self.startDaemon(
            ["--once", "--spool", spool.path, "--executor", "slurm", "--slurm-poll", "0.25"], spool: spool, cluster: cluster,
            until: { $0.contains("epoch 1:") })
        defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
        let id = try #require(Self.slurmIDs(inLog: started).values.first)
        // While it runs, `status JOB` shows its Slurm id and node.
        let running = try RunnerSupport.spoolctl(["status", "--spool", spool.path, jobID], environment: cluster.environment)
        #expect(running.stdout.contains("SLURM") && running.stdout.contains("\(id) on spoolnode"), "\(running.stdout)")
        try cluster.scontrol(["requeue", id])
        daemon.waitUntilExit()
        #expect(daemon.terminationStatus == 0)

        let job = try #require(try RunnerSupport.status(spool: spool).first)
        #expect(job.state == "COMPLETED", "\(job)")
        let outbox = try #require(job.outbox)
        #expect(FileManager.default.fileExists(atPath: outbox + "/model/model.json"))
        let status = try #require(try SlurmClient(environment: cluster.environment).statuses(of: [id])[id])
        #expect(status.state == .completed, "\(status.summary)")
        #expect(status.restarts >= 1, "\(status)")
        // The rerun resumed from the first run's checkpoint (it did not start over): the epochs it had are not
        // trained again, nor counted again by the policy.
        let log = try String(contentsOfFile: outbox + "/job.log", encoding: .utf8)
        #expect(log.contains("trial 0 resumed after epoch"), "\(log)")
        let trainLog = try String(contentsOf: spool.appendingPathComponent("jobs/\(jobID)/trials/0/train.log"), encoding: .utf8)
        #expect(trainLog.contains("resumed after epoch"), "\(trainLog)")
        let evaluations = log.components(separatedBy: "\n").filter { $0.contains("trial 0 epoch 1:") }
        #expect(evaluations.count == 1, "epoch 1 counted once: \(evaluations)")
    }

    /// Slurm refuses a submission (here the first `sbatch` fails as with a controller that timed out): that trial
    /// is FAILED with Slurm's words, its configuration is queued again a few polls later, and the job completes.
    @Test(.timeLimit(.minutes(4))) func aRefusedSubmissionIsTriedAgain() throws {
        let fixture = try SlurmSpool.start("refused")
        defer { fixture.stop() }
        let (cluster, dir, spool) = (fixture.cluster, fixture.dir, fixture.spool)
        let bundle = try RunnerSupport.bundle(in: dir, name: "refused", epochs: 2, perClass: 6)
        try fixture.submit(bundle)
        // An sbatch first on PATH that refuses once, then hands over to Slurm's.
        let bin = dir.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let wrapper = bin.appendingPathComponent("sbatch")
        let marker = dir.appendingPathComponent("refused-once").path
        try """
            #!/bin/sh
            if [ ! -e '\(marker)' ]; then
              touch '\(marker)'
              echo "sbatch: error: Batch job submission failed: Socket timed out on send/recv operation" >&2
              exit 1
            fi
            exec /usr/bin/sbatch "$@"

            """.write(to: wrapper, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: wrapper.path)
        var environment = cluster.environment
        environment["PATH"] = bin.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")

        let serve = try RunnerSupport.spoolctl(["serve", "--once", "--spool", spool.path, "--executor", "slurm",
                                                "--slurm-poll", "0.25"], environment: environment)
        #expect(serve.status == 0, "\(serve.stderr)")
        let job = try #require(try RunnerSupport.status(spool: spool).first)
        #expect(job.state == "COMPLETED", "\(job)")
        let outbox = try #require(job.outbox)
        let trials = try SweepEndToEndTests.trialsJSON(outbox).trials
        #expect(trials.map(\.state) == ["FAILED", "COMPLETED"], "\(trials)")
        let reason = trials.first?.reason ?? ""
        #expect(reason.contains("Slurm refused to queue it") && reason.contains("Socket timed out"), "\(reason)")
        let log = try String(contentsOfFile: outbox + "/job.log", encoding: .utf8)
        #expect(log.contains("trying its configuration again in 1 s"), "\(log)")
    }

    /// A daemon stopped gracefully leaves its trials running in Slurm for the next one; `spoolctl cancel` of the job
    /// meanwhile cancels them there too (`scancel`), so they do not hold the cluster for their whole time limit.
    @Test(.timeLimit(.minutes(4))) func cancellingAJobNoDaemonHoldsCancelsItsTrialsInSlurm() throws {
        let fixture = try SlurmSpool.start("cancel")
        defer { fixture.stop() }
        let (cluster, dir, spool) = (fixture.cluster, fixture.dir, fixture.spool)
        let bundle = try RunnerSupport.bundle(in: dir, name: "cancelled", epochs: 20_000, perClass: 6)
        try fixture.submit(bundle)
        let (daemon, jobID, started) = try Self.startDaemon(
            ["--spool", spool.path, "--executor", "slurm", "--slurm-poll", "0.25"], spool: spool, cluster: cluster,
            until: { $0.contains("epoch 1:") })
        defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
        let id = try #require(Self.slurmIDs(inLog: started).values.first)
        kill(daemon.processIdentifier, SIGTERM)
        daemon.waitUntilExit()
        let client = SlurmClient(environment: cluster.environment)
        #expect(try client.statuses(of: [id])[id]?.state == .running, "the daemon's stop leaves the trial to the next one")

        let cancel = try RunnerSupport.spoolctl(["cancel", "--spool", spool.path, jobID], environment: cluster.environment)
        #expect(cancel.status == 0, "\(cancel.stderr)")
        #expect(cancel.stdout.contains("its trials in Slurm cancelled (scancel \(id))"), "\(cancel.stdout)")
        var state: SlurmState?
        for _ in 0..<80 {
            state = try client.statuses(of: [id])[id]?.state
            if state.map({ !$0.isActive }) ?? false { break }
            Thread.sleep(forTimeInterval: 0.25)
        }
        #expect(state == .cancelled)
        let object = try RunnerSupport.status(spool: spool, job: jobID)
        let trials = try #require(object.detail?.trials)
        #expect(trials.map(\.state) == ["CANCELLED"], "\(trials)")
        #expect(object.state == "CANCELLED")
    }

    /// `kill -9` of the daemon while one trial runs in Slurm and another waits there for cores; a new daemon
    /// re-attaches to both (their ids are in the store) and runs the rest: all four trials complete, each once,
    /// and Slurm saw four jobs, not six.
    @Test(.timeLimit(.minutes(8))) func killDashNineThenRestartReattachesAndSubmitsNothingTwice() throws {
        let fixture = try SlurmSpool.start("kill9")
        defer { fixture.stop() }
        let (cluster, dir, spool) = (fixture.cluster, fixture.dir, fixture.spool)
        let bundle = try RunnerSupport.bundle(in: dir, name: "kill9", epochs: 6, perClass: 10)
        let settings = try String(contentsOf: bundle.appendingPathComponent("settings.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "limits: {timeout_minutes: 30}\n", with: "")
        try (settings + """

            limits: {timeout_minutes: 30, max_trials: 4, max_concurrent_trials: 2}
            sweep: {sampling_algorithm: grid}
            search_space:
              - learning_rate: "choice(0.05, 0.01)"
                momentum: "choice(0.9, 0.5)"
            """).write(to: bundle.appendingPathComponent("settings.yaml"), atomically: true, encoding: .utf8)
        try fixture.submit(bundle)
        // Two cores per trial on a node of two: one trial runs, the other is PENDING (Resources) in Slurm.
        let arguments = ["--spool", spool.path, "--executor", "slurm", "--slurm-cpus", "2", "--slurm-poll", "0.25"]
        let (daemon, id, _) = try Self.startDaemon(arguments, spool: spool, cluster: cluster,
                                                   until: { Self.slurmIDs(inLog: $0).count == 2 && $0.contains("epoch 1:") })
        kill(daemon.processIdentifier, SIGKILL)
        daemon.waitUntilExit()
        let client = SlurmClient(environment: cluster.environment)
        let firstLog = try String(contentsOf: spool.appendingPathComponent("jobs/\(id)/job.log"), encoding: .utf8)
        let before = try client.statuses(of: Array(Self.slurmIDs(inLog: firstLog).values))
        #expect(before.values.contains { $0.state?.isActive == true }, "\(before.values.map(\.summary))")

        let restart = try RunnerSupport.spoolctl(["serve", "--once"] + arguments, environment: cluster.environment)
        #expect(restart.status == 0, "\(restart.stderr)")
        let job = try #require(try RunnerSupport.status(spool: spool).first)
        #expect(job.state == "COMPLETED", "\(job)")
        let outbox = try #require(job.outbox)
        let trials = try SweepEndToEndTests.trialsJSON(outbox).trials
        #expect(trials.count == 4)
        #expect(trials.allSatisfy { $0.state == "COMPLETED" }, "\(trials.map { "\($0.state): \($0.reason)" })")
        let log = try String(contentsOfFile: outbox + "/job.log", encoding: .utf8)
        #expect(log.components(separatedBy: " re-attached (Slurm job ").count - 1 == 2, "\(log)")
        // Slurm ran exactly four jobs for this spool job, each COMPLETED.
        let squeue = try RunnerSupport.run(URL(fileURLWithPath: "/usr/bin/squeue"), ["--json", "--states=all"],
                                           environment: cluster.environment)
        let mine = try SlurmJobStatus.parse(squeueJSON: Data(squeue.stdout.utf8)).filter { $0.name.hasPrefix("spool-\(id)-t") }
        #expect(mine.count == 4, "\(mine.map { "\($0.name) \($0.summary)" })")
        #expect(Set(mine.map(\.name)).count == 4)
        #expect(mine.allSatisfy { $0.state == .completed })
        // `status JOB --json`: each trial with its Slurm job id.
        let detail = try RunnerSupport.spoolctl(["status", "--json", "--spool", spool.path, id], environment: cluster.environment)
        let object = try JobStatusDocument.decode(Data(detail.stdout.utf8))
        let stored = (object.detail?.trials ?? []).compactMap(\.slurmJobID)
        #expect(Set(stored) == Set(mine.map(\.id)), "\(detail.stdout)")
    }
}

/// A one-node Slurm and an empty spool in a temporary folder, for one test; `stop()` removes both.
struct SlurmSpool {
    let cluster: LocalSlurm
    let dir: URL
    var spool: URL { dir.appendingPathComponent("spool") }

    static func start(_ name: String) throws -> SlurmSpool {
        let cluster = try LocalSlurm.start(cpus: 2)
        do {
            return SlurmSpool(cluster: cluster, dir: try RunnerSupport.temporaryDirectory("slurm-\(name)"))
        } catch {
            cluster.stop()
            throw error
        }
    }

    /// `spoolctl submit` of `bundle` into the spool.
    func submit(_ bundle: URL) throws {
        let result = try RunnerSupport.spoolctl(["submit", "--spool", spool.path, bundle.path])
        guard result.status == 0 else { throw TestFailure("submit failed: \(result.stderr)") }
    }

    func stop() {
        cluster.stop()
        try? FileManager.default.removeItem(at: dir)
    }
}
