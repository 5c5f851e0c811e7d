import Foundation
import Logging
import ServiceLifecycle
import SpoolIngest

/// Watches `incoming/` and takes each drop into the queue, through the gate, so that no job is claimed before
/// its files are in place; then rings the scheduler.
///
/// Events are hints, scans are the truth: `DropWatcher` rescans at start, on overflow and every
/// `rescanInterval`. The last service of the group, so the first stopped: at graceful shutdown it takes no
/// more drops before the scheduler stops its trials. A watcher that fails stops the daemon (gracefully: the
/// service returns and the group shuts down).
struct IntakeService: Service {
    let directory: URL
    let rescanInterval: Duration
    let clock: any Clock<Duration>
    let gate: QueueGate
    let wakeups: Wakeups
    let logger: Logger

    func run() async throws {
        let watcher = clock.dropWatcher(directory: directory, rescanInterval: rescanInterval, logger: logger)
        let logger = self.logger
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    try await watcher.run()
                } catch {
                    logger.error("watching \(directory.path) failed: \(error); stopping")
                }
            }
            // `drops` ends when the watcher stops (failed, or cancelled below); graceful shutdown ends the loop.
            for await drop in watcher.drops.cancelOnGracefulShutdown() {
                await gate.take([drop.name])
                wakeups.ring()
            }
            group.cancelAll()
        }
        logger.notice(Task.isShuttingDownGracefully ? "stopping gracefully: no more drops are taken" : "intake stopped")
    }

}

extension Clock where Duration == Swift.Duration {
    /// A drop watcher on this clock: a member, so that an `any Clock<Duration>` opens to the concrete clock
    /// `DropWatcher`'s generic initialiser takes.
    func dropWatcher(directory: URL, rescanInterval: Duration, logger: Logger) -> DropWatcher {
        DropWatcher(directory: directory, configuration: .init(rescanInterval: rescanInterval), clock: self, logger: logger)
    }
}
