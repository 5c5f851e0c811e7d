import Foundation

/// What `spoolctl submit --json` prints: the drop it made, and with `--wait` how the drop and its job ended.
/// A value not known yet is left out (the document grows as the drop is followed).
public struct SubmitOutcome: Codable, Sendable, Equatable {
    /// The bundle as given (a folder or an archive).
    public var bundle: String
    /// Its name in `incoming/`, and the SHA-256 the queue knows it by.
    public var drop: String?
    public var sha256: String?
    /// Where it was handed over.
    public var incoming: String?
    /// QUEUED, REJECTED, DUPLICATE (the drop); then the job's final state with --wait.
    public var outcome: String?
    public var job: String?
    public var state: String?
    public var reason: String?
    /// The problems that refused it (submit's own validation, or the daemon's `.error.json`).
    public var problems: [String] = []
    /// The job's best primary metric, and its outbox folder, once it ended.
    public var best: Double?
    public var outbox: String?
    /// The exit status the command ends with (documented in `submit --help`).
    public var exitCode: Int32 = 0

    public init(bundle: String) {
        self.bundle = bundle
    }

    enum CodingKeys: String, CodingKey {
        case bundle, drop, sha256, incoming, outcome, job, state, reason, problems, best, outbox
        case exitCode = "exit_code"
    }

    /// Reads the command's output.
    public static func decode(_ data: Data) throws -> SubmitOutcome {
        try ContractCoding.decoder().decode(SubmitOutcome.self, from: data)
    }
}
