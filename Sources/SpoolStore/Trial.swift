import Foundation
import GRDB

/// One row of `trials`: one hyperparameter configuration of a job, run by one trainer process.
public struct Trial: Sendable, Hashable, Codable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "trials"

    public var id: Int64
    public var jobID: String
    /// 0, 1, 2... within the job, in the order the trials started (Optuna's `trial.number`).
    public var number: Int
    public var state: JobState
    public var reason: String
    public var hyperparametersJSON: String
    public var startedAt: Date?
    public var finishedAt: Date?
    /// The highest epoch recorded (epochs count from 1).
    public var epochsDone: Int
    /// The best primary metric over the recorded epochs (higher is better: accuracy, IoU, mAP).
    public var bestMetricValue: Double?
    /// The trainer process, while it runs.
    public var pid: Int32?
    /// The device it runs on (`cpu`, a GPU UUID).
    public var device: String?
    /// The branch of the search space it drew from (nil outside sweeps).
    public var branch: Int?
    /// Its configuration's place in the sweep, from 0; a retry shares its original's.
    public var configurationIndex: Int?
    /// The trial this one retries (after running out of memory), by number.
    public var retryOf: Int?
    /// Its latest progress event while it runs (the trainer's JSON line: epoch, step, images/s, ETA).
    public var progressJSON: String?
    /// Its Slurm job id, when it runs in Slurm (`serve --executor slurm`).
    public var slurmJobID: String?

    public init(
        id: Int64, jobID: String, number: Int, state: JobState, reason: String, hyperparametersJSON: String = "{}",
        startedAt: Date? = nil, finishedAt: Date? = nil, epochsDone: Int = 0, bestMetricValue: Double? = nil,
        pid: Int32? = nil, device: String? = nil, branch: Int? = nil, configurationIndex: Int? = nil, retryOf: Int? = nil,
        progressJSON: String? = nil, slurmJobID: String? = nil
    ) {
        self.id = id
        self.jobID = jobID
        self.number = number
        self.state = state
        self.reason = reason
        self.hyperparametersJSON = hyperparametersJSON
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.epochsDone = epochsDone
        self.bestMetricValue = bestMetricValue
        self.pid = pid
        self.device = device
        self.branch = branch
        self.configurationIndex = configurationIndex
        self.retryOf = retryOf
        self.progressJSON = progressJSON
        self.slurmJobID = slurmJobID
    }

    enum CodingKeys: String, CodingKey {
        case id, jobID = "job_id", number, state, reason, hyperparametersJSON = "hyperparameters_json"
        case startedAt = "started_at", finishedAt = "finished_at", epochsDone = "epochs_done"
        case bestMetricValue = "best_metric_value", pid, device, branch
        case configurationIndex = "configuration_index", retryOf = "retry_of", progressJSON = "progress_json"
        case slurmJobID = "slurm_job_id"
    }

    /// The columns the store queries by.
    public enum Columns {
        public static let jobID = Column("job_id")
        public static let number = Column("number")
        public static let state = Column("state")
    }

    /// The best of `trials`: the highest best metric; between equals, the one that finished first (then the
    /// lower number). Trials without a metric never win.
    public static func best(of trials: [Trial]) -> Trial? {
        trials.filter { $0.bestMetricValue != nil }.min { a, b in
            if a.bestMetricValue! != b.bestMetricValue! { return a.bestMetricValue! > b.bestMetricValue! }
            let aEnd = a.finishedAt ?? .distantFuture, bEnd = b.finishedAt ?? .distantFuture
            if aEnd != bEnd { return aEnd < bEnd }
            return a.number < b.number
        }
    }
}
