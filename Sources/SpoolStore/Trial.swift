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

    enum CodingKeys: String, CodingKey {
        case id, jobID = "job_id", number, state, reason, hyperparametersJSON = "hyperparameters_json"
        case startedAt = "started_at", finishedAt = "finished_at", epochsDone = "epochs_done"
        case bestMetricValue = "best_metric_value", pid, device
    }

    /// The columns the store queries by.
    public enum Columns {
        public static let jobID = Column("job_id")
        public static let number = Column("number")
        public static let state = Column("state")
    }
}
