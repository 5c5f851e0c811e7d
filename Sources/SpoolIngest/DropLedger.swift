import Foundation

/// What the drop watcher remembers about `incoming/`, and the rules that decide when an entry is a complete
/// drop. No I/O and no clock: scans and events are fed in, with times as offsets from the watcher's start.
///
/// An entry is complete when
/// - inotify said so: `IN_CLOSE_WRITE` (its writer closed it) or `IN_MOVED_TO` (renamed in whole: a file
///   written elsewhere, a whole directory, or `x.part` renamed to `x`); or
/// - scans found it unchanged (same inode, size and mtime; for a directory, also the same contents) across
///   two scans at least `settle` apart, and no write to it has been seen since its last close.
///
/// The second rule is how files found by a scan (at start, after an overflow, or while polling) are taken.
/// Linux cannot say cheaply whether another process holds a file open for writing, so a producer that
/// writes in place without renaming must not pause for longer than `settle` mid-file while inotify is
/// unavailable. While inotify works, a file that has had `IN_MODIFY` but no `IN_CLOSE_WRITE` since counts
/// as open for writing and is not settled until `writeHintTimeout` passes without further writes
/// (a bound for the rare writer that never closes, e.g. path-based `truncate(2)`).
///
/// Each drop is reported once: it is remembered by name, inode, size and mtime, and forgotten when a scan
/// no longer finds it (claimed, or removed). A new entry under the same name is a new drop; so is the same
/// inode renamed back in (`IN_MOVED_TO` with a newer ctime, since rename(2) updates ctime).
struct DropLedger {
    struct Identity: Sendable, Hashable {
        var device: UInt64
        var inode: UInt64
    }

    struct Tracked: Sendable, Hashable {
        var identity: Identity
        var isDirectory: Bool
        var size: Int64
        var modified: Int64
        var changed: Int64
        var content: DropScanner.ContentStamp?
        /// When a scan first saw the current state.
        var stableSince: Duration
        var completion: DropCandidate.Completion?
        var reported = false
    }

    let directory: URL
    var settle: Duration
    var writeHintTimeout: Duration

    /// By name, the entries the last scan found.
    private(set) var tracked: [String: Tracked] = [:]
    /// Names inotify has said are complete since the last scan.
    private var certificates: [String: DropCandidate.Completion] = [:]
    /// Names written to (`IN_MODIFY`) and not closed since, with the time of the last write seen.
    private var writes: [String: Duration] = [:]

    init(directory: URL, settle: Duration, writeHintTimeout: Duration) {
        self.directory = directory
        self.settle = settle
        self.writeHintTimeout = writeHintTimeout
    }

    /// Takes an event about an entry whose name the rules do not ignore.
    mutating func note(_ event: InotifyEvent, at now: Duration) {
        switch event.kind {
        case .closedAfterWriting:
            writes[event.name] = nil
            if !event.isDirectory, certificates[event.name] == nil { certificates[event.name] = .closedAfterWriting }
        case .movedIn:
            writes[event.name] = nil
            certificates[event.name] = .movedIn
        case .modified:
            writes[event.name] = now
        case .created, .overflow, .other:
            break
        }
    }

    /// After an overflow the closes may have been lost: stop counting any file as open for writing.
    mutating func forgetWrites() {
        writes.removeAll()
    }

    /// Whether the scan should summarise this directory's contents: only while it is still settling.
    func needsContent(_ entry: DropScanner.Entry) -> Bool {
        guard entry.kind == .directory, certificates[entry.name] == nil else { return false }
        guard let known = tracked[entry.name], known.identity == Self.identity(entry),
              known.size == entry.size, known.modified == entry.modified else { return true }
        return !known.reported && known.completion == nil
    }

    /// Reconciles what a scan found (all entries of the folder that the rules do not ignore) and returns the
    /// drops that have just become complete, in name order.
    mutating func reconcile(_ entries: [DropScanner.Entry], at now: Duration) -> [DropCandidate] {
        var found: [String: Tracked] = [:]
        var drops: [DropCandidate] = []
        for entry in entries {
            let isDirectory: Bool
            switch entry.kind {
            case .file: isDirectory = false
            case .directory: isDirectory = true
            case .unsupported: continue
            }
            let certificate = certificates[entry.name]
            var state: Tracked
            if var known = tracked[entry.name], known.identity == Self.identity(entry),
               known.isDirectory == isDirectory, known.size == entry.size, known.modified == entry.modified,
               !(known.reported && certificate == .movedIn && entry.changed != known.changed) {
                if known.reported {
                    found[entry.name] = known
                    continue
                }
                if isDirectory, let content = entry.content, content != known.content {
                    known.content = content
                    known.stableSince = now
                }
                state = known
            } else {
                state = Tracked(identity: Self.identity(entry), isDirectory: isDirectory, size: entry.size,
                                modified: entry.modified, changed: entry.changed, content: entry.content,
                                stableSince: now)
            }
            if let certificate {
                state.completion = certificate
            } else if state.completion == nil, isSettled(state, name: entry.name, at: now) {
                state.completion = .settled
            }
            if let completion = state.completion {
                state.reported = true
                drops.append(candidate(entry, completion: completion))
            }
            found[entry.name] = state
        }
        tracked = found
        certificates.removeAll()
        writes = writes.filter { found[$0.key] != nil }
        return drops
    }

    /// When the earliest entry still settling will have settled; nil when none is.
    func nextSettleDeadline() -> Duration? {
        tracked.filter { !$0.value.reported }.map { name, state in
            let settled = state.stableSince + settle
            guard let written = writes[name] else { return settled }
            return max(settled, written + writeHintTimeout)
        }.min()
    }

    private func isSettled(_ state: Tracked, name: String, at now: Duration) -> Bool {
        guard now - state.stableSince >= settle else { return false }
        if let written = writes[name], now - written < writeHintTimeout { return false }
        return true
    }

    private func candidate(_ entry: DropScanner.Entry, completion: DropCandidate.Completion) -> DropCandidate {
        DropCandidate(
            name: entry.name, url: directory.appendingPathComponent(entry.name, isDirectory: entry.kind == .directory),
            kind: entry.kind == .directory ? .directory : .file, size: entry.size,
            modified: Date(timeIntervalSince1970: Double(entry.modified) / 1e9),
            device: entry.device, inode: entry.inode, completion: completion)
    }

    private static func identity(_ entry: DropScanner.Entry) -> Identity {
        Identity(device: entry.device, inode: entry.inode)
    }
}
