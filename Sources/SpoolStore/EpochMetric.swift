import Foundation
import GRDB

/// One row of `epoch_metrics`: what one epoch of one trial measured.
///
/// Numbers that are not finite (a NaN loss) are stored as NULL and read back as nil.
public struct EpochMetric: Sendable, Hashable, Codable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "epoch_metrics"

    public var trialID: Int64
    /// 1 for the first epoch.
    public var epoch: Int
    public var trainLoss: Double?
    public var validationLoss: Double?
    /// The task's primary metric (accuracy, IoU, mAP), when the epoch was evaluated.
    public var primaryMetric: Double?
    /// Every metric of the epoch, as a JSON object.
    public var metricsJSON: String
    public var recordedAt: Date

    public init(
        trialID: Int64, epoch: Int, trainLoss: Double?, validationLoss: Double? = nil,
        primaryMetric: Double? = nil, metricsJSON: String = "{}", recordedAt: Date = .distantPast
    ) {
        self.trialID = trialID
        self.epoch = epoch
        self.trainLoss = trainLoss
        self.validationLoss = validationLoss
        self.primaryMetric = primaryMetric
        self.metricsJSON = metricsJSON
        self.recordedAt = recordedAt
    }

    enum CodingKeys: String, CodingKey {
        case trialID = "trial_id", epoch, trainLoss = "train_loss", validationLoss = "validation_loss"
        case primaryMetric = "primary_metric", metricsJSON = "metrics_json", recordedAt = "recorded_at"
    }

    /// The columns the store queries by.
    public enum Columns {
        public static let trialID = Column("trial_id")
        public static let epoch = Column("epoch")
    }
}
