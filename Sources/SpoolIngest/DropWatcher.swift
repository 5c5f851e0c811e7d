import Foundation
import Logging

/// Watches the spool's `incoming/` folder and reports each complete drop once, on `drops`.
///
/// Events are hints: inotify drops events when its queue overflows, names in events can be stale, and
/// network filesystems send none. So the folder itself is the truth: the watcher scans it at start, after
/// every batch of events that may announce a drop, after a queue overflow, at least every
/// `rescanInterval`, and when a file found by a scan is due to have settled. See `DropLedger` for how an
/// entry is judged complete and remembered.
///
/// A process has one drop watcher, because libinotifytools keeps global state (see `InotifySource`). A
/// second watcher in the same process, or one on a system out of inotify watches or instances, polls every
/// `pollInterval` instead and logs why; so does a watcher whose folder's watch is lost.
///
/// Like a swift-service-lifecycle `Service`, the watcher works inside `run()`, which returns when its task
/// is cancelled; `drops` finishes then.
public actor DropWatcher {
    /// The watched folder.
    public nonisolated let directory: URL
    public nonisolated let configuration: Configuration
    /// Each complete drop, once, in the order found (by name within one scan).
    public nonisolated let drops: AsyncStream<DropCandidate>

    /// How the watcher currently learns of changes.
    public private(set) var mode: Mode = .idle
    /// Scans done so far (for tests and status).
    public private(set) var scanCount = 0

    private let output: AsyncStream<DropCandidate>.Continuation
    private let clock: DropWatchClock
    private let logger: Logger
    private let openSource: DropWatchSourceFactory
    private var ledger: DropLedger
    private var started = false
    private var running = false
    private var source: (any DropWatchSource)?
    private var lastScan: Duration = .zero
    private var timer: Task<Void, Never>?
    private var timerDeadline: Duration?
    private var lastScanError: String?
    /// Entries that can never be drops (links, FIFOs...), already logged, by name.
    private var reportedUnsupported: [String: UInt64] = [:]

    /// - Parameters:
    ///   - directory: the `incoming/` folder; it must exist when `run()` starts.
    ///   - clock: the clock for rescans and settling; a manual one in tests.
    public init<C: Clock>(directory: URL, configuration: Configuration = Configuration(), clock: C,
                          logger: Logger = Logger(label: "spool.ingest.drops")) where C.Duration == Duration {
        self.init(directory: directory, configuration: configuration, clock: DropWatchClock(clock), logger: logger,
                  source: { try InotifySource(directory: $0, sink: $1) })
    }

    public init(directory: URL, configuration: Configuration = Configuration(),
                logger: Logger = Logger(label: "spool.ingest.drops")) {
        self.init(directory: directory, configuration: configuration, clock: ContinuousClock(), logger: logger)
    }

    /// With another source of events than inotify (tests).
    init(directory: URL, configuration: Configuration, clock: DropWatchClock, logger: Logger,
         source: @escaping DropWatchSourceFactory) {
        self.directory = directory.standardizedFileURL
        self.configuration = configuration
        self.clock = clock
        var logger = logger
        logger[metadataKey: "folder"] = "\(self.directory.path)"
        self.logger = logger
        self.openSource = source
        self.ledger = DropLedger(directory: self.directory, settle: configuration.settleInterval,
                                 writeHintTimeout: configuration.writeHintTimeout)
        (drops, output) = AsyncStream.makeStream(of: DropCandidate.self, bufferingPolicy: .unbounded)
    }

    /// Watches until the calling task is cancelled, then stops the event source and finishes `drops`.
    /// - Throws: `DropWatcherError` when the folder is missing or not a directory at start, or when called
    ///   twice. Later failures to read the folder are logged and retried at each scan.
    public func run() async throws {
        guard !started else {
            throw DropWatcherError(code: .alreadyRunning, path: directory.path,
                                   message: "this watcher has already run; make a new one")
        }
        started = true
        defer { output.finish() }
        try checkFolder()

        running = true
        let inbox = DropEventInbox()
        openEventSource(into: inbox)
        scan()
        await withTaskCancellationHandler {
            for await _ in inbox.ticks { handle(inbox.take()) }
        } onCancel: {
            inbox.finish()
        }
        running = false
        timer?.cancel()
        timer = nil
        if let source {
            source.stop()
            await source.waitUntilStopped()
        }
        source = nil
        logger.debug("stopped watching")
    }

    /// Scans the folder now and returns once the drops it completed are on `drops` (an operator's rescan,
    /// and a way for tests to look without waiting for the timer). Events still in flight are not waited for.
    public func rescanNow() {
        scan()
    }

    // MARK: - Events

    private func openEventSource(into inbox: DropEventInbox) {
        do {
            source = try openSource(directory.path) { inbox.post($0) }
            mode = .inotify
            logger.info("watching with inotify", metadata: ["rescan": "\(configuration.rescanInterval)"])
        } catch {
            mode = .polling(reason: "\(error)")
            logger.warning("inotify is unavailable, polling instead",
                           metadata: ["reason": "\(error)", "every": "\(configuration.pollInterval)"])
        }
    }

    /// One batch of signals: record the hints, then scan if any of them may announce a drop. Writes alone
    /// (`IN_MODIFY`) cannot complete a drop, so a long download into `x.part` costs no scans.
    private func handle(_ signals: [DropWatchSignal]) {
        guard running else { return }
        let now = clock.now()
        var shouldScan = false
        for signal in signals {
            switch signal {
            case let .lost(reason):
                guard mode == .inotify else { continue }
                mode = .polling(reason: reason)
                logger.warning("inotify stopped, polling instead",
                               metadata: ["reason": "\(reason)", "every": "\(configuration.pollInterval)"])
                shouldScan = true
            case let .event(event):
                switch event.kind {
                case .overflow:
                    logger.notice("inotify's queue overflowed and events were lost; rescanning")
                    ledger.forgetWrites()
                    shouldScan = true
                case .other:
                    continue
                case .closedAfterWriting, .movedIn, .created, .modified:
                    guard !configuration.rules.ignores(event.name) else { continue }
                    ledger.note(event, at: now)
                    if event.kind != .modified { shouldScan = true }
                }
            }
        }
        if shouldScan { scan() }
    }

    // MARK: - Scans

    private func checkFolder() throws(DropWatcherError) {
        var info = Glibc.stat()
        guard stat(directory.path, &info) == 0 else {
            throw DropWatcherError.call("stat", path: directory.path, errno: errno)
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw DropWatcherError(code: .notAFolder, path: directory.path,
                                   message: "not a directory; the watcher needs the spool's incoming/ folder")
        }
    }

    private func scan() {
        let now = clock.now()
        lastScan = now
        scanCount += 1
        defer { reschedule() }

        var entries: [DropScanner.Entry]
        do {
            entries = try DropScanner.list(directory.path, rules: configuration.rules)
        } catch {
            if lastScanError != error.message {
                logger.error("cannot read the folder; retrying at each scan", metadata: ["error": "\(error)"])
                lastScanError = error.message
            }
            return
        }
        if lastScanError != nil {
            logger.notice("the folder is readable again")
            lastScanError = nil
        }
        var unsupported: [String: UInt64] = [:]
        for index in entries.indices {
            let entry = entries[index]
            if case let .unsupported(type) = entry.kind {
                if reportedUnsupported[entry.name] != entry.inode {
                    logger.warning("skipping an entry that is \(type): drops are regular files or directories",
                                   metadata: ["name": "\(entry.name)"])
                }
                unsupported[entry.name] = entry.inode
            } else if ledger.needsContent(entry) {
                entries[index].content = DropScanner.contentStamp(of: "\(directory.path)/\(entry.name)")
            }
        }
        reportedUnsupported = unsupported
        for drop in ledger.reconcile(entries, at: now) {
            logger.info("drop complete", metadata: [
                "name": "\(drop.name)", "kind": "\(drop.kind.rawValue)", "by": "\(drop.completion.rawValue)",
            ])
            output.yield(drop)
        }
    }

    /// Arms the timer for the next scan: the periodic one, or sooner when an entry is due to settle.
    private func reschedule() {
        guard running else { return }
        let period = mode == .inotify ? configuration.rescanInterval : configuration.pollInterval
        var deadline = lastScan + period
        if let settle = ledger.nextSettleDeadline() {
            deadline = max(min(deadline, settle), lastScan + .milliseconds(1))
        }
        if timer != nil, timerDeadline == deadline { return }
        timer?.cancel()
        timerDeadline = deadline
        let sleep = clock.sleep
        timer = Task {
            do { try await sleep(deadline) } catch { return }
            self.timerFired(deadline)
        }
    }

    private func timerFired(_ deadline: Duration) {
        guard running, timerDeadline == deadline else { return }
        timer = nil
        timerDeadline = nil
        scan()
    }
}
