import Foundation

/// Why the store refused an operation: a stable code for machines, a sentence for people.
///
/// SQLite's own errors (a full disk, a corrupt file) are thrown as GRDB's `DatabaseError`.
public struct JobStoreError: Error, Sendable, Hashable, CustomStringConvertible, LocalizedError {
    public enum Code: String, Sendable, Hashable, Codable, CaseIterable {
        /// No job or trial has that id (or id prefix).
        case notFound
        /// An id prefix matches more than one job.
        case ambiguousID
        /// The caller no longer holds the job's lease: it was rescued, requeued or finished by someone else.
        case leaseLost
        /// The job or trial has already finished; a final state never changes.
        case alreadyFinished
        /// An argument is out of range (a live state given to `finish`, an empty owner, a negative lease).
        case invalidArgument
        /// The store was opened for reading only.
        case readOnly
        /// There is no queue database at the path yet.
        case noDatabase
        /// The database was made by an older spool and needs its migrations (the daemon runs them).
        case schemaTooOld
        /// The database was migrated by a newer spool than this one.
        case schemaTooNew
    }

    public var code: Code
    /// What was wrong and what to do.
    public var message: String
    /// The job concerned, when there is one.
    public var jobID: String?

    public init(_ code: Code, _ message: String, jobID: String? = nil) {
        self.code = code
        self.message = message
        self.jobID = jobID
    }

    public var description: String { message }
    public var errorDescription: String? { message }
}
