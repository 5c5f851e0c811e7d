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
    /// After this many claims, a job whose lease lapsed fails instead of being requeued. A daemon that died or
    /// stopped while it ran the job gives the attempt back (`interruptions` counts those).
    public var maxAttempts: Int
    /// Times the daemon died or stopped while it ran the job: not the job's doing, not counted as attempts.
    public var interruptions: Int
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
    /// The daemon's cap on it (`serve --max-job-seconds`), recorded when a daemon runs the job with a lower one.
    public var budgetCapSeconds: Int?
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
        case attempts, maxAttempts = "max_attempts", interruptions
        case leaseOwner = "lease_owner", leaseExpiresAt = "lease_expires_at"
        case bundleSHA256 = "bundle_sha256", bundlePath = "bundle_path", settingsJSON = "settings_json"
        case budgetSeconds = "budget_seconds", budgetCapSeconds = "budget_cap_seconds", outboxPath = "outbox_path"
        case bestMetricName = "best_metric_name", bestMetricValue = "best_metric_value"
        case cancelRequested = "cancel_requested", scheduleKey = "schedule_key"
    }

    /// The budget the job runs under: its own, or the daemon's cap when lower.
    public var effectiveBudgetSeconds: Int { min(budgetSeconds, budgetCapSeconds ?? budgetSeconds) }

    /// The columns the store queries by.
    public enum Columns {
        public static let id = Column("id")
        public static let state = Column("state")
        public static let bundleSHA256 = Column("bundle_sha256")
        public static let scheduleKey = Column("schedule_key")
        public static let createdAt = Column("created_at")
    }
}

extension Job {
    /// Reads a row by hand: `spoolctl status` reads thousands, and the Decodable path is several times slower.
    public init(row: Row) throws {
        func value<T: DatabaseValueConvertible>(_ key: CodingKeys) throws -> T {
            try row.decode(forColumn: key.rawValue)
        }
        let taskName: String = try value(.task)
        guard let task = ImageTask(rawValue: taskName) else {
            throw JobStoreError(.schemaTooNew,
                "job \(row[CodingKeys.id.rawValue] ?? "?") has the task \(taskName), which this spool does not know")
        }
        id = try value(.id)
        name = try value(.name)
        self.task = task
        state = try value(.state)
        reason = try value(.reason)
        priority = try value(.priority)
        createdAt = try value(.createdAt)
        startedAt = try value(.startedAt)
        finishedAt = try value(.finishedAt)
        attempts = try value(.attempts)
        maxAttempts = try value(.maxAttempts)
        interruptions = try value(.interruptions)
        leaseOwner = try value(.leaseOwner)
        leaseExpiresAt = try value(.leaseExpiresAt)
        bundleSHA256 = try value(.bundleSHA256)
        bundlePath = try value(.bundlePath)
        settingsJSON = try value(.settingsJSON)
        budgetSeconds = try value(.budgetSeconds)
        budgetCapSeconds = try value(.budgetCapSeconds)
        outboxPath = try value(.outboxPath)
        bestMetricName = try value(.bestMetricName)
        bestMetricValue = try value(.bestMetricValue)
        cancelRequested = try value(.cancelRequested)
        scheduleKey = try value(.scheduleKey)
    }
}
