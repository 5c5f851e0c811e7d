import Foundation
import Logging
import SpoolCore
import SpoolIngest
import SpoolStore

/// `spoolctl serve`: watches `incoming/`, queues drops, runs jobs, publishes outboxes.
///
/// One daemon per spool (an exclusive lock on `spool/.daemon.lock`). At start it finishes what a dead daemon
/// left: drops half-claimed in `processing/` go back to `incoming/`, jobs left RUNNING are requeued (or
/// failed after their attempt cap), half-written outboxes are removed. SIGTERM and SIGINT stop it
/// gracefully: running trials stop and their jobs are requeued.
public final class SpoolDaemon: @unchecked Sendable {
    public struct Options: Sendable {
        /// Take what is in `incoming/`, run the queue empty, exit (for cron and tests).
        public var once = false
        public var rescanSeconds: Double = 60
        /// A cap on jobs running at once; the device pool decides below it (a job waits for units).
        public var maxConcurrentJobs = 16
        /// The clock schedules read (`serve --now` for tests and replays).
        public var clock: @Sendable () -> Date = { Date() }
        public var executor: JobExecutor.Options
        /// Finished jobs to remove at start and after each job (`serve --retain-days/--retain-per-name`),
        /// judged by `clock`; nil keeps everything.
        public var retention: Pruner.Rules?
        public init(executor: JobExecutor.Options) { self.executor = executor }
    }

    let layout: SpoolLayout
    let store: JobStore
    let options: Options
    let logger: Logger
    let intake: Intake
    private let lock = NSCondition()
    private var stopping = false
    private var running: [String: JobExecutor] = [:]
    private var lockFD: Int32 = -1
    /// The GPUs or cores the running jobs share.
    let pool: DevicePool
    /// Claim order, for the pool's first-in-first-out.
    private var claims = 0

    public init(layout: SpoolLayout, store: JobStore, options: Options, logger: Logger) {
        self.layout = layout
        self.store = store
        self.options = options
        self.logger = logger
        var intake = Intake(layout: layout, store: store,
                            validator: BundleValidator(trainer: options.executor.trainer,
                                                       weightsDirectories: options.executor.weightsDirectories),
                            logger: logger)
        intake.now = options.clock
        self.intake = intake
        let taken = intake
        self.pool = JobExecutor.defaultPool(device: options.executor.device, slurm: options.executor.slurm)
        self.schedules = ScheduleRunner(layout: layout, store: store, logger: logger, now: options.clock,
                                        intake: { taken.process(dropNamed: $0) })
    }

    /// The schedules in `schedules/`, fired from the daemon's loop.
    let schedules: ScheduleRunner

    /// Asks the daemon to stop (what SIGTERM and SIGINT do).
    public func stop() {
        lock.lock()
        stopping = true
        let executors = Array(running.values)
        lock.broadcast()
        lock.unlock()
        executors.forEach { $0.shutdown() }
    }

    var isStopping: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopping
    }

    /// Runs until stopped (or, with `once`, until the queue is empty).
    public func run() throws {
        try layout.create()
        try acquireLock()
        defer { releaseLock() }
        recover()
        logger.info("spool \(layout.root.path): serving (trainer \(options.executor.trainer.path))")
        applyRetention()

        if options.once {
            schedules.tick()
            takeDrops(scanIncoming())
            while !isStopping, startJobs() > 0 || hasRunning() {
                waitForChange(seconds: 0.5)
            }
            waitForRunning()
            logger.info("queue empty; exiting (--once)")
            return
        }

        // Watch incoming/: events are hints, scans are the truth (DropWatcher rescans at start, on overflow and
        // every minute). Drops are taken on this thread, between claims, so a job is never claimed before its
        // files are in place.
        let watcher = DropWatcher(directory: layout.incoming,
                                  configuration: .init(rescanInterval: .seconds(options.rescanSeconds)))
        let watching = Task.detached { [self] in
            do {
                try await watcher.run()
            } catch {
                self.logger.error("watching \(self.layout.incoming.path) failed: \(error); stopping")
                self.stop()
            }
        }
        let consuming = Task.detached { [self] in
            for await drop in watcher.drops {
                self.enqueueDrop(drop.name)
            }
        }
        while !isStopping {
            schedules.tick()
            takeDrops(drainDrops())
            _ = startJobs()
            waitForChange(seconds: 2)  // woken by drops and finished jobs; the timeout notices cancellations
        }
        watching.cancel()
        consuming.cancel()
        waitForRunning()
        logger.info("stopped")
    }

    private var pendingDrops: [String] = []

    func enqueueDrop(_ name: String) {
        lock.lock()
        pendingDrops.append(name)
        lock.broadcast()
        lock.unlock()
    }

    func drainDrops() -> [String] {
        lock.lock()
        defer { lock.unlock() }
        let names = pendingDrops
        pendingDrops.removeAll()
        return names
    }

    // MARK: - intake

    /// Complete-looking entries of `incoming/` (for `--once`; the watcher does this while serving).
    func scanIncoming() -> [String] {
        let rules = DropRules()
        let names = (try? FileManager.default.contentsOfDirectory(atPath: layout.incoming.path)) ?? []
        return names.filter { !rules.ignores($0) }.sorted()
    }

    func takeDrops(_ names: [String]) {
        for name in names where !isStopping {
            let result = intake.process(dropNamed: name)
            logger.debug("drop \(name): \(result)")
        }
    }

    // MARK: - scheduling

    /// Claims and starts jobs while the pool has room: the first job always, another only when units are free
    /// and no running job is waiting for more (first in, first out). Returns how many started.
    func startJobs() -> Int {
        var started = 0
        while !isStopping {
            lock.lock()
            let free = running.isEmpty || (running.count < options.maxConcurrentJobs && pool.hasRoomForAnotherJob)
            lock.unlock()
            guard free else { break }
            let job: Job?
            do {
                job = try store.claimNext(owner: options.executor.owner, leaseSeconds: options.executor.leaseSeconds)
            } catch {
                logger.error("cannot claim a job: \(error)")
                break
            }
            guard let job else { break }
            lock.lock()
            claims += 1
            let order = claims
            lock.unlock()
            // Waiting until it has taken its units, so the next claim sees what is left.
            pool.setWaiting(order: order, true)
            let executor = JobExecutor(layout: layout, store: store, options: options.executor, logger: logger,
                                       pool: pool, order: order)
            lock.lock()
            running[job.id] = executor
            lock.unlock()
            started += 1
            Thread.detachNewThread { [self] in
                JobLog.append(layout.jobLog(job.id), jobID: job.id, "RUNNING (attempt \(job.attempts))")
                executor.run(job)
                applyRetention()
                lock.lock()
                running[job.id] = nil
                lock.broadcast()
                lock.unlock()
            }
        }
        return started
    }

    func hasRunning() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return !running.isEmpty
    }

    func waitForRunning() {
        lock.lock()
        while !running.isEmpty { lock.wait() }
        lock.unlock()
    }

    func waitForChange(seconds: Double) {
        lock.lock()
        if !stopping && pendingDrops.isEmpty { _ = lock.wait(until: Date().addingTimeInterval(seconds)) }
        lock.unlock()
    }

    func signalChange() {
        lock.lock()
        lock.broadcast()
        lock.unlock()
    }

    // MARK: - retention

    private let retentionLock = NSLock()

    /// Removes the finished jobs the retention rules select (one pass at a time), saying so in spool.log.
    func applyRetention() {
        guard let rules = options.retention else { return }
        retentionLock.lock()
        defer { retentionLock.unlock() }
        let pruner = Pruner(layout: layout, store: store)
        do {
            let now = options.clock()
            let plan = try pruner.plan(rules, now: now)
            guard !plan.isEmpty else { return }
            let problems = pruner.apply(plan, now: now)
            for job in plan.jobs {
                logger.notice("retention: removed job \(job.id) (\(job.name), \(job.state), \(Pruner.formatBytes(job.bytes)))")
            }
            for drop in plan.failedDrops { logger.notice("retention: removed failed/\(drop.name)") }
            for problem in problems { logger.error("retention: \(problem)") }
            logger.notice("retention: \(Pruner.formatBytes(plan.bytes)) freed")
        } catch {
            logger.error("retention: cannot read the queue: \(error)")
        }
    }

    // MARK: - recovery and the lock

    func recover() {
        OutboxWriter(layout: layout).removeStaleStaging()
        let fm = FileManager.default
        for name in (try? fm.contentsOfDirectory(atPath: layout.processing.path)) ?? [] {
            let url = layout.processing.appendingPathComponent(name)
            if name.hasSuffix(".unpacked") {
                try? fm.removeItem(at: url)
            } else if !fm.fileExists(atPath: layout.incoming.appendingPathComponent(name).path) {
                try? fm.moveItem(at: url, to: layout.incoming.appendingPathComponent(name))
                logger.notice("drop \(name): back to incoming/ (a previous daemon stopped while taking it)")
            }
        }
        do {
            let rescued = try store.rescueOrphans(owner: options.executor.owner)
            for job in rescued {
                JobLog.append(layout.jobLog(job.id), jobID: job.id, "\(job.state.rawValue): \(job.reason)")
                logger.notice("job \(job.id): \(job.state.rawValue): \(job.reason)")
            }
        } catch {
            logger.error("cannot requeue orphaned jobs: \(error)")
        }
    }

    func acquireLock() throws {
        let path = DaemonLock.url(layout).path
        lockFD = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard lockFD >= 0 else { throw RunnerError("cannot open \(path): \(String(cString: strerror(errno)))") }
        // `DaemonLock.holder` (spoolctl status, submit) holds a shared lock for an instant: retry briefly.
        var locked = flock(lockFD, LOCK_EX | LOCK_NB) == 0
        for _ in 0..<20 where !locked {
            Thread.sleep(forTimeInterval: 0.05)
            locked = flock(lockFD, LOCK_EX | LOCK_NB) == 0
        }
        if !locked {
            let other = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
            close(lockFD)
            lockFD = -1
            throw RunnerError("another `spoolctl serve` (pid \(other)) is serving \(layout.root.path); stop it first")
        }
        ftruncate(lockFD, 0)
        let pid = "\(getpid())\n"
        _ = pid.withCString { write(lockFD, $0, strlen($0)) }
    }

    func releaseLock() {
        if lockFD >= 0 {
            flock(lockFD, LOCK_UN)
            close(lockFD)
            lockFD = -1
        }
    }
}
