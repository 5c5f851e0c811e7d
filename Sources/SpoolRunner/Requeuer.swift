import Foundation
import SpoolCore
import SpoolStore

/// Drops a job that ended without a model (FAILED, CANCELLED, TIMEOUT, OUT_OF_MEMORY) again, as `retrain`
/// drops a bundle: its unpacked bundle copied into `tmp/`, marked with a `JobOrigin` that says `requeueOf`
/// (so the drop is not the original's bytes, and the job keeps its name and line), renamed into `incoming/`.
public struct Requeuer: Sendable {
    public let layout: SpoolLayout
    public let store: JobStore
    /// The clock of the drop's name.
    public var now: @Sendable () -> Date = { Date() }

    public init(layout: SpoolLayout, store: JobStore) {
        self.layout = layout
        self.store = store
    }

    /// The states a job can be requeued from.
    public static let requeueable: Set<JobState> = [.failed, .cancelled, .timeout, .outOfMemory]

    /// Drops `job`'s bundle again and returns the drop's name in `incoming/`. The new job's trials resume from
    /// `job`'s (its finished trials count, its unfinished ones continue from their checkpoints), unless `restart`.
    public func requeue(_ job: Job, restart: Bool = false) throws -> String {
        guard Self.requeueable.contains(job.state) else {
            switch job.state {
            case .completed:
                throw RunnerError("job \(job.id) is COMPLETED: it has its model; to train its configuration again, "
                    + "on the same or new data, use `spoolctl retrain \(job.id)`")
            default:
                throw RunnerError("job \(job.id) is \(job.state.rawValue): only a FAILED, CANCELLED, TIMEOUT or "
                    + "OUT_OF_MEMORY job can be requeued; cancel it first with `spoolctl cancel \(job.id)`")
            }
        }
        let fm = FileManager.default
        let bundle = layout.bundle(job.id).resolvingSymlinksInPath()
        guard JobBundle.settingsNames.contains(where: { fm.fileExists(atPath: bundle.appendingPathComponent($0).path) }) else {
            throw RunnerError("job \(job.id): its bundle is gone (\(bundle.path)); submit the bundle again instead")
        }
        let earlier = JobOrigin.read(in: bundle)
        try layout.create()
        let dropName = "\(job.name)-requeue-\(Int(now().timeIntervalSince1970))"
        let staging = layout.tmp.appendingPathComponent(".\(UUID().uuidString)-\(dropName)")
        do {
            try fm.copyItem(at: bundle, to: staging)
            try? fm.removeItem(at: staging.appendingPathComponent(JobOrigin.fileName))
            // A schedule's slot key stays with the original job (the queue takes one job per key).
            try JobOrigin(name: job.name, lineage: earlier?.lineage, warmStartFrom: earlier?.warmStartFrom,
                          retrainOf: earlier?.retrainOf, promote: earlier?.promote ?? "better",
                          note: "requeue of \(job.id) (\(job.state.rawValue): \(job.reason))" + (restart ? ", started over" : ""),
                          requeueOf: job.id, restart: restart ? true : nil)
                .write(in: staging)
            let target = Dropper(layout: layout).freeName(for: dropName)
            guard rename(staging.path, target.path) == 0 else {
                throw RunnerError("cannot move the copy into \(layout.incoming.path): \(String(cString: strerror(errno)))")
            }
            return target.lastPathComponent
        } catch {
            try? fm.removeItem(at: staging)
            throw error
        }
    }
}
