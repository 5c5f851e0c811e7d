import Logging
import ServiceLifecycle

/// Fires the schedules in `schedules/` (`ScheduleRunner.tick`) every `interval` of the injected clock, through
/// the queue's gate, and wakes the scheduler when a firing queued something.
struct ScheduleService: Service {
    let gate: QueueGate
    let clock: any Clock<Duration>
    let interval: Duration
    let wakeups: Wakeups

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            if await gate.tickSchedules() { wakeups.ring() }
            // The sleep ends early at graceful shutdown (or cancellation).
            _ = await cancelWhenGracefulShutdown { try? await clock.sleep(for: interval) }
        }
    }
}
