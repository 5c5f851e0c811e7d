import SpoolStore

/// A Slurm job's state word (`squeue`'s and `sacct`'s), and what it means for a Spool trial.
public enum SlurmState: String, Sendable, Codable, CaseIterable {
    case pending = "PENDING"
    case configuring = "CONFIGURING"
    case running = "RUNNING"
    case completing = "COMPLETING"
    case suspended = "SUSPENDED"
    case requeued = "REQUEUED"
    case requeueHold = "REQUEUE_HOLD"
    case resizing = "RESIZING"
    case completed = "COMPLETED"
    case failed = "FAILED"
    case timeout = "TIMEOUT"
    case cancelled = "CANCELLED"
    case preempted = "PREEMPTED"
    case nodeFail = "NODE_FAIL"
    case outOfMemory = "OUT_OF_MEMORY"
    case bootFail = "BOOT_FAIL"
    case deadline = "DEADLINE"
    case revoked = "REVOKED"
    case specialExit = "SPECIAL_EXIT"
    case stopped = "STOPPED"

    /// Reads a state word; `CANCELLED by 0` (sacct) and lower case are accepted, anything unknown is nil.
    public init?(word: String) {
        let first = word.split(separator: " ").first.map(String.init) ?? word
        self.init(rawValue: first.uppercased())
    }

    /// Still Slurm's: waiting, starting, running or being requeued.
    public var isActive: Bool {
        switch self {
        case .pending, .configuring, .running, .completing, .suspended, .requeued, .requeueHold, .resizing, .stopped:
            true
        default:
            false
        }
    }

    /// Ended for a reason outside the trial (the node failed, a higher-priority job took it): the trial runs
    /// again from its checkpoint rather than failing.
    public var isRetriable: Bool {
        self == .preempted || self == .nodeFail || self == .bootFail
    }

    /// The Spool state of a trial in this Slurm state (a retriable end reads as PENDING: it is requeued).
    public var spoolState: JobState {
        switch self {
        case .pending, .requeued, .requeueHold, .configuring: .pending
        case .running, .completing, .suspended, .resizing, .stopped: .running
        case .completed: .completed
        case .timeout, .deadline: .timeout
        case .cancelled, .revoked: .cancelled
        case .outOfMemory: .outOfMemory
        case .preempted, .nodeFail, .bootFail: .pending
        case .failed, .specialExit: .failed
        }
    }
}
