import Foundation
import GRDB
import SpoolCore

/// One row of `jobs`: a queued training job, its lease while a daemon runs it, and its outcome.
public struct Job: Sendable, Hashable, Codable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "jobs"

    /// `j-YYYYMMDD-NNNN` (see `JobID`).
    public var id: String
    public var name: String
    public var task: ImageTask
    public var state: JobState
    /// A sentence for a person, Slurm-like: why a job waits, how it ended.
    public var reason: String
    /// Higher runs first; equal priorities run in queueing order.
    public var priority: Int
    public var createdAt: Date
    /// When the first attempt started (a requeued job keeps it).
    public var startedAt: Date?
    public var finishedAt: Date?
    /// How many times a daemon claimed the job.
    public var attempts: Int
    /// After this many claims, a job whose daemon died fails instead of being requeued.
    public var maxAttempts: Int
    /// The daemon holding the job while it is RUNNING.
    public var leaseOwner: String?
    /// The lease lapses here unless the owner's heartbeat extends it.
    public var leaseExpiresAt: Date?
    /// The dropped bundle's SHA-256 (hex): the same bundle dropped twice is one job.
    public var bundleSHA256: String?
    /// Where the unpacked bundle lives.
    public var bundlePath: String
    /// The resolved settings, as JSON.
    public var settingsJSON: String
    /// The job's time budget.
    public var budgetSeconds: Int
    /// Where the finished job's outputs were written.
    public var outboxPath: String?
    public var bestMetricName: String?
    public var bestMetricValue: Double?
    /// Set on a RUNNING job by `requestCancel`: the daemon stops it and finishes it as CANCELLED.
    public var cancelRequested: Bool
    /// The schedule slot that queued the job (a cron slot fires once even if asked twice).
    public var scheduleKey: String?

    enum CodingKeys: String, CodingKey {
        case id, name, task, state, reason, priority
        case createdAt = "created_at", startedAt = "started_at", finishedAt = "finished_at"
        case attempts, maxAttempts = "max_attempts"
        case leaseOwner = "lease_owner", leaseExpiresAt = "lease_expires_at"
        case bundleSHA256 = "bundle_sha256", bundlePath = "bundle_path", settingsJSON = "settings_json"
        case budgetSeconds = "budget_seconds", outboxPath = "outbox_path"
        case bestMetricName = "best_metric_name", bestMetricValue = "best_metric_value"
        case cancelRequested = "cancel_requested", scheduleKey = "schedule_key"
    }

    /// The columns the store queries by.
    public enum Columns {
        public static let id = Column("id")
        public static let state = Column("state")
        public static let bundleSHA256 = Column("bundle_sha256")
        public static let scheduleKey = Column("schedule_key")
        public static let createdAt = Column("created_at")
    }
}
