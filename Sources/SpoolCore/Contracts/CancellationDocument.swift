import Foundation

/// One line of `spoolctl cancel --json` (JSON Lines, one per job named): what became of the request.
public struct CancellationDocument: Codable, Sendable, Equatable {
    /// The job's id; null when none matched the reference.
    public var job: String?
    /// The reference as given (an id, a unique end or start of one, or a name).
    public var reference: String
    /// `cancelled` (a pending job), `requested` (a running one: the daemon stops it shortly), `already_finished`
    /// or `not_found`.
    public var outcome: String
    /// The job's state after the request; null when none matched.
    public var state: String?
    /// What the command says about it in words.
    public var message: String

    public init(job: String?, reference: String, outcome: String, state: String?, message: String) {
        self.job = job
        self.reference = reference
        self.outcome = outcome
        self.state = state
        self.message = message
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(job, forKey: .job)
        try c.encode(reference, forKey: .reference)
        try c.encode(outcome, forKey: .outcome)
        try c.encode(state, forKey: .state)
        try c.encode(message, forKey: .message)
    }

    /// The one-line JSON the command prints.
    public func jsonLine() -> String {
        String(decoding: (try? ContractCoding.encoder(pretty: false).encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }

    /// Reads one line of the command's output.
    public static func decode(_ line: String) throws -> CancellationDocument {
        try ContractCoding.decoder().decode(CancellationDocument.self, from: Data(line.utf8))
    }
}
