import Foundation

/// A complete drop in `incoming/`: a regular file or a directory that the watcher has decided is finished.
///
/// The watcher reports each drop once. The consumer claims it by renaming it out of `incoming/` (into
/// `processing/`); `device` and `inode` let it check that what it renamed is what was reported.
public struct DropCandidate: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        case file
        case directory
    }

    /// How the watcher knew the drop was complete.
    public enum Completion: String, Sendable, Hashable {
        /// inotify reported `IN_CLOSE_WRITE`: the writer closed the file.
        case closedAfterWriting = "closed after writing"
        /// inotify reported `IN_MOVED_TO`: renamed into `incoming/`, whole.
        case movedIn = "moved in"
        /// Found by a scan and unchanged across scans at least `settleInterval` apart.
        case settled
    }

    /// The entry's name inside `incoming/`.
    public let name: String
    public let url: URL
    public let kind: Kind
    /// `st_size` of the entry itself (for a directory, not the size of its contents).
    public let size: Int64
    public let modified: Date
    public let device: UInt64
    public let inode: UInt64
    public let completion: Completion

    public init(name: String, url: URL, kind: Kind, size: Int64, modified: Date, device: UInt64, inode: UInt64,
                completion: Completion) {
        self.name = name
        self.url = url
        self.kind = kind
        self.size = size
        self.modified = modified
        self.device = device
        self.inode = inode
        self.completion = completion
    }

    public var description: String { "\(kind.rawValue) \(name) (\(completion.rawValue))" }
}
