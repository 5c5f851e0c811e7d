import CInotifyTools

/// One inotify event on the watched folder, copied out of libinotifytools' static buffer.
///
/// Names can be stale by the time the event is read (inotify(7)): the watcher treats events as hints and
/// checks the folder itself.
struct InotifyEvent: Sendable, Hashable {
    enum Kind: Sendable, Hashable {
        /// `IN_CLOSE_WRITE`: a file opened for writing was closed.
        case closedAfterWriting
        /// `IN_MOVED_TO`: an entry was renamed into the folder.
        case movedIn
        /// `IN_CREATE`: an entry was created in place (or hard-linked in).
        case created
        /// `IN_MODIFY`: a file was written to; it stays open until `closedAfterWriting`.
        case modified
        /// `IN_Q_OVERFLOW`: the kernel's queue overflowed and events were lost.
        case overflow
        /// Anything else the mask carried (ignored by the watcher).
        case other
    }

    var kind: Kind
    /// The entry's name in the folder; empty for events about the folder itself and for `overflow`.
    var name: String
    /// `IN_ISDIR`: the entry is a directory.
    var isDirectory: Bool

    init(kind: Kind, name: String, isDirectory: Bool = false) {
        self.kind = kind
        self.name = name
        self.isDirectory = isDirectory
    }

    /// The kind a child event's mask stands for. One child event carries one of these bits, plus `IN_ISDIR`.
    init(mask: UInt32, name: String) {
        func has(_ bit: Int32) -> Bool { mask & UInt32(bitPattern: bit) != 0 }
        let kind: Kind =
            if has(IN_Q_OVERFLOW) { .overflow }
            else if has(IN_CLOSE_WRITE) { .closedAfterWriting }
            else if has(IN_MOVED_TO) { .movedIn }
            else if has(IN_CREATE) { .created }
            else if has(IN_MODIFY) { .modified }
            else { .other }
        self.init(kind: kind, name: name, isDirectory: has(IN_ISDIR))
    }
}
