import Foundation
import GRDB

/// One drop the intake took from `incoming/`, and what became of it (`drops`).
///
/// `spoolctl submit --wait` follows its own drop by name and SHA-256 after the cursor it read before handing
/// the drop over, so an earlier drop of the same name, or of the same content, never answers for it.
public struct DropRecord: Sendable, Hashable, Codable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "drops"

    public enum Outcome: String, Sendable, Hashable, Codable, CaseIterable, DatabaseValueConvertible {
        /// Unpacked, valid and queued as `jobID`.
        case queued = "QUEUED"
        /// Kept in `failed/` with the reason beside it.
        case rejected = "REJECTED"
        /// The same bundle (SHA-256) was taken before, as `jobID`; kept in `failed/`.
        case duplicate = "DUPLICATE"
    }

    /// Increases with every drop, never reused.
    public var id: Int64?
    /// The name it had in `incoming/`.
    public var name: String
    public var sha256: String?
    public var takenAt: Date
    public var outcome: Outcome
    public var jobID: String?
    public var reason: String
    /// Where a rejected or duplicate drop was kept (`failed/NAME`).
    public var failedPath: String?

    public init(name: String, sha256: String?, takenAt: Date, outcome: Outcome, jobID: String? = nil, reason: String = "",
                failedPath: String? = nil) {
        self.name = name
        self.sha256 = sha256
        self.takenAt = takenAt
        self.outcome = outcome
        self.jobID = jobID
        self.reason = reason
        self.failedPath = failedPath
    }

    enum CodingKeys: String, CodingKey {
        case id, name, sha256, takenAt = "taken_at", outcome, jobID = "job_id", reason, failedPath = "failed_path"
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension JobStore {
    /// Records what the intake did with a drop; returns it with its id.
    @discardableResult
    public func recordDrop(_ drop: DropRecord) throws -> DropRecord {
        try writeImmediate { db in
            try drop.inserted(db)
        }
    }

    /// The newest drop's id (0 when none): the cursor `submit` takes before it hands a drop over.
    public func lastDropID() throws -> Int64 {
        try read { try Int64.fetchOne($0, sql: "SELECT COALESCE(MAX(id), 0) FROM drops") ?? 0 }
    }

    /// The first drop after `cursor` with this name and digest: the one `submit` handed over.
    public func drop(named name: String, sha256: String, after cursor: Int64) throws -> DropRecord? {
        try read { db in
            try DropRecord.fetchOne(db, sql: """
                SELECT * FROM drops WHERE name = ? AND sha256 = ? AND id > ? ORDER BY id LIMIT 1
                """, arguments: [name, sha256, cursor])
        }
    }

    /// The newest drops that were not queued (rejected or duplicate), newest first.
    public func unqueuedDrops(limit: Int) throws -> [DropRecord] {
        try read { db in
            try DropRecord.fetchAll(db, sql: """
                SELECT * FROM drops WHERE outcome != 'QUEUED' ORDER BY id DESC LIMIT ?
                """, arguments: [limit])
        }
    }
}
