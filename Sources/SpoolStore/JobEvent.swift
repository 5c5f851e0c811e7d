import Foundation
import GRDB

/// One line of a job's log (`events`), which `spoolctl` can tail with `events(jobID:after:)`.
///
/// The store writes one for every change of state (queued, started, requeued, finished, cancel asked) in the
/// same transaction as the change; the daemon adds its own with `appendEvent`.
public struct JobEvent: Sendable, Hashable, Codable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "events"

    /// Increases with every event and is never reused: the cursor to tail from.
    public var id: Int64
    public var jobID: String
    public var at: Date
    public var level: Level
    public var message: String

    public enum Level: String, Sendable, Hashable, Codable, CaseIterable, DatabaseValueConvertible {
        case debug, info, warning, error
    }

    enum CodingKeys: String, CodingKey {
        case id, jobID = "job_id", at, level, message
    }
}
