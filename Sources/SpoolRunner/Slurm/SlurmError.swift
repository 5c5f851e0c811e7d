import Foundation

/// What went wrong talking to Slurm, in words an operator can act on.
public enum SlurmError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A Slurm command is not installed or not on PATH.
    case missingCommand(String)
    /// A command ran and refused: its own message is kept (`sbatch: error: invalid partition specified: gpu`).
    case refused(command: String, message: String)
    /// A command's output could not be read.
    case unreadable(command: String, detail: String)

    public var description: String {
        switch self {
        case let .missingCommand(name):
            "\(name) was not found: install Slurm's client commands (Debian: apt-get install slurm-client) or put them on PATH"
        case let .refused(command, message):
            "\(command) failed: \(message)"
        case let .unreadable(command, detail):
            "cannot read the output of \(command): \(detail)"
        }
    }
}
