import Foundation
import SpoolCore
@testable import SpoolRunner
import Testing

/// The long tier (docs/testing.md): Slurm's real time limit, which takes a minute to reach (a one-minute limit is
/// the least Slurm has). The fast tier's SlurmExecutorTests cover the same TIMEOUT path through Slurm's warning
/// signal, which ends a trial in seconds.
@Suite(.serialized, .longTier)
struct SlurmTimeLimitLongTests {
    /// A trial that outlives its Slurm time limit is ended by Slurm (TIMEOUT): the trial is TIMEOUT and keeps the
    /// model of its best evaluation so far, which the job publishes.
    @Test(.timeLimit(.minutes(6))) func slurmsTimeLimitMakesATimeoutWithTheBestSoFar() throws {
        let fixture = try SlurmSpool.start("timeout")
        defer { fixture.stop() }
        let (cluster, dir, spool) = (fixture.cluster, fixture.dir, fixture.spool)
        // Many epochs of a few images: the first evaluations come in seconds, the last long after the limit of one
        // minute on any machine (400 epochs once finished within it on a fast CI runner).
        let bundle = try RunnerSupport.bundle(in: dir, name: "long", epochs: 20_000, perClass: 6)
        let settings = try String(contentsOf: bundle.appendingPathComponent("settings.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "limits: {timeout_minutes: 30}", with: "limits: {timeout_minutes: 30, trial_timeout_minutes: 1}")
        try settings.write(to: bundle.appendingPathComponent("settings.yaml"), atomically: true, encoding: .utf8)
        try fixture.submit(bundle)
        let serve = try RunnerSupport.spoolctl(["serve", "--once", "--spool", spool.path, "--executor", "slurm"],
                                               environment: cluster.environment)
        #expect(serve.status == 0, "\(serve.stderr)")
        let job = try #require(try RunnerSupport.status(spool: spool).first)
        let outbox = try #require(job.outbox)
        let trials = try SweepEndToEndTests.trialsJSON(outbox).trials
        let trial = try #require(trials.first)
        #expect(trial.state == "TIMEOUT", "\(trial.state): \(trial.reason)")
        let evaluations = trial.evaluations
        #expect(evaluations.count > 0)
        #expect(FileManager.default.fileExists(atPath: outbox + "/model/model.json"))
        let log = try String(contentsOfFile: outbox + "/job.log", encoding: .utf8)
        let ids = SlurmExecutorTests.slurmIDs(inLog: log)
        #expect(ids.count == 1, "\(log)")
        let id = try #require(ids.values.first)
        #expect(try SlurmClient(environment: cluster.environment).statuses(of: [id])[id]?.state == .timeout)
    }

    /// A partition whose MaxTime (1 min) is shorter than the job's budget: the trial Slurm ends at that limit is
    /// submitted again and resumes from its checkpoint (docs/resume.md), and the job completes.
    @Test(.timeLimit(.minutes(10))) func aTrialCutByThePartitionsMaxTimeResumesInANewBatchJob() throws {
        let fixture = try SlurmSpool.start("maxtime")
        defer { fixture.stop() }
        let (cluster, dir, spool) = (fixture.cluster, fixture.dir, fixture.spool)
        try cluster.scontrol(["update", "PartitionName=spool", "MaxTime=1"])
        // More epochs than a minute trains here (each ends with a resume checkpoint).
        let bundle = try RunnerSupport.bundle(in: dir, name: "cut", epochs: 300, perClass: 6)
        try fixture.submit(bundle)
        let serve = try RunnerSupport.spoolctl(["serve", "--once", "--spool", spool.path, "--executor", "slurm"],
                                               environment: cluster.environment)
        #expect(serve.status == 0, "\(serve.stderr)")
        let job = try #require(try RunnerSupport.status(spool: spool).first)
        #expect(job.state == "COMPLETED", "\(job)")
        let id = job.id
        let log = try String(contentsOf: spool.appendingPathComponent("jobs/\(id)/job.log"), encoding: .utf8)
        #expect(log.contains("the partition's MaxTime of 1 min"), "\(log)")
        #expect(log.contains("trial 0 resumed after epoch"), "\(log)")
        let trainLog = try String(contentsOf: spool.appendingPathComponent("jobs/\(id)/trials/0/train.log"), encoding: .utf8)
        #expect(DaemonKillSoakLongTests.epochsTrainedAgain(trainLog) <= 2, "at most the epoch in flight at each cut")
        let detail = try RunnerSupport.detail(spool: spool, job: id)
        let runs = detail.trials.first?.runs ?? []
        #expect(runs.count >= 2 && (runs.last?.resumedAfterEpoch ?? 0) > 0, "\(runs)")
    }
}
