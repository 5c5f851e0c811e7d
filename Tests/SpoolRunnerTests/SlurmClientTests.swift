import Foundation
import SpoolCore
@testable import SpoolRunner
import SpoolStore
import Testing

/// The Slurm client: what it asks sbatch for, how it reads squeue, and the same against a real one-node Slurm
/// (Debian's slurm-wlm 22.05 and munge, started by scripts/slurm/local-cluster.sh in a temporary folder).
@Suite struct SlurmClientTests {
    /// A trial's request: resources, the time limit with its warning signal, requeue, the log, and a script that
    /// execs the command so that the signal reaches the trainer.
    @Test func aRequestAsksForWhatTheTrialNeeds() {
        let request = SlurmBatchRequest(
            jobName: "spool-j-0001-t3", command: ["/opt/spool/bin/spool-trainer", "train", "--bundle", "/spool/jobs/a b"],
            workingDirectory: URL(fileURLWithPath: "/spool/jobs/j/trials/3"), logFile: URL(fileURLWithPath: "/spool/jobs/j/trials/3/train.log"),
            partition: "gpu", gpus: 2, cpusPerTask: 8, memoryMiB: 32000, timeLimitMinutes: 45, warningSeconds: 90,
            environment: ["SPOOL_X": "1", "LIST": "a,b"])
        let arguments = request.sbatchArguments
        for expected in ["--parsable", "--job-name=spool-j-0001-t3", "--partition=gpu", "--gres=gpu:2", "--cpus-per-task=8",
                         "--mem=32000", "--time=45", "--signal=B:TERM@90", "--requeue", "--chdir=/spool/jobs/j/trials/3",
                         "--output=/spool/jobs/j/trials/3/train.log", "--export=ALL,SPOOL_X=1"] {
            #expect(arguments.contains(expected), "\(expected) missing from \(arguments)")
        }
        #expect(request.script.contains("exec /opt/spool/bin/spool-trainer train --bundle '/spool/jobs/a b'\n"))
        #expect(request.script.contains("export LIST='a,b'\n"))
        #expect(SlurmBatchRequest.quote("it's") == "'it'\\''s'")
        var noGPU = request
        noGPU.gpus = 0
        noGPU.requeue = false
        noGPU.timeLimitMinutes = 0
        #expect(!noGPU.sbatchArguments.contains { $0.hasPrefix("--gres") })
        #expect(noGPU.sbatchArguments.contains("--no-requeue"))
        #expect(noGPU.sbatchArguments.contains("--time=1"))
    }

    /// squeue --json of Slurm 22.05 (exit_code a wait status) and of later versions (exit_code an object).
    @Test func squeueJSONIsRead() throws {
        let json = """
        {"meta": {}, "jobs": [
          {"job_id": 7, "name": "t1", "job_state": "PENDING", "state_reason": "Resources", "nodes": "", "exit_code": 0, "restart_cnt": 0},
          {"job_id": 8, "name": "t2", "job_state": "FAILED", "state_reason": "NonZeroExitCode", "nodes": "n1", "exit_code": 768, "restart_cnt": 1},
          {"job_id": 9, "name": "t3", "job_state": "FAILED", "state_reason": "JobLaunchFailure", "nodes": "n1", "exit_code": 9},
          {"job_id": 10, "name": "t4", "job_state": ["OUT_OF_MEMORY"], "state_reason": "OutOfMemory", "nodes": "n2",
           "exit_code": {"status": "SIGNALED", "return_code": 0, "signal": {"id": 9}}, "restart_cnt": {"set": true, "number": 2}},
          {"job_id": 11, "name": "t5", "job_state": "NODE_FAIL", "state_reason": "None", "nodes": "n3", "exit_code": 0},
          {"job_id": 12, "name": "t6", "job_state": "WEIRD_NEW", "state_reason": "None", "exit_code": 0}
        ]}
        """
        let statuses = Dictionary(uniqueKeysWithValues: try SlurmJobStatus.parse(squeueJSON: Data(json.utf8)).map { ($0.id, $0) })
        #expect(statuses["7"]?.state == .pending)
        #expect(statuses["7"]?.reason == "Resources")
        #expect(statuses["7"]?.nodes == nil)
        #expect(statuses["7"]?.summary == "PENDING (Resources)")
        #expect(statuses["8"]?.exitStatus == 3)
        #expect(statuses["8"]?.restarts == 1)
        #expect(statuses["8"]?.summary == "FAILED (NonZeroExitCode, exit 3)")
        #expect(statuses["9"]?.signal == 9)
        #expect(statuses["9"]?.exitStatus == nil)
        #expect(statuses["10"]?.state == .outOfMemory)
        #expect(statuses["10"]?.signal == 9)
        #expect(statuses["10"]?.restarts == 2)
        #expect(statuses["11"]?.state?.isRetriable == true)
        #expect(statuses["11"]?.reason == nil)
        #expect(statuses["12"]?.state == nil)
        #expect(statuses["12"]?.stateWord == "WEIRD_NEW")
        #expect(throws: SlurmError.self) { try SlurmJobStatus.parse(squeueJSON: Data("{}".utf8)) }
    }

    /// Slurm's states as Spool's: a failed node or a preemption is a requeue (PENDING), not a failure.
    @Test func slurmStatesMapToSpoolStates() {
        #expect(SlurmState(word: "CANCELLED by 0") == .cancelled)
        #expect(SlurmState(word: "running") == .running)
        #expect(SlurmState.timeout.spoolState == .timeout)
        #expect(SlurmState.outOfMemory.spoolState == .outOfMemory)
        #expect(SlurmState.preempted.spoolState == .pending)
        #expect(SlurmState.nodeFail.spoolState == .pending)
        #expect(SlurmState.completing.spoolState == .running)
        #expect(SlurmState.completed.isActive == false)
        #expect(SlurmState.requeued.isActive)
        for state in SlurmState.allCases where state.isRetriable { #expect(!state.isActive) }
    }

    /// A command missing from PATH, and a refusal, say what to do and keep Slurm's own message.
    /// sinfo's time limits, in every form Slurm prints them, in whole minutes (rounded down: a job may not ask more).
    @Test func partitionTimeLimitsAreRead() throws {
        let cases: [(String, Int?)] = [("infinite", nil), ("UNLIMITED", nil), ("30", 30), ("5:30", 5), ("2:00:00", 120),
                                       ("1-00:00:00", 1440), ("2-12", 3600), ("1-01:30", 1530), ("0:20", 1), ("soon", nil)]
        for (text, minutes) in cases {
            #expect(SlurmClient.minutes(ofTimeLimit: text) == minutes, "\(text)")
        }
        let client = SlurmClient { tool, arguments in
            #expect(tool == "sinfo")
            let listing = "debug 30\ngpu* 2-00:00:00\nlong infinite\n"
            return ChildProcess.Output(status: 0, signalled: false, stdout: Data(listing.utf8), stderr: Data(), timedOut: false)
        }
        #expect(try client.partitionTimeLimitMinutes(nil) == 2880, "the default partition is marked *")
        #expect(try client.partitionTimeLimitMinutes("debug") == 30)
        #expect(try client.partitionTimeLimitMinutes("long") == nil)
        #expect(throws: SlurmError.self) { try client.partitionTimeLimitMinutes("nope") }
    }

    @Test func errorsSayWhatToDo() throws {
        let client = SlurmClient(environment: ["PATH": "/nonexistent"])
        #expect(throws: SlurmError.missingCommand("squeue")) { try client.statuses(of: ["1"]) }
        let refusing = SlurmClient { tool, _ in
            ChildProcess.Output(status: 1, signalled: false, stdout: Data(),
                                stderr: Data("sbatch: error: invalid partition specified: gpu\n".utf8), timedOut: false)
        }
        let request = SlurmBatchRequest(jobName: "x", command: ["true"], workingDirectory: URL(fileURLWithPath: "/tmp"),
                                        logFile: URL(fileURLWithPath: "/tmp/x.log"), timeLimitMinutes: 1)
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("slurm-\(UUID().uuidString).sh")
        defer { try? FileManager.default.removeItem(at: script) }
        #expect(throws: SlurmError.refused(command: "sbatch", message: "sbatch: error: invalid partition specified: gpu")) {
            try refusing.submit(request, scriptFile: script)
        }
    }

    /// Against a real Slurm: a job that succeeds, one that exits 3, one killed by a signal, one cancelled while
    /// it runs; each read back through squeue with its state, node and exit.
    @Test(.timeLimit(.minutes(3))) func aRealSlurmRunsCancelsAndReports() throws {
        let cluster = try LocalSlurm.start()
        defer { cluster.stop() }
        let client = SlurmClient(environment: cluster.environment)
        func submit(_ name: String, _ command: [String], minutes: Int = 1) throws -> String {
            let request = SlurmBatchRequest(jobName: name, command: command, workingDirectory: cluster.directory,
                                            logFile: cluster.directory.appendingPathComponent("\(name).log"),
                                            memoryMiB: 100, timeLimitMinutes: minutes, environment: ["SPOOL_GREETING": "hello, slurm"])
            return try client.submit(request, scriptFile: cluster.directory.appendingPathComponent("\(name).sh"))
        }
        let ok = try submit("ok", ["/bin/sh", "-c", "echo \"$SPOOL_GREETING\" > greeting.txt"])
        let three = try submit("three", ["/bin/sh", "-c", "exit 3"])
        let killed = try submit("killed", ["/bin/sh", "-c", "kill -9 $$"])
        let long = try submit("long", ["/bin/sleep", "120"], minutes: 5)
        #expect(Set([ok, three, killed, long]).count == 4)

        func wait(_ ids: [String], until done: ([String: SlurmJobStatus]) -> Bool) throws -> [String: SlurmJobStatus] {
            for _ in 0..<240 {
                let statuses = try client.statuses(of: ids)
                if done(statuses) { return statuses }
                Thread.sleep(forTimeInterval: 0.25)
            }
            return try client.statuses(of: ids)
        }
        let running = try wait([long]) { $0[long]?.state == .running }
        #expect(running[long]?.state == .running)
        #expect(running[long]?.nodes == "spoolnode")
        try client.cancel(long)
        let ended = try wait([ok, three, killed, long]) { statuses in
            [ok, three, killed, long].allSatisfy { statuses[$0]?.state.map { !$0.isActive } ?? false }
        }
        #expect(ended[ok]?.state == .completed)
        #expect(ended[ok]?.exitStatus == 0)
        #expect(try String(contentsOf: cluster.directory.appendingPathComponent("greeting.txt"), encoding: .utf8) == "hello, slurm\n")
        #expect(ended[three]?.state == .failed)
        #expect(ended[three]?.exitStatus == 3)
        #expect(ended[three]?.state?.spoolState == .failed)
        #expect(ended[killed]?.state == .failed)
        #expect(ended[killed]?.signal == 9)
        #expect(ended[long]?.state == .cancelled)
        #expect(ended[long]?.state?.spoolState == .cancelled)
        // Cancelling what already ended is not an error; an id Slurm never had is simply absent.
        try client.cancel(ok)
        #expect(try client.statuses(of: ["999999"]).isEmpty)
    }
}

/// A one-node Slurm for one test, in a temporary folder (scripts/slurm/local-cluster.sh), stopped after it.
struct LocalSlurm {
    let directory: URL
    var environment: [String: String] { ["SLURM_CONF": directory.appendingPathComponent("slurm.conf").path] }
    static let script = RunnerSupport.repository.appendingPathComponent("scripts/slurm/local-cluster.sh")

    static func start(cpus: Int = 2) throws -> LocalSlurm {
        let directory = try RunnerSupport.temporaryDirectory("spool-slurm")
        let output = try RunnerSupport.run(script, ["start", directory.path, String(cpus)])
        guard output.status == 0 else {
            throw SlurmError.refused(command: "local-cluster.sh start", message: output.stderr)
        }
        return LocalSlurm(directory: directory)
    }

    /// `scontrol ARGUMENTS` against this cluster; throws with its error when it fails.
    func scontrol(_ arguments: [String]) throws {
        let output = try RunnerSupport.run(URL(fileURLWithPath: "/usr/bin/scontrol"), arguments, environment: environment)
        guard output.status == 0 else { throw SlurmError.refused(command: "scontrol", message: output.stderr) }
    }

    func stop() {
        _ = try? RunnerSupport.run(Self.script, ["stop", directory.path])
        try? FileManager.default.removeItem(at: directory)
    }
}
