import Foundation

/// One Slurm job as `squeue --json` describes it: its state, Slurm's reason (why it waits, or why it ended),
/// where it runs and how it exited.
public struct SlurmJobStatus: Sendable, Equatable {
    public var id: String
    public var name: String
    /// nil for a state word this version of Spool does not know (kept in `stateWord`).
    public var state: SlurmState?
    public var stateWord: String
    /// Slurm's reason: `Resources`, `Priority`, `BeginTime` for a pending job; `NonZeroExitCode`,
    /// `TimeLimit` for an ended one; `None` is read as nil.
    public var reason: String?
    /// The node list (`spoolnode`, `gpu[01-02]`); nil before it is placed.
    public var nodes: String?
    /// The batch script's exit status, when it exited.
    public var exitStatus: Int32?
    /// The signal that ended the batch script, when one did.
    public var signal: Int32?
    /// How many times Slurm requeued it.
    public var restarts: Int
    /// Its time limit in minutes (`--time`); nil when it has none or squeue did not say.
    public var timeLimitMinutes: Int?

    public init(id: String, name: String, state: SlurmState?, stateWord: String, reason: String?, nodes: String?,
                exitStatus: Int32?, signal: Int32?, restarts: Int, timeLimitMinutes: Int? = nil) {
        self.id = id
        self.name = name
        self.state = state
        self.stateWord = stateWord
        self.reason = reason
        self.nodes = nodes
        self.exitStatus = exitStatus
        self.signal = signal
        self.restarts = restarts
        self.timeLimitMinutes = timeLimitMinutes
    }

    /// `PENDING (Resources)`, `RUNNING on spoolnode`, `FAILED (NonZeroExitCode, exit 3)`.
    public var summary: String {
        var text = stateWord
        var details: [String] = []
        if let reason { details.append(reason) }
        if let exitStatus, exitStatus != 0 { details.append("exit \(exitStatus)") }
        if let signal { details.append("signal \(signal)") }
        if !details.isEmpty { text += " (" + details.joined(separator: ", ") + ")" }
        if let nodes, !nodes.isEmpty, state?.isActive ?? false { text += " on \(nodes)" }
        return text
    }
}

extension SlurmJobStatus {
    /// The jobs of `squeue --json` (Slurm 22.05's openapi v0.0.38 document; later versions' `job_state` lists and
    /// `{set, number}` numbers are read too). `exit_code` there is the wait status: the exit status in its high
    /// byte, a terminating signal in its low bits.
    public static func parse(squeueJSON data: Data) throws -> [SlurmJobStatus] {
        guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let jobs = root["jobs"] as? [[String: Any]]
        else {
            throw SlurmError.unreadable(command: "squeue --json", detail: "no \"jobs\" list in its output")
        }
        return jobs.compactMap { job in
            guard let id = number(job["job_id"]) else { return nil }
            let word: String
            if let list = job["job_state"] as? [String] {
                word = list.first ?? "UNKNOWN"
            } else {
                word = job["job_state"] as? String ?? "UNKNOWN"
            }
            let reason = (job["state_reason"] as? String).flatMap { $0 == "None" || $0.isEmpty ? nil : $0 }
            let nodes = (job["nodes"] as? String).flatMap { $0.isEmpty ? nil : $0 }
            var exitStatus: Int32?
            var signal: Int32?
            if let exit = job["exit_code"] as? [String: Any] {
                exitStatus = number(exit["return_code"]).map(Int32.init)
                signal = (exit["signal"] as? [String: Any]).flatMap { number($0["id"]) }.map(Int32.init)
                if signal == 0 { signal = nil }
            } else if let raw = number(job["exit_code"]) {
                let status = Int32(truncatingIfNeeded: raw)
                if status & 0x7f != 0 { signal = status & 0x7f } else { exitStatus = (status >> 8) & 0xff }
            }
            return SlurmJobStatus(id: String(id), name: job["name"] as? String ?? "", state: SlurmState(word: word),
                                  stateWord: word, reason: reason, nodes: nodes, exitStatus: exitStatus, signal: signal,
                                  restarts: number(job["restart_cnt"]) ?? 0, timeLimitMinutes: number(job["time_limit"]))
        }
    }

    /// A JSON number, or Slurm 23's `{"set": true, "number": N}`.
    private static func number(_ value: Any?) -> Int? {
        if let int = value as? Int { return int }
        if let double = value as? Double { return Int(double) }
        if let wrapped = value as? [String: Any], wrapped["set"] as? Bool ?? true { return number(wrapped["number"]) }
        return nil
    }
}
