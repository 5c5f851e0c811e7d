import Foundation
import SpoolCore
@testable import SpoolRunner
import Synchronization
import Testing

/// The Slurm follower against stand-in Slurm commands: one squeue a poll for all the trials it follows.
@Suite struct SlurmFollowerTests {
    /// What the stand-in commands saw, and how many times squeue listed each job.
    struct Calls {
        var squeue: [[String]] = []
        var scancel: [String] = []
        var cancelled: Set<String> = []
    }
    final class Recorder: Sendable {
        let calls: Mutex<Calls>
        init() { calls = Mutex(Calls()) }
    }

    /// Three trials at once are followed with one squeue a turn listing all of them (a per-trial poll would make
    /// three calls a turn, nine in all); a stop's scancel that the controller did not answer is sent again on the
    /// next turn; each trial ends as Slurm says.
    @Test func oneSqueueAPollFollowsEveryTrial() async throws {
        let recorder = Recorder()
        let client = SlurmClient { tool, arguments in
            switch tool {
            case "squeue":
                let ids = arguments.first { $0.hasPrefix("--jobs=") }.map { $0.dropFirst(7).split(separator: ",").map(String.init) } ?? []
                let jobs = recorder.calls.withLock { calls in
                    calls.squeue.append(ids)
                    return ids.map { id in
                        let seen = calls.squeue.filter { $0.contains(id) }.count
                        let state = calls.cancelled.contains(id) ? "CANCELLED" : seen >= 3 ? "COMPLETED" : "RUNNING"
                        return "{\"job_id\": \(id), \"name\": \"t\", \"job_state\": \"\(state)\", \"state_reason\": \"None\", \"nodes\": \"n1\", \"exit_code\": 0}"
                    }
                }
                let json = "{\"meta\": {}, \"jobs\": [\(jobs.joined(separator: ","))]}"
                return ChildProcess.Output(status: 0, signalled: false, stdout: Data(json.utf8), stderr: Data(), timedOut: false)
            case "scancel":
                let id = arguments.last ?? ""
                let first = recorder.calls.withLock { calls in
                    calls.scancel.append(id)
                    if calls.scancel.count > 1 { calls.cancelled.insert(id) }
                    return calls.scancel.count == 1
                }
                // The controller does not answer the first scancel.
                return ChildProcess.Output(status: first ? 1 : 0, signalled: false, stdout: Data(),
                                           stderr: first ? Data("scancel: error: Socket timed out on send/recv operation\n".utf8) : Data(),
                                           timedOut: false)
            default:
                Issue.record("unexpected \(tool)")
                return ChildProcess.Output(status: 1, signalled: false, stdout: Data(), stderr: Data(), timedOut: false)
            }
        }
        let directory = try RunnerSupport.temporaryDirectory("spool-slurm-follower")
        defer { try? FileManager.default.removeItem(at: directory) }
        let settings = SlurmExecutorSettings(pollSeconds: 0.2)
        let follower = SlurmFollower(client: client, pollSeconds: settings.pollSeconds)
        let trials: [SlurmTrial] = (1...3).map { number in
            SlurmTrial(.init(executable: URL(fileURLWithPath: "/bin/true"), arguments: [], environment: [:],
                             logFile: directory.appendingPathComponent("\(number).log")),
                       jobName: "spool-j-t\(number)", workingDirectory: directory, settings: settings, client: client,
                       timeLimitMinutes: 1, warningSeconds: nil, follower: follower)
        }
        for (index, trial) in trials.enumerated() { trial.attach(slurmJobID: "\(101 + index)") { _ in } }
        trials[1].stop(.policy, grace: 0)
        for _ in 0..<500 where trials.contains(where: \.isRunning) { try await Task.sleep(for: .milliseconds(20)) }
        let running = trials.filter(\.isRunning).count
        #expect(running == 0, "the follower ended every trial")

        let seen: Calls = recorder.calls.withLock { $0 }
        #expect(seen.squeue.count <= 4, "one squeue a turn for all trials, not one a trial: \(seen.squeue)")
        #expect(seen.squeue.contains { Set($0) == Set(["101", "102", "103"]) }, "\(seen.squeue)")
        #expect(await follower.polls == seen.squeue.count)
        #expect(seen.scancel == ["102", "102"], "the scancel the controller did not answer is sent again")
        #expect(trials[0].wait() == .completed)
        #expect(trials[1].wait() == TrialProcess.StopReason.policy.outcome)
        #expect(trials[2].wait() == .completed)
    }
}
