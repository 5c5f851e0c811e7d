import Foundation

/// Reads `incoming/` for the drop watcher: one `lstat` per entry, and for a directory that is still
/// settling, a walk of its contents. Symbolic links are never followed.
enum DropScanner {
    /// An entry of `incoming/` as `lstat` saw it.
    struct Entry: Sendable, Hashable {
        enum Kind: Sendable, Hashable {
            case file
            case directory
            /// A symbolic link, FIFO, socket or device: never a drop. The string names the type.
            case unsupported(String)
        }

        var name: String
        var kind: Kind
        var device: UInt64
        var inode: UInt64
        var size: Int64
        /// `st_mtim` in nanoseconds since the epoch.
        var modified: Int64
        /// `st_ctim` in nanoseconds since the epoch: rename(2) updates it, so an entry moved out and back in
        /// has a new one.
        var changed: Int64
        /// For a directory that is still settling: a summary of everything inside it.
        var content: ContentStamp?
    }

    /// A directory's contents in brief: it changes whenever anything inside is added, removed or written.
    struct ContentStamp: Sendable, Hashable {
        var entries: Int
        var bytes: Int64
        /// The newest `st_mtim` or `st_ctim` inside (ctime too, because `cp -p` and rsync reset mtimes).
        var newestChange: Int64
    }

    /// The entries of `directory` whose names `rules` do not ignore, sorted by name. An entry that vanishes
    /// between `readdir` and `lstat` is left out.
    static func list(_ directory: String, rules: DropRules) throws(DropWatcherError) -> [Entry] {
        guard let stream = opendir(directory) else {
            throw DropWatcherError.call("opendir", path: directory, errno: errno)
        }
        defer { closedir(stream) }
        var entries: [Entry] = []
        while true {
            errno = 0
            guard let item = readdir(stream) else {
                if errno != 0 { throw DropWatcherError.call("readdir", path: directory, errno: errno) }
                break
            }
            let name = withUnsafeBytes(of: item.pointee.d_name) { bytes in
                String(validatingCString: bytes.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            // A name that is not UTF-8 cannot be handed on as a String; list it as unsupported.
            guard let name else {
                entries.append(Entry(name: "(not UTF-8, inode \(item.pointee.d_ino))", kind: .unsupported("a name "
                    + "that is not UTF-8"), device: 0, inode: UInt64(item.pointee.d_ino), size: 0, modified: 0,
                    changed: 0))
                continue
            }
            if rules.ignores(name) { continue }
            if let entry = stat(name: name, in: directory) { entries.append(entry) }
        }
        return entries.sorted { $0.name < $1.name }
    }

    /// `lstat` of one entry; nil when it is gone.
    static func stat(name: String, in directory: String) -> Entry? {
        var info = Glibc.stat()
        guard lstat("\(directory)/\(name)", &info) == 0 else { return nil }
        let kind: Entry.Kind = switch info.st_mode & S_IFMT {
        case S_IFREG: .file
        case S_IFDIR: .directory
        case S_IFLNK: .unsupported("a symbolic link")
        case S_IFIFO: .unsupported("a FIFO")
        case S_IFSOCK: .unsupported("a socket")
        default: .unsupported("a device file")
        }
        return Entry(name: name, kind: kind, device: UInt64(info.st_dev), inode: UInt64(info.st_ino),
                     size: Int64(info.st_size), modified: nanoseconds(info.st_mtim), changed: nanoseconds(info.st_ctim))
    }

    /// Walks `path` (not following links, at most `depth` levels) and sums what it finds. Unreadable
    /// subfolders count as empty: the stamp only has to change while a producer is still writing.
    static func contentStamp(of path: String, depth: Int = 32) -> ContentStamp {
        var stamp = ContentStamp(entries: 0, bytes: 0, newestChange: 0)
        walk(path, depth: depth, into: &stamp)
        return stamp
    }

    private static func walk(_ path: String, depth: Int, into stamp: inout ContentStamp) {
        var info = Glibc.stat()
        guard lstat(path, &info) == 0 else { return }
        stamp.entries += 1
        stamp.newestChange = max(stamp.newestChange, nanoseconds(info.st_mtim), nanoseconds(info.st_ctim))
        if info.st_mode & S_IFMT == S_IFREG { stamp.bytes += Int64(info.st_size) }
        guard info.st_mode & S_IFMT == S_IFDIR, depth > 0, let stream = opendir(path) else { return }
        defer { closedir(stream) }
        while let item = readdir(stream) {
            let name = withUnsafeBytes(of: item.pointee.d_name) { bytes in
                String(cString: bytes.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name == "." || name == ".." { continue }
            walk("\(path)/\(name)", depth: depth - 1, into: &stamp)
        }
    }

    private static func nanoseconds(_ time: timespec) -> Int64 {
        Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }
}
