import Foundation
import Logging
import ServiceLifecycle
import SpoolCore
import SpoolIngest
import SpoolStore
import Synchronization
import UnixSignals

/// `spoolctl serve`: watches `incoming/`, queues drops, runs jobs, publishes outboxes.
///
/// One daemon per spool (an exclusive lock on `spool/.daemon.lock`). At start it finishes what a dead daemon
/// left: drops half-claimed in `processing/` go back to `incoming/`, jobs left RUNNING are requeued (or
/// failed after their attempt cap), half-written outboxes are removed; retention runs once. Then its services
/// run in one swift-service-lifecycle `ServiceGroup`, started in this order and stopped in reverse:
/// housekeeping (retention after each job), the scheduler (claims, runs each job's executor), the schedules,
/// the intake (the drop watcher). A graceful shutdown (SIGTERM and SIGINT with `stopOnSignals`, or `stop()`)
/// so stops the intake first, then the scheduler, whose running trials stop and whose jobs are requeued.
public final class SpoolDaemon: Sendable {
    public struct Options: Sendable {
        /// Take what is in `incoming/`, run the queue empty, exit (for cron and tests).
        public var once = false
        public var rescanSeconds: Double = 60
        /// A cap on jobs running at once; the device pool decides below it (a job waits for units).
        public var maxConcurrentJobs = 16
        /// The wall time schedules and retention read (`serve --now` for tests and replays).
        public var clock: @Sendable () -> Date = { Date() }
        /// The clock every wait of the services runs on: the scheduler's and the schedules' ticks, the
        /// executors' polls, the watcher's rescans.
        public var waitClock: any Clock<Duration> = ContinuousClock()
        /// How often the scheduler looks at the queue and the schedules fire when nothing wakes them.
        public var tick: Duration = .seconds(2)
        /// SIGTERM and SIGINT shut the daemon down gracefully (`spoolctl serve`; tests call `stop()`).
        public var stopOnSignals = false
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
    /// The GPUs or cores the running jobs share.
    let pool: DevicePool
    /// The schedules in `schedules/`, fired by the schedule service.
    let schedules: ScheduleRunner
    private struct State {
        var lockFD: Int32 = -1
        var group: ServiceGroup?
        var stopRequested = false
    }
    private let state = Mutex(State())

    public init(layout: SpoolLayout, store: JobStore, options: Options, logger: Logger) {
        self.layout = layout
        self.store = store
        var options = options
        options.executor.clock = options.waitClock
        // One follower for every Slurm trial of the daemon: one squeue a poll for all of them.
        if let slurm = options.executor.slurm, options.executor.slurmFollower == nil {
            options.executor.slurmFollower = SlurmFollower(client: SlurmClient(environment: slurm.environment),
                                                           pollSeconds: slurm.pollSeconds, clock: options.waitClock)
        }
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

    /// Asks the daemon to stop gracefully (what SIGTERM and SIGINT do): the intake stops, then running trials
    /// stop and their jobs are requeued. Before `run()`, it stops as soon as it has started.
    public func stop() {
        let group = state.withLock { state in
            state.stopRequested = true
            return state.group
        }
        if let group { Task { await group.triggerGracefulShutdown() } }
    }

    /// Runs until stopped (or, with `once`, until the queue is empty).
    public func run() async throws {
        try layout.create()
        try acquireLock()
        defer { releaseLock() }
        recover()
        logger.info("spool \(layout.root.path): serving (trainer \(options.executor.trainer.path))")
        applyRetention()

        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services(), gracefulShutdownSignals: options.stopOnSignals ? [.sigterm, .sigint] : [],
            logger: logger))
        let stopAtOnce = state.withLock { state in
            state.group = group
            return state.stopRequested
        }
        if stopAtOnce { await group.triggerGracefulShutdown() }
        defer { state.withLock { $0.group = nil } }
        try await group.run()
        if !options.once { logger.info("stopped") }
    }

    /// Runs the daemon from synchronous code (`spoolctl serve`, a `ParsableCommand`), blocking the calling
    /// thread until it stops. Not for async code: it would hold one of the concurrency pool's threads.
    public func run() throws {
        final class Outcome: Sendable { let result = Mutex<Result<Void, any Error>>(.success(())) }
        let outcome = Outcome(), done = DispatchSemaphore(value: 0)
        Task.detached {
            do { try await self.run() } catch { outcome.result.withLock { $0 = .failure(error) } }
            done.signal()
        }
        done.wait()
        try outcome.result.withLock { $0 }.get()
    }

    /// The group's services, in start order (stopped in reverse).
    func services() -> [ServiceGroupConfiguration.ServiceConfiguration] {
        let wakeups = Wakeups()
        let (finished, finishing) = AsyncStream.makeStream(of: String.self)
        let gate = QueueGate(layout: layout, store: store, intake: intake, schedules: schedules,
                             owner: options.executor.owner, leaseSeconds: options.executor.leaseSeconds, logger: logger)
        let scheduler = SchedulerService(gate: gate, layout: layout, store: store, executor: options.executor, pool: pool,
                                         logger: logger, once: options.once, maxConcurrentJobs: options.maxConcurrentJobs,
                                         clock: options.waitClock, tick: options.tick, wakeups: wakeups, finished: finishing)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: HousekeepingService(finished: finished, retention: { [self] in applyRetention() })),
            // Returns when the queue is empty with `once`, or after a graceful shutdown: either ends the group.
            .init(service: scheduler, successTerminationBehavior: .gracefullyShutdownGroup),
        ]
        guard !options.once else { return services }  // --once takes incoming/ and fires schedules once, itself
        services.append(.init(service: ScheduleService(gate: gate, clock: options.waitClock, interval: options.tick,
                                                       wakeups: wakeups)))
        // Watching incoming/: events are hints, scans are the truth (DropWatcher rescans at start, on overflow and
        // every `rescanSeconds`). A watcher that fails ends the intake, which stops the daemon gracefully.
        services.append(.init(service: IntakeService(directory: layout.incoming, rescanInterval: .seconds(options.rescanSeconds),
                                                     clock: options.waitClock, gate: gate, wakeups: wakeups, logger: logger),
                              successTerminationBehavior: .gracefullyShutdownGroup))
        return services
    }

    // MARK: - retention

    /// Removes the finished jobs the retention rules select, saying so in spool.log. One pass at a time: at
    /// start, before the services run, then from the housekeeping service alone.
    func applyRetention() {
        guard let rules = options.retention else { return }
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
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw RunnerError("cannot open \(path): \(String(cString: strerror(errno)))") }
        // `DaemonLock.holder` (spoolctl status, submit) holds a shared lock for an instant: retry briefly.
        var locked = flock(fd, LOCK_EX | LOCK_NB) == 0
        for _ in 0..<20 where !locked {
            usleep(50_000)
            locked = flock(fd, LOCK_EX | LOCK_NB) == 0
        }
        if !locked {
            let other = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
            close(fd)
            throw RunnerError("another `spoolctl serve` (pid \(other)) is serving \(layout.root.path); stop it first")
        }
        ftruncate(fd, 0)
        let pid = "\(getpid())\n"
        _ = pid.withCString { write(fd, $0, strlen($0)) }
        state.withLock { $0.lockFD = fd }
    }

    func releaseLock() {
        let fd = state.withLock { state in
            defer { state.lockFD = -1 }
            return state.lockFD
        }
        if fd >= 0 {
            flock(fd, LOCK_UN)
            close(fd)
        }
    }
}
