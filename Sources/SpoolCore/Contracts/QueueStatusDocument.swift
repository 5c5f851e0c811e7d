import Foundation

/// `spoolctl status --json`: the queue's newest jobs, the totals per state, the daemon, the drops waiting and
/// the drops that did not become jobs. A value there is none of is written as null, never left out.
public struct QueueStatusDocument: Codable, Sendable, ContractDocument, Equatable {
    public struct Daemon: Codable, Sendable, Equatable {
        /// Whether a daemon holds the spool's lock.
        public var serving: Bool
        /// Its process id; null when none serves.
        public var pid: Int?

        public init(serving: Bool, pid: Int?) {
            self.serving = serving
            self.pid = pid
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(serving, forKey: .serving)
            try c.encode(pid, forKey: .pid)
        }
    }

    /// Drops not taken yet: in `incoming/`, and in `processing/` (being unpacked).
    public struct Waiting: Codable, Sendable, Equatable {
        public var incoming: Int
        public var processing: Int

        public init(incoming: Int, processing: Int) {
            self.incoming = incoming
            self.processing = processing
        }
    }

    /// A drop the intake took that did not become a job (rejected, or a duplicate of one).
    public struct Drop: Codable, Sendable, Equatable {
        /// Its name in `incoming/`.
        public var drop: String
        /// `REJECTED` or `DUPLICATE`.
        public var outcome: String
        public var reason: String
        public var takenAt: Date
        /// The job a duplicate repeats.
        public var job: String?
        /// Where it was kept (`failed/NAME`).
        public var kept: String?
        public var sha256: String?

        public init(drop: String, outcome: String, reason: String, takenAt: Date, job: String?, kept: String?, sha256: String?) {
            self.drop = drop
            self.outcome = outcome
            self.reason = reason
            self.takenAt = takenAt
            self.job = job
            self.kept = kept
            self.sha256 = sha256
        }

        enum CodingKeys: String, CodingKey { case drop, outcome, reason, takenAt = "taken_at", job, kept, sha256 }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(drop, forKey: .drop)
            try c.encode(outcome, forKey: .outcome)
            try c.encode(reason, forKey: .reason)
            try c.encode(takenAt, forKey: .takenAt)
            try c.encode(job, forKey: .job)
            try c.encode(kept, forKey: .kept)
            try c.encode(sha256, forKey: .sha256)
        }
    }

    /// The newest jobs first (`--limit`, `--states`, `--name` choose them).
    public var jobs: [JobStatusDocument]
    /// Jobs per state name, over the whole queue (states with none left out).
    public var totals: [String: Int]
    /// Jobs in the queue.
    public var total: Int
    public var daemon: Daemon
    public var waiting: Waiting
    /// The newest drops that did not become jobs (none with `--states`, `--name` or `--noheader`).
    public var drops: [Drop]

    public init(jobs: [JobStatusDocument], totals: [String: Int], total: Int, daemon: Daemon, waiting: Waiting, drops: [Drop]) {
        self.jobs = jobs
        self.totals = totals
        self.total = total
        self.daemon = daemon
        self.waiting = waiting
        self.drops = drops
    }

    /// Reads `spoolctl status --json`'s output.
    public static func decode(_ data: Data) throws -> QueueStatusDocument {
        try ContractCoding.decoder().decode(QueueStatusDocument.self, from: data)
    }
}
