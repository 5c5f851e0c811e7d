import Foundation

/// The daemon's exclusive lock on `spool/.daemon.lock` (flock), and the test other commands use to tell
/// whether a daemon is serving the spool.
public enum DaemonLock {
    public static func url(_ layout: SpoolLayout) -> URL { layout.root.appendingPathComponent(".daemon.lock") }

    /// The pid of the daemon serving the spool, or nil when none holds the lock.
    ///
    /// Takes a shared lock for an instant: a daemon starting at that moment retries its exclusive lock
    /// briefly (`SpoolDaemon.acquireLock`), so this test never makes it fail.
    public static func holder(_ layout: SpoolLayout) -> Int32? {
        let path = url(layout).path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return nil
        }
        let text = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        return text.flatMap(Int32.init) ?? -1
    }
}
