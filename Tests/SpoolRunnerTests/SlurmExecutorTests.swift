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

    /// Four grid trials, two at a time in Slurm, a bandit policy: the sweep completes, the best model is in the
    /// outbox, every trial ran as a Slurm job (COMPLETED in Slurm, or CANCELLED there when the policy stopped it).
    @Test(.timeLimit(.minutes(10))) func aSweepRunsInSlurmAndThePolicyCancelsThroughScancel() throws {
        let cluster = try LocalSlurm.start(cpus: 2)
        defer { cluster.stop() }
        let dir = try RunnerSupport.temporaryDirectory("slurm-sweep")
        defer { try? FileManager.default.removeItem(at: dir) }
        let spool = dir.appendingPathComponent("spool")
        // Six epochs, read every quarter second: the policy sees a trial's evaluations while it still runs.
        let bundle = try RunnerSupport.bundle(in: dir, name: "sweep", epochs: 6, perClass: 15)
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
        #expect(try RunnerSupport.spoolctl(["submit", "--spool", spool.path, bundle.path]).status == 0)

        let serve = try RunnerSupport.spoolctl(["serve", "--once", "--spool", spool.path, "--executor", "slurm",
                                                "--slurm-cpus", "1", "--slurm-mem", "1500", "--slurm-poll", "0.25"],
                                               environment: cluster.environment)
        #expect(serve.status == 0, "\(serve.stderr)")
        let job = try #require(try RunnerSupport.statusJSON(spool: spool).first)
        #expect(job["state"] as? String == "COMPLETED", "\(job)")
        #expect((job["trials"] as? [String: Any])?["total"] as? Int == 4)
        let outbox = try #require(job["outbox"] as? String)
        #expect(FileManager.default.fileExists(atPath: outbox + "/model/model.json"))

        let log = try String(contentsOfFile: outbox + "/job.log", encoding: .utf8)
        let ids = Self.slurmIDs(inLog: log)
        #expect(ids.count == 4, "\(log)")
        #expect(log.contains("2 at once"))
        let document = try SweepEndToEndTests.trialsJSON(outbox)
        let trials = try #require(document["trials"] as? [[String: Any]])
        #expect(trials.count == 4)
        let statuses = try SlurmClient(environment: cluster.environment).statuses(of: Array(ids.values))
        var stopped = 0
        for trial in trials {
            let number = try #require(trial["number"] as? Int)
            let slurm = try #require(ids[number].flatMap { statuses[$0] }, "trial \(number): no Slurm job")
            let reason = trial["reason"] as? String ?? ""
            if reason.hasPrefix("early termination: bandit") {
                stopped += 1
                #expect(trial["state"] as? String == "CANCELLED")
                #expect(slurm.state == .cancelled, "trial \(number): \(slurm.summary)")
                // Stopped after an evaluation: its metrics and its model are kept.
                #expect(!((trial["evaluations"] as? [Any]) ?? []).isEmpty)
            } else {
                #expect(trial["state"] as? String == "COMPLETED", "trial \(number): \(reason)")
                #expect(slurm.state == .completed && slurm.exitStatus == 0, "trial \(number): \(slurm.summary)")
            }
            #expect(slurm.nodes == "spoolnode")
        }
        #expect(stopped >= 1, "\(trials.map { "\($0["state"] ?? ""): \($0["reason"] ?? "")" })")
        // The best trial's model is the outbox's.
        let bestNumber = try #require(document["best_trial"] as? Int)
        let best = try #require(trials.first { $0["number"] as? Int == bestNumber })
        let metrics = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: outbox + "/metrics.json"))) as? [String: Any]
        #expect((metrics?["primary_metric"] as? [String: Any])?["value"] as? Double == best["best_metric"] as? Double)
    }

    /// A trial that outlives its Slurm time limit is ended by Slurm (TIMEOUT): the trial is TIMEOUT and keeps the
    /// model of its best evaluation so far, which the job publishes.
    @Test(.timeLimit(.minutes(6))) func slurmsTimeLimitMakesATimeoutWithTheBestSoFar() throws {
        let cluster = try LocalSlurm.start(cpus: 2)
        defer { cluster.stop() }
        let dir = try RunnerSupport.temporaryDirectory("slurm-timeout")
        defer { try? FileManager.default.removeItem(at: dir) }
        let spool = dir.appendingPathComponent("spool")
        // Many epochs of a few images: the first evaluations come in seconds, the last long after one minute.
        let bundle = try RunnerSupport.bundle(in: dir, name: "long", epochs: 400, perClass: 6)
        let settings = try String(contentsOf: bundle.appendingPathComponent("settings.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "limits: {timeout_minutes: 30}", with: "limits: {timeout_minutes: 30, trial_timeout_minutes: 1}")
        try settings.write(to: bundle.appendingPathComponent("settings.yaml"), atomically: true, encoding: .utf8)
        #expect(try RunnerSupport.spoolctl(["submit", "--spool", spool.path, bundle.path]).status == 0)
        let serve = try RunnerSupport.spoolctl(["serve", "--once", "--spool", spool.path, "--executor", "slurm"],
                                               environment: cluster.environment)
        #expect(serve.status == 0, "\(serve.stderr)")
        let job = try #require(try RunnerSupport.statusJSON(spool: spool).first)
        let outbox = try #require(job["outbox"] as? String)
        let trials = try #require(try SweepEndToEndTests.trialsJSON(outbox)["trials"] as? [[String: Any]])
        let trial = try #require(trials.first)
        #expect(trial["state"] as? String == "TIMEOUT", "\(trial["state"] ?? "-"): \(trial["reason"] ?? "-")")
        let evaluations = (trial["evaluations"] as? [Any]) ?? []
        #expect(evaluations.count > 0)
        #expect(FileManager.default.fileExists(atPath: outbox + "/model/model.json"))
        let log = try String(contentsOfFile: outbox + "/job.log", encoding: .utf8)
        let ids = Self.slurmIDs(inLog: log)
        #expect(ids.count == 1, "\(log)")
        let id = try #require(ids.values.first)
        #expect(try SlurmClient(environment: cluster.environment).statuses(of: [id])[id]?.state == .timeout)
    }
}
