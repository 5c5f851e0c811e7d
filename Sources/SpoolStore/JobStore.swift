import Foundation
import GRDB

/// The spool's queue: jobs, their trials and per-epoch metrics, in one SQLite file in the spool root.
///
/// The daemon opens it with `init(path:now:)` (creating and migrating the file) and is its only writer;
/// `spoolctl` opens it with `openForReading(path:)`, which works while the daemon writes (WAL: readers see
/// the last commit and never wait for the writer) and while the daemon is down. Every write is one
/// `BEGIN IMMEDIATE` transaction, so a write never fails half-way with `SQLITE_BUSY`: it waits for the
/// other writer (up to `busyTimeout`).
///
/// Time comes from the injected `now`, never from the system clock inside the logic, so that tests drive
/// leases with a manual clock.
public final class JobStore: Sendable {
    /// How long a write waits for another process's write to finish before failing.
    public static let busyTimeout: TimeInterval = 5

    /// The database file.
    public let path: String
    /// True for a store opened with `openForReading`: every write throws `readOnly`.
    public let isReadOnly: Bool
    let pool: DatabasePool
    let now: @Sendable () -> Date

    /// Opens the queue at `path` for the daemon: creates the file if needed, turns on WAL, and runs the
    /// migrations it lacks.
    ///
    /// - Parameter now: the clock; tests pass a manual one.
    public convenience init(path: String, now: @escaping @Sendable () -> Date = { Date() }) throws {
        let pool = try Self.openPool(path: path)
        try Self.migrate(pool)
        self.init(pool: pool, path: path, readOnly: false, now: now)
    }

    /// Opens the writer's pool. Switching a fresh file to WAL needs an exclusive lock, and SQLite answers
    /// SQLITE_BUSY at once (no busy handler for that step) when another process is doing the same: retry
    /// for up to `busyTimeout`.
    static func openPool(path: String) throws -> DatabasePool {
        let deadline = Date().addingTimeInterval(busyTimeout)
        while true {
            do {
                return try DatabasePool(path: path, configuration: configuration(readOnly: false))
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && Date() < deadline {
                Thread.sleep(forTimeInterval: 0.02)
            }
        }
    }

    /// Opens an existing queue for reading only (`spoolctl status`): never creates, migrates or locks.
    ///
    /// - Throws: `noDatabase` when there is no file yet, `schemaTooOld`/`schemaTooNew` when the file was
    ///   migrated by another version of the spool.
    public static func openForReading(path: String, now: @escaping @Sendable () -> Date = { Date() }) throws
        -> JobStore
    {
        guard FileManager.default.fileExists(atPath: path) else {
            throw JobStoreError(.noDatabase, "there is no queue at \(path) yet: start the daemon to create it")
        }
        let pool = try DatabasePool(path: path, configuration: configuration(readOnly: true))
        try pool.read { db in
            if try migrator.hasBeenSuperseded(db) {
                throw JobStoreError(.schemaTooNew,
                    "the queue at \(path) was upgraded by a newer spool: use that spool's spoolctl")
            }
            if try !migrator.hasCompletedMigrations(db) {
                throw JobStoreError(.schemaTooOld,
                    "the queue at \(path) is from an older spool: start the daemon once to upgrade it")
            }
        }
        return JobStore(pool: pool, path: path, readOnly: true, now: now)
    }

    private init(pool: DatabasePool, path: String, readOnly: Bool, now: @escaping @Sendable () -> Date) {
        self.pool = pool
        self.path = path
        self.isReadOnly = readOnly
        self.now = now
    }

    /// Closes every connection (the daemon at shutdown; tests, to play a stopped daemon).
    public func close() throws {
        try pool.close()
    }

    static func configuration(readOnly: Bool) -> Configuration {
        var config = Configuration()
        config.readonly = readOnly
        config.foreignKeysEnabled = true
        config.busyMode = .timeout(busyTimeout)
        config.label = readOnly ? "spool.queue.reader" : "spool.queue"
        config.prepareDatabase { db in
            // In WAL mode NORMAL survives a crash of any process (not necessarily a power loss) and
            // saves an fsync per commit.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        return config
    }

    /// Runs `body` in one `BEGIN IMMEDIATE` transaction: it commits if `body` returns, rolls back if it
    /// throws.
    ///
    /// GRDB's `write` would also begin IMMEDIATE on a pool; the kind is spelled out so that no one has to
    /// know that.
    func writeImmediate<T>(_ body: (Database) throws -> T) throws -> T {
        guard !isReadOnly else {
            throw JobStoreError(.readOnly, "the queue at \(path) was opened for reading only")
        }
        return try pool.writeWithoutTransaction { db in
            var result: T?
            try db.inTransaction(.immediate) {
                result = try body(db)
                return .commit
            }
            return result!
        }
    }

    /// Runs `body` on one snapshot: it sees the last commit and nothing written after.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        try pool.read(body)
    }
}
