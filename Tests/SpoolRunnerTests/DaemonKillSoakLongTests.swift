import Foundation
import SpoolCore
import Testing

/// Resume, never restart, as an operator would try it (docs/resume.md): three jobs in the queue, one a 4-trial
/// sweep with a bandit policy, and the daemon killed with `kill -9` 30 times at seeded random moments while they
/// train, then `serve --once`. Every job completes exactly once with one outbox, no attempt is charged, no trial is
/// added by the interruptions, no epoch is trained twice beyond the one in flight at each kill, nothing is left in
/// `processing/`, and no trainer outlives its daemon.
@Suite(.serialized, .longTier)
struct DaemonKillSoakLongTests {
    static let kills = 30

    @Test(.timeLimit(.minutes(40))) func thirtyKillDashNinesCostTheJobsNothing() throws {
        let dir = try RunnerSupport.temporaryDirectory("soak")
        defer { try? FileManager.default.removeItem(at: dir) }
        let spool = dir.appendingPathComponent("spool")
        // Long enough for 30 kills while they train (an epoch here is a fraction of a second); the two single
        // trials differ in their epochs, else they would be one bundle, queued once.
        let alpha = try RunnerSupport.bundle(in: dir, name: "alpha", epochs: 300, perClass: 10)
        let beta = try RunnerSupport.bundle(in: dir, name: "beta", epochs: 301, perClass: 10)
        let sweep = try RunnerSupport.bundle(in: dir, name: "sweep", epochs: 80, perClass: 10)
        let settings = try String(contentsOf: sweep.appendingPathComponent("settings.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "limits: {timeout_minutes: 30}\n", with: "")
        try (settings + """

            limits: {timeout_minutes: 60, max_trials: 4, max_concurrent_trials: 2}
            sweep:
              sampling_algorithm: grid
              early_termination: {type: bandit, slack_amount: 0.2, evaluation_interval: 5, delay_evaluation: 20}
            search_space:
              - learning_rate: "choice(0.01, 0.001)"
                momentum: "choice(0.9, 0.5)"

            """).write(to: sweep.appendingPathComponent("settings.yaml"), atomically: true, encoding: .utf8)
        for bundle in [alpha, beta, sweep] {
            let submitted = try RunnerSupport.spoolctl(["submit", "--spool", spool.path, bundle.path])
            #expect(submitted.status == 0, "\(submitted.stderr)")
        }

        var rng = SplitMix64(seed: 26)
        var kills = 0, cycles = 0
        while kills < Self.kills, cycles < Self.kills * 3 {
            cycles += 1
            let daemon = try SubmitEndToEndTests.daemon(spool, ["--grace", "2"])
            // 1 to 7 s: a daemon's start, a trainer's start (libtorch), mid-epoch, between epochs, between trials.
            Thread.sleep(forTimeInterval: 1 + Double(rng.next() % 6000) / 1000)
            let states = try RunnerSupport.status(spool: spool).map(\.state)
            kill(daemon.processIdentifier, SIGKILL)
            daemon.waitUntilExit()
            if states.contains("RUNNING") { kills += 1 }
            if !states.contains("RUNNING") && !states.contains("PENDING") { break }
            // The trainers die with their daemon (a parent-death signal).
            #expect(Self.trainers(of: spool, within: 5).isEmpty, "trainers outlived the daemon after kill \(kills)")
        }
        print("soak: \(kills) kills of the daemon while a job ran, in \(cycles) daemon starts")
        #expect(kills == Self.kills, "the jobs finished before \(Self.kills) kills: make them longer")

        let finish = try RunnerSupport.spoolctl(["serve", "--once", "--spool", spool.path])
        #expect(finish.status == 0, "\(finish.stderr)")
        let jobs = try RunnerSupport.status(spool: spool)
        #expect(jobs.count == 3, "one job per bundle: \(jobs.map(\.name))")
        var interruptions = 0
        for job in jobs {
            let id = job.id
            #expect(job.state == "COMPLETED", "\(id): \(job.reason)")
            #expect(job.attempts == 1, "\(id): the daemon's deaths are not the job's attempts: \(job)")
            interruptions += job.interruptions
            let detail = try RunnerSupport.detail(spool: spool, job: id)
            let trials = detail.trials
            #expect(trials.count == (job.name == "sweep" ? 4 : 1), "\(id): no trial added by the kills")
            for trial in trials {
                let number = trial.number
                let runs = trial.runs
                // Epochs trained more than once: at most the one in flight at each of this trial's interruptions.
                let log = (try? String(contentsOf: spool.appendingPathComponent("jobs/\(id)/trials/\(number)/train.log"), encoding: .utf8)) ?? ""
                let repeats = Self.epochsTrainedAgain(log)
                #expect(repeats <= max(0, runs.count - 1), "\(id) trial \(number): \(repeats) epochs trained again over \(runs.count) runs")
                let state = trial.state
                #expect(state == "COMPLETED" || state == "CANCELLED", "\(id) trial \(number): \(state): \(trial.reason)")
            }
        }
        print("soak: \(interruptions) interruptions recorded over the three jobs")
        #expect(interruptions >= Self.kills, "every kill while a job ran is an interruption of some job")
        let outbox = try FileManager.default.contentsOfDirectory(atPath: spool.appendingPathComponent("outbox").path)
        #expect(Set(outbox.filter { $0.hasPrefix("j-") }) == Set(jobs.map(\.id)), "\(outbox)")
        let processing = (try? FileManager.default.contentsOfDirectory(atPath: spool.appendingPathComponent("processing").path)) ?? []
        #expect(processing.filter { !$0.hasPrefix(".") }.isEmpty, "left in processing/: \(processing)")
        #expect(Self.trainers(of: spool, within: 5).isEmpty)
    }

    /// Epoch lines ("epoch 3/24: train loss ...") written more than once in a trial's log, over all its runs.
    static func epochsTrainedAgain(_ log: String) -> Int {
        var seen: [String: Int] = [:]
        for line in log.split(separator: "\n") {
            guard let range = line.range(of: #"epoch \d+/\d+: train loss"#, options: .regularExpression) else { continue }
            seen[String(line[range]), default: 0] += 1
        }
        return seen.values.reduce(0) { $0 + $1 - 1 }
    }

    /// Trainer processes working in this spool, once `within` seconds have passed for them to end.
    static func trainers(of spool: URL, within seconds: Double) -> [Int32] {
        var found: [Int32] = []
        let deadline = Date().addingTimeInterval(seconds)
        repeat {
            found = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap(Int32.init).filter { pid in
                guard let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
                let text = String(decoding: cmdline, as: UTF8.self)
                return text.contains("spool-trainer") && text.contains(spool.path)
            }
            if found.isEmpty { return [] }
            Thread.sleep(forTimeInterval: 0.2)
        } while Date() < deadline
        return found
    }
}
