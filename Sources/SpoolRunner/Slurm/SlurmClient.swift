import Foundation
import SpoolCore

/// Slurm's client commands (`sbatch`, `squeue`, `scancel`), run as child processes: nothing here links Slurm,
/// and every call ends within its time limit, so a slow controller delays one poll, never the spool's intake.
public struct SlurmClient: Sendable {
    /// Runs one Slurm command: the tool's name and its arguments. Tests inject a recording runner.
    public typealias Runner = @Sendable (_ tool: String, _ arguments: [String]) throws -> ChildProcess.Output

    let run: Runner

    public init(run: @escaping Runner) {
        self.run = run
    }

    /// The commands found on `PATH` (or in `binDirectory`), with `environment` (SLURM_CONF, for one) added to
    /// the daemon's; each call is killed after `timeout` seconds.
    public init(environment: [String: String] = [:], binDirectory: URL? = nil, timeout: Double = 30) {
        var merged = ProcessInfo.processInfo.environment
        merged.merge(environment) { $1 }
        let path = merged["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        let searched = [binDirectory?.path].compactMap { $0 } + path.split(separator: ":").map(String.init)
        let finalEnvironment = merged
        self.run = { tool, arguments in
            guard let directory = searched.first(where: { FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)") }) else {
                throw SlurmError.missingCommand(tool)
            }
            do {
                return try ChildProcess.run(URL(fileURLWithPath: "\(directory)/\(tool)"), arguments,
                                            environment: finalEnvironment, timeout: timeout)
            } catch {
                throw SlurmError.refused(command: tool, message: "\(error)")
            }
        }
    }

    /// Writes the request's script to `scriptFile` and submits it; returns Slurm's job id.
    public func submit(_ request: SlurmBatchRequest, scriptFile: URL) throws -> String {
        try Data(request.script.utf8).write(to: scriptFile, options: .atomic)
        let output = try run("sbatch", request.sbatchArguments + [scriptFile.path])
        guard output.succeeded else { throw Self.refusal("sbatch", output) }
        // --parsable prints "ID" or "ID;CLUSTER".
        let first = output.stdoutText.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        let id = first.split(separator: ";").first.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? ""
        guard !id.isEmpty, id.allSatisfy({ $0.isNumber || $0 == "_" }) else {
            throw SlurmError.unreadable(command: "sbatch --parsable", detail: "expected a job id, got \"\(first)\"")
        }
        return id
    }

    /// The status of each of `ids` that Slurm still knows (it forgets ended jobs after MinJobAge: an id missing
    /// from the answer is for the caller to settle from the trial's own files).
    public func statuses(of ids: [String]) throws -> [String: SlurmJobStatus] {
        guard !ids.isEmpty else { return [:] }
        let output = try run("squeue", ["--json", "--states=all", "--jobs=\(ids.joined(separator: ","))"])
        guard output.succeeded else {
            // An id Slurm no longer knows makes squeue fail when it is the only one asked for.
            if output.stderrText.contains("Invalid job id") { return [:] }
            throw Self.refusal("squeue", output)
        }
        // Slurm 22.05's --json ignores --jobs: filter here.
        let wanted = Set(ids)
        var result: [String: SlurmJobStatus] = [:]
        for status in try SlurmJobStatus.parse(squeueJSON: output.stdout) where wanted.contains(status.id) {
            result[status.id] = status
        }
        return result
    }

    /// Cancels a job; with `signal` (TERM), signals its batch script instead, which lets the trainer stop
    /// gracefully with its best model. A job that already ended is not an error.
    public func cancel(_ id: String, signal: String? = nil) throws {
        var arguments: [String] = []
        if let signal { arguments += ["--batch", "--signal=\(signal)"] }
        let output = try run("scancel", arguments + [id])
        guard output.succeeded || output.stderrText.contains("already completing or completed")
            || output.stderrText.contains("Invalid job id") else {
            throw Self.refusal("scancel", output)
        }
    }

    /// The longest time limit, in whole minutes, a job may ask of `partition` (nil: the cluster's default partition),
    /// from `sinfo`; nil when the partition has none (`infinite`). A job asking more would wait for ever
    /// (`PartitionTimeLimit`) or be refused.
    public func partitionTimeLimitMinutes(_ partition: String?) throws -> Int? {
        let output = try run("sinfo", ["--noheader", "--format=%P %l"] + (partition.map { ["--partition=\($0)"] } ?? []))
        guard output.succeeded else { throw Self.refusal("sinfo", output) }
        for line in output.stdoutText.split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard fields.count == 2 else { continue }
            // The default partition is marked with a trailing '*'.
            let name = fields[0].hasSuffix("*") ? String(fields[0].dropLast()) : fields[0]
            if partition.map({ $0 == name }) ?? fields[0].hasSuffix("*") { return Self.minutes(ofTimeLimit: fields[1]) }
        }
        if let partition {
            throw SlurmError.refused(command: "sinfo", message: "there is no partition \(partition) (sinfo lists the partitions)")
        }
        return nil
    }

    /// Slurm's time format ("infinite", "MM", "MM:SS", "HH:MM:SS", "D-HH", "D-HH:MM", "D-HH:MM:SS") in whole minutes,
    /// rounded down; nil for no limit.
    static func minutes(ofTimeLimit text: String) -> Int? {
        let lowered = text.lowercased()
        guard !["infinite", "unlimited", "n/a", "none", ""].contains(lowered) else { return nil }
        var days = 0, rest = Substring(lowered)
        if let dash = lowered.firstIndex(of: "-") {
            guard let d = Int(lowered[..<dash]) else { return nil }
            days = d
            rest = lowered[lowered.index(after: dash)...]
        }
        let parts = rest.split(separator: ":").map { Int($0) }
        guard !parts.isEmpty, parts.count <= 3, parts.allSatisfy({ $0 != nil }) else { return nil }
        let p = parts.map { $0! }
        let (hours, minutes, seconds): (Int, Int, Int)
        if days > 0 || lowered.contains("-") {
            // After "D-": hours, then minutes, then seconds.
            (hours, minutes, seconds) = (p[0], p.count > 1 ? p[1] : 0, p.count > 2 ? p[2] : 0)
        } else {
            switch p.count {
            case 1: (hours, minutes, seconds) = (0, p[0], 0)
            case 2: (hours, minutes, seconds) = (0, p[0], p[1])
            default: (hours, minutes, seconds) = (p[0], p[1], p[2])
            }
        }
        return max(1, ((days * 24 + hours) * 60 * 60 + minutes * 60 + seconds) / 60)
    }

    static func refusal(_ tool: String, _ output: ChildProcess.Output) -> SlurmError {
        let message = output.lastErrorLine ?? output.endDescription
        return .refused(command: tool, message: message)
    }
}
