import CInotifyTools
import Foundation

/// The process's one owner of libinotifytools: a dedicated thread that makes every libinotifytools call
/// and hands each event, copied, to a sink.
///
/// libinotifytools keeps global state (one inotify descriptor, one watch table, no locks) and returns each
/// event in static storage that the next call overwrites. Hence:
/// - a process has one `InotifySource` at a time (so one drop watcher); opening a second throws `EBUSY`,
///   and the drop watcher then polls;
/// - `inotifytools_initialize`, `_watch_file`, `_next_event` and `_cleanup` all run on the source's own
///   thread, and each event is copied into an `InotifyEvent` before the next call.
///
/// `inotifytools_next_event` waits in `select(2)` with a timeout in whole seconds. So that `stop()` takes
/// effect at once rather than at the next timeout, the source also watches a private "doorbell" file
/// (created with `mkstemp`, unlinked at once, kept open) and `stop()` touches it, which wakes the thread.
final class InotifySource: DropWatchSource, @unchecked Sendable {
    /// Arrivals and writes in the folder, and the folder itself going away. Departures (a claim renaming a
    /// drop into `processing/`) need no event: the next scan finds the entry gone and forgets it.
    static let mask: Int32 =
        IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_MODIFY | IN_DELETE_SELF | IN_MOVE_SELF | IN_Q_OVERFLOW
        | IN_ONLYDIR

    /// Claimed by the open source; libinotifytools' global state allows one.
    private static let slot = ProcessSlot()

    private let lock = NSLock()
    private var stopRequested = false
    private var stopped = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var doorbell: Int32 = -1

    /// Starts the thread and returns once `directory` is watched.
    /// - Throws: `InotifyError` naming the call that failed and its errno; nothing is left open then.
    init(directory: String, sink: @escaping @Sendable (DropWatchSignal) -> Void) throws(InotifyError) {
        try Self.slot.claim()
        let start = StartSignal()
        let thread = Thread { [self] in
            self.main(directory: directory, sink: sink, start: start)
        }
        thread.name = "spool.inotify"
        thread.start()
        start.semaphore.wait()
        if let error = start.error { throw error }
    }

    /// Asks the thread to stop; it cleans libinotifytools up and releases the process's slot.
    func stop() {
        lock.withLock {
            stopRequested = true
            // Under the lock: the thread closes the descriptor under it too, so this never touches a reused one.
            if doorbell >= 0 { _ = futimens(doorbell, nil) }
        }
    }

    func waitUntilStopped() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = lock.withLock {
                if !stopped { waiters.append(continuation) }
                return stopped
            }
            if done { continuation.resume() }
        }
    }

    private var isStopRequested: Bool { lock.withLock { stopRequested } }

    // MARK: - The thread

    private func main(directory: String, sink: @Sendable (DropWatchSignal) -> Void, start: StartSignal) {
        // A failed start is reported only after cleanup, so that a caller who retries finds the slot free.
        var failure: InotifyError?
        defer {
            finish()
            if let failure { start.fail(failure) }
        }

        // libinotifytools waits with select(2), whose fd_set holds descriptors below FD_SETSIZE (1024); a
        // higher inotify descriptor would be written past the set. inotify_init takes the lowest free one.
        let probe = open("/dev/null", O_RDONLY | O_CLOEXEC)
        if probe >= 0 { close(probe) }
        guard probe < 1000 else {
            failure = InotifyError(call: "inotifytools_initialize", code: EMFILE,
                                   detail: "\(probe) descriptors are open; select(2) in libinotifytools handles "
                                       + "descriptors below 1024: start the watcher before opening many files")
            return
        }
        guard inotifytools_initialize() != 0 else {
            failure = InotifyError(call: "inotifytools_initialize", code: Int32(inotifytools_error()))
            return
        }
        defer { inotifytools_cleanup() }
        guard inotifytools_watch_file(directory, Self.mask) != 0 else {
            failure = InotifyError(call: "inotifytools_watch_file", code: Int32(inotifytools_error()))
            return
        }
        let folderWatch = Int32(inotifytools_wd_from_filename(directory.hasSuffix("/") ? directory : directory + "/"))
        let doorbellWatch = openDoorbell()
        start.succeed()

        let live = Set([folderWatch, doorbellWatch].filter { $0 >= 0 })
        var ended: Set<Int32> = []
        defer { drain(live.subtracting(ended)) }
        while !isStopRequested {
            guard let event = inotifytools_next_event(1) else {
                let code = Int32(inotifytools_error())
                if code == 0 || code == EINTR { continue }  // timeout, or a signal
                sink(.lost(InotifyError(call: "inotifytools_next_event", code: code).description))
                return
            }
            // Copy before the next call overwrites libinotifytools' static buffer.
            let watch = event.pointee.wd, mask = event.pointee.mask
            let name = event.pointee.len == 0 ? "" : String(
                cString: (UnsafeRawPointer(event) + MemoryLayout<inotify_event>.size)
                    .assumingMemoryBound(to: CChar.self))
            if mask & UInt32(IN_IGNORED) != 0 { ended.insert(watch) }
            if watch == doorbellWatch { continue }
            if mask & UInt32(IN_Q_OVERFLOW) != 0 {
                sink(.event(InotifyEvent(kind: .overflow, name: "")))
                continue
            }
            if mask & UInt32(IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT) != 0 {
                let what = InotifyEvent.describeSelfEvent(mask)
                sink(.lost("the watch on \(directory) ended (\(what))"))
                return
            }
            sink(.event(InotifyEvent(mask: mask, name: name)))
        }
    }

    /// Leaves libinotifytools' read buffer empty for the next source in this process.
    ///
    /// `inotifytools_next_event` keeps its buffer position in function-local statics that
    /// `inotifytools_cleanup` does not reset, so events read from the kernel but not yet returned would be
    /// handed to the next `inotifytools_initialize`'s caller as if they were its own (seen in tests: a stale
    /// `IN_IGNORED` ended a new source's watch). So the watches are removed and events are read until the
    /// kernel's last one for each, `IN_IGNORED`, has been returned; a timeout also means the buffer is empty.
    private func drain(_ live: Set<Int32>) {
        var live = live
        for watch in live { _ = inotifytools_remove_watch_by_wd(watch) }
        while !live.isEmpty, let event = inotifytools_next_event(1) {
            if event.pointee.mask & UInt32(IN_IGNORED) != 0 { live.remove(event.pointee.wd) }
        }
    }

    /// Watches a private, unlinked file for `IN_ATTRIB`; returns its watch descriptor, or -1 without one
    /// (then `stop()` takes effect at the next one-second timeout).
    private func openDoorbell() -> Int32 {
        var template = Array("\(NSTemporaryDirectory())/spool-inotify-doorbell.XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { return -1 }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        let path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        defer { unlink(path) }  // the open descriptor keeps the inode, and so the watch, alive
        guard inotifytools_watch_file(path, IN_ATTRIB) != 0 else {
            close(fd)
            return -1
        }
        lock.withLock { doorbell = fd }
        return Int32(inotifytools_wd_from_filename(path))
    }

    /// Runs last on the thread, after `inotifytools_cleanup`.
    private func finish() {
        let resume: [CheckedContinuation<Void, Never>] = lock.withLock {
            if doorbell >= 0 { close(doorbell) }
            doorbell = -1
            stopped = true
            defer { waiters = [] }
            return waiters
        }
        Self.slot.release()
        for waiter in resume { waiter.resume() }
    }
}

extension InotifySource {
    /// The process-wide claim on libinotifytools.
    final class ProcessSlot: @unchecked Sendable {
        private let lock = NSLock()
        private var taken = false

        func claim() throws(InotifyError) {
            let claimed: Bool = lock.withLock {
                if taken { return false }
                taken = true
                return true
            }
            guard claimed else {
                throw InotifyError(call: "inotifytools_initialize", code: EBUSY,
                                   detail: "libinotifytools keeps global state, so a process has one watcher, "
                                       + "and another InotifySource is open")
            }
        }

        func release() { lock.withLock { taken = false } }
    }

    /// How the thread tells `init` whether the watch is in place.
    final class StartSignal: @unchecked Sendable {
        let semaphore = DispatchSemaphore(value: 0)
        private(set) var error: InotifyError?  // written before signal(), read after wait()

        func succeed() { semaphore.signal() }

        func fail(_ error: InotifyError) {
            self.error = error
            semaphore.signal()
        }
    }
}

extension InotifyEvent {
    /// Words for the events that end a watch, for the log.
    static func describeSelfEvent(_ mask: UInt32) -> String {
        if mask & UInt32(IN_DELETE_SELF) != 0 { return "the folder was deleted" }
        if mask & UInt32(IN_MOVE_SELF) != 0 { return "the folder was moved" }
        if mask & UInt32(IN_UNMOUNT) != 0 { return "its filesystem was unmounted" }
        return "the kernel removed the watch"
    }
}
