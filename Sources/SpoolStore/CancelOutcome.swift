/// What `requestCancel` did.
public enum CancelOutcome: Sendable, Hashable {
    /// The job was PENDING: it is CANCELLED now.
    case cancelled(Job)
    /// The job is RUNNING: `cancelRequested` is set, and the daemon stops it at its next heartbeat.
    case requested(Job)
    /// The job had already finished: nothing changed.
    case alreadyFinished(Job)

    public var job: Job {
        switch self {
        case .cancelled(let job), .requested(let job), .alreadyFinished(let job): job
        }
    }
}
