import Foundation
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

    /// squeue's compact code: PD, R, CD, F, TO, CA, OOM.
    public var code: String {
        switch self {
        case .pending: "PD"
        case .running: "R"
        case .completed: "CD"
        case .failed: "F"
        case .timeout: "TO"
        case .cancelled: "CA"
        case .outOfMemory: "OOM"
        }
    }

    /// A state as a person or a script names it: its name in any case (`running`) or squeue's code (`R`).
    public init?(named text: String) {
        let upper = text.trimmingCharacters(in: .whitespaces).uppercased()
        guard let state = JobState(rawValue: upper) ?? Self.allCases.first(where: { $0.code == upper }) else { return nil }
        self = state
    }
}
