import Foundation
import Logging
import SpoolCore
import SpoolIngest
import SpoolStore

/// The one door to the queue's writes that must not interleave: taking drops, firing schedules (which take
/// their drops at once) and claiming jobs.
///
/// Intake queues a job before it moves the job's files into place, so a claim between the two would run a job
/// without its bundle. An actor makes them take turns without a lock or a thread: a claim waits (suspended,
/// not blocking) while a drop is being taken. Taking a drop blocks (it unpacks the archive): the gate runs on a
/// thread of its own, not on the shared task threads.
actor QueueGate {
    private let executor = DispatchQueueExecutor(label: "spool.queue-gate")
    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }
    let layout: SpoolLayout
    let store: JobStore
    let intake: Intake
    let schedules: ScheduleRunner
    let owner: String
    let leaseSeconds: Double
    let logger: Logger

    init(layout: SpoolLayout, store: JobStore, intake: Intake, schedules: ScheduleRunner, owner: String,
         leaseSeconds: Double, logger: Logger) {
        self.layout = layout
        self.store = store
        self.intake = intake
        self.schedules = schedules
        self.owner = owner
        self.leaseSeconds = leaseSeconds
        self.logger = logger
    }

    /// Takes each drop into the queue (or `failed/`).
    func take(_ names: [String]) {
        for name in names {
            let result = intake.process(dropNamed: name)
            logger.debug("drop \(name): \(result)")
        }
    }

    /// Complete-looking entries of `incoming/` (for `--once`; the watcher does this while serving).
    func scanIncoming() -> [String] {
        let rules = DropRules()
        let names = (try? FileManager.default.contentsOfDirectory(atPath: layout.incoming.path)) ?? []
        return names.filter { !rules.ignores($0) }.sorted()
    }

    /// Fires the schedules that are due; true when one of them did something.
    func tickSchedules() -> Bool {
        !schedules.tick().isEmpty
    }

    /// Claims the next job, or nil when none is pending (or the queue cannot be read: logged).
    func claim() -> Job? {
        do {
            return try store.claimNext(owner: owner, leaseSeconds: leaseSeconds)
        } catch {
            logger.error("cannot claim a job: \(error)")
            return nil
        }
    }
}
