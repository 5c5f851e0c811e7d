import Foundation
import GRDB

/// One row of `schedules`: what a schedule last did (its definition is its YAML file).
public struct ScheduleState: Sendable, Hashable, Codable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "schedules"

    public var name: String
    public var firstSeenAt: Date
    public var lastSlot: Date?
    public var lastFiredAt: Date?
    public var lastJobID: String?
    public var lastResult: String

    enum CodingKeys: String, CodingKey {
        case name, firstSeenAt = "first_seen_at", lastSlot = "last_slot", lastFiredAt = "last_fired_at"
        case lastJobID = "last_job_id", lastResult = "last_result"
    }
}
