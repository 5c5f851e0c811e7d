import Dispatch

/// A serial executor on a dispatch queue of its own, for an actor whose work blocks (unpacking an archive,
/// SQLite): the actor's jobs run there instead of on Swift's shared task threads, of which there are only as
/// many as cores, so a long unpack does not hold up the scheduler and the trials' supervision.
final class DispatchQueueExecutor: SerialExecutor {
    let queue: DispatchQueue

    init(label: String) { queue = DispatchQueue(label: label) }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedSerialExecutor()) }
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor { UnownedSerialExecutor(ordinary: self) }
}
