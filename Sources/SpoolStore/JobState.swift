import GRDB

/// The state of a job or a trial: Slurm's words, a closed set that the database enforces with a `CHECK`.
///
/// PENDING and RUNNING are live; every other state is final: nothing leaves it.
public enum JobState: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible,
    DatabaseValueConvertible
{
    case pending = "PENDING"
    case running = "RUNNING"
    case completed = "COMPLETED"
    case failed = "FAILED"
    case timeout = "TIMEOUT"
    case cancelled = "CANCELLED"
    case outOfMemory = "OUT_OF_MEMORY"

    /// True for the states a job ends in.
    public var isFinal: Bool { self != .pending && self != .running }

    public var description: String { rawValue }

    /// The states that end a job or trial.
    public static let finalStates: [JobState] = allCases.filter(\.isFinal)
}
