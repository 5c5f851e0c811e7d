import Foundation

/// What one trial asks of Slurm: its resources, its time limit and how it is warned before the limit, and the
/// command it runs in its working directory on the shared filesystem. `sbatchArguments` and `script` are what
/// `sbatch --parsable` is given.
public struct SlurmBatchRequest: Sendable, Equatable {
    public var jobName: String
    /// The program and its arguments (`spool-trainer train ...`).
    public var command: [String]
    public var workingDirectory: URL
    /// Where the batch script's standard output and error go (the trial's log).
    public var logFile: URL
    /// Where the command's standard output goes instead, when set (the trainer's progress events).
    public var standardOutput: URL?
    public var partition: String?
    /// GPUs per node (`--gres=gpu:N`); 0 asks for none.
    public var gpus: Int
    public var cpusPerTask: Int
    /// Processes (`--ntasks`): more than one run as one `srun` of a data-parallel trainer, each told its rank
    /// by Slurm (SPOOL_RANK from SLURM_PROCID) and meeting the others at a port derived from the job id.
    public var tasks: Int
    /// Memory per node in MiB (`--mem`); nil leaves Slurm's default.
    public var memoryMiB: Int?
    /// Minutes (Slurm's `--time` granularity), at least 1.
    public var timeLimitMinutes: Int
    /// Seconds before the limit at which Slurm sends SIGTERM to the trial, so that it saves what it has and stops
    /// (nil: no warning; at the limit Slurm sends SIGTERM, then SIGKILL after its KillWait).
    public var warningSeconds: Int?
    /// Whether Slurm may requeue it after a node failure or a preemption.
    public var requeue: Bool
    /// Added to the environment the job inherits from `sbatch` (`--export=ALL,...`).
    public var environment: [String: String]

    public init(jobName: String, command: [String], workingDirectory: URL, logFile: URL, partition: String? = nil,
                gpus: Int = 0, cpusPerTask: Int = 1, memoryMiB: Int? = nil, timeLimitMinutes: Int,
                warningSeconds: Int? = 60, requeue: Bool = true, environment: [String: String] = [:],
                standardOutput: URL? = nil, tasks: Int = 1) {
        self.tasks = max(1, tasks)
        self.jobName = jobName
        self.command = command
        self.workingDirectory = workingDirectory
        self.logFile = logFile
        self.partition = partition
        self.gpus = gpus
        self.cpusPerTask = cpusPerTask
        self.memoryMiB = memoryMiB
        self.timeLimitMinutes = timeLimitMinutes
        self.warningSeconds = warningSeconds
        self.requeue = requeue
        self.environment = environment
        self.standardOutput = standardOutput
    }

    /// `sbatch`'s options, before the script's path.
    public var sbatchArguments: [String] {
        var arguments = ["--parsable", "--job-name=\(jobName)", "--chdir=\(workingDirectory.path)",
                         "--output=\(logFile.path.replacingOccurrences(of: "%", with: "%%"))", "--open-mode=append", "--nodes=1", "--ntasks=\(tasks)",
                         "--cpus-per-task=\(max(1, cpusPerTask))", "--time=\(max(1, timeLimitMinutes))",
                         requeue ? "--requeue" : "--no-requeue"]
        // B: the batch shell, which execs the trainer: the trainer itself gets the signal.
        if let warningSeconds { arguments.append("--signal=B:TERM@\(max(1, warningSeconds))") }
        if let partition { arguments.append("--partition=\(partition)") }
        if gpus > 0 { arguments.append("--gres=gpu:\(gpus)") }
        if let memoryMiB { arguments.append("--mem=\(memoryMiB)") }
        if !environment.isEmpty {
            // --export splits on commas: values holding one are passed through the script instead.
            let plain = environment.filter { !$0.value.contains(",") }.keys.sorted()
            arguments.append("--export=" + (["ALL"] + plain.map { "\($0)=\(environment[$0]!)" }).joined(separator: ","))
        }
        return arguments
    }

    /// The batch script: into the working directory, the environment values `--export` cannot carry, then
    /// `exec` of the command, so that Slurm's signals reach the trainer and its exit status is the job's.
    public var script: String {
        var lines = ["#!/bin/sh", "# Written by Spool for Slurm: \(jobName)", "cd \(Self.quote(workingDirectory.path)) || exit 1"]
        for key in environment.keys.sorted() where environment[key]!.contains(",") {
            lines.append("export \(key)=\(Self.quote(environment[key]!))")
        }
        let redirect = standardOutput.map { " >>" + Self.quote($0.path) } ?? ""
        if tasks > 1 {
            // One node: the processes meet on its loopback, at a port of the job's own (20000 + id mod 20000).
            lines.append("export SPOOL_WORLD_SIZE=\"$SLURM_NTASKS\" SPOOL_RENDEZVOUS=\"127.0.0.1:$((20000 + SLURM_JOB_ID % 20000))\"")
            lines.append("exec srun --kill-on-bad-exit=1 sh -c 'SPOOL_RANK=$SLURM_PROCID SPOOL_LOCAL_RANK=$SLURM_LOCALID exec \"$0\" \"$@\"' "
                + command.map(Self.quote).joined(separator: " ") + redirect)
        } else {
            lines.append("exec " + command.map(Self.quote).joined(separator: " ") + redirect)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A word for sh: single-quoted, a single quote inside written '\''.
    static func quote(_ word: String) -> String {
        if !word.isEmpty, word.allSatisfy({ $0.isLetter || $0.isNumber || "-_./=:@%+".contains($0) }), word.allSatisfy(\.isASCII) {
            return word
        }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
