import Foundation
import Logging
import ServiceLifecycle
import SpoolCore
import SpoolStore
import Synchronization

/// Claims jobs while the device pool has room and runs each `JobExecutor` as a child task; wakes on a ring
/// (drops taken, a schedule fired, a job finished) or every `tick` of the injected clock (jobs queued by
/// another process: `spoolctl requeue`).
///
/// At graceful shutdown (or cancellation) every running job stops its trials and is requeued, and the service
/// returns once they have; with `once` it returns when the queue is empty, which shuts the group down.
final class SchedulerService: Service {
    struct State {
        var stopping = false
        var running: [String: JobExecutor] = [:]
        /// Claim order, for the pool's first-in-first-out.
        var claims = 0
    }

    let gate: QueueGate
    let layout: SpoolLayout
    let store: JobStore
    let executor: JobExecutor.Options
    let pool: DevicePool
    let logger: Logger
    let once: Bool
    let maxConcurrentJobs: Int
    let clock: any Clock<Duration>
    let tick: Duration
    let wakeups: Wakeups
    /// Each finished job's id, for housekeeping; finished when this service returns.
    let finished: AsyncStream<String>.Continuation
    private let state = Mutex(State())

    init(gate: QueueGate, layout: SpoolLayout, store: JobStore, executor: JobExecutor.Options, pool: DevicePool,
         logger: Logger, once: Bool, maxConcurrentJobs: Int, clock: any Clock<Duration>, tick: Duration,
         wakeups: Wakeups, finished: AsyncStream<String>.Continuation) {
        self.gate = gate
        self.layout = layout
        self.store = store
        self.executor = executor
        self.pool = pool
        self.logger = logger
        self.once = once
        self.maxConcurrentJobs = maxConcurrentJobs
        self.clock = clock
        self.tick = tick
        self.wakeups = wakeups
        self.finished = finished
    }

    func run() async throws {
        defer { finished.finish() }
        if once {
            _ = await gate.tickSchedules()
            await gate.take(await gate.scanIncoming())
        }
        await withTaskCancellationOrGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { [clock, tick, wakeups] in
                    while !Task.isCancelled {
                        try? await clock.sleep(for: tick)
                        wakeups.ring()
                    }
                }
                var rings = wakeups.rings.makeAsyncIterator()
                while !isStopping {
                    let started = await startJobs(in: &group)
                    if once && started == 0 && runningCount == 0 { break }
                    guard await rings.next() != nil else { break }
                }
                // Stopping, or the queue is empty: the running jobs end (requeued when stopping) first.
                while runningCount > 0 {
                    guard await rings.next() != nil else { break }
                }
                group.cancelAll()  // the ticker (and, if this task was cancelled, the jobs: they requeue)
            }
        } onCancelOrGracefulShutdown: {
            self.stop()
        }
        // The jobs have returned: trials left in Slurm go on there, for the next daemon to re-attach.
        await executor.slurmFollower?.stop()
        if once && !isStopping { logger.info("queue empty; exiting (--once)") }
    }

    /// Stops taking jobs; the running ones stop their trials and are requeued.
    func stop() {
        let (executors, already) = state.withLock { state in
            defer { state.stopping = true }
            return (Array(state.running.values), state.stopping)
        }
        guard !already else { return }
        logger.notice("stopping gracefully (running trials stop and are requeued): \(executors.count) running job(s)")
        executors.forEach { $0.shutdown() }
        wakeups.ring()
    }

    var isStopping: Bool { state.withLock { $0.stopping } }
    var runningCount: Int { state.withLock { $0.running.count } }

    /// Claims and starts jobs while the pool has room: the first job always, another only when units are free
    /// and no running job is waiting for more (first in, first out). Returns how many started.
    private func startJobs(in group: inout TaskGroup<Void>) async -> Int {
        var started = 0
        while true {
            let free = state.withLock { state in
                !state.stopping && (state.running.isEmpty
                    || (state.running.count < maxConcurrentJobs && pool.hasRoomForAnotherJob))
            }
            guard free, let job = await gate.claim() else { break }
            let order = state.withLock { state in
                state.claims += 1
                return state.claims
            }
            // Waiting until it has taken its units, so the next claim sees what is left.
            pool.setWaiting(order: order, true)
            let executor = JobExecutor(layout: layout, store: store, options: self.executor, logger: logger, pool: pool,
                                       order: order)
            let stopping = state.withLock { state in
                state.running[job.id] = executor
                return state.stopping
            }
            // Claimed as the daemon began to stop: it runs no trial and is requeued at once.
            if stopping { executor.shutdown() }
            started += 1
            group.addTask { [self] in
                JobLog.append(layout.jobLog(job.id), jobID: job.id, "RUNNING (attempt \(job.attempts))")
                await executor.run(job)
                state.withLock { _ = $0.running.removeValue(forKey: job.id) }
                finished.yield(job.id)
                wakeups.ring()
            }
        }
        return started
    }
}
