import Foundation
import Synchronization

/// The machine's compute, shared by the jobs a daemon runs: GPUs (one trial each) or CPU cores (each trial
/// takes its share of threads).
///
/// Jobs take units first in, first out: while an earlier job waits for units, a later job is refused them,
/// so a stream of small jobs cannot starve a big one. The daemon starts another job only when units are
/// free and no running job is waiting for more.
public final class DevicePool: Sendable {
    public enum Kind: Sendable, Equatable {
        /// CPU cores; a trial takes `threads` of them.
        case cpu
        /// GPUs by CUDA index or UUID; a trial sees its own alone. GPUs that `max_concurrent_trials` would leave
        /// idle go to the trials, which train data-parallel over them.
        case gpu
    }

    public let kind: Kind
    public let units: [String]
    private struct State {
        var free: [String]
        /// Jobs (by claim order) that want more units than they hold.
        var waiting: Set<Int> = []
    }
    private let state: Mutex<State>

    public init(kind: Kind, units: [String]) {
        precondition(!units.isEmpty, "a device pool needs at least one unit")
        self.kind = kind
        self.units = units
        self.state = Mutex(State(free: units))
    }

    /// Every core of this machine (as the scheduler allows the process).
    public static func cpu(cores: Int = ProcessInfo.processInfo.activeProcessorCount) -> DevicePool {
        DevicePool(kind: .cpu, units: (0..<max(1, cores)).map { "core\($0)" })
    }

    /// The GPUs named in `CUDA_VISIBLE_DEVICES` (or `0` alone when it is unset or empty).
    public static func gpus(visible: String?) -> DevicePool {
        let names = (visible ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && $0 != "-1" }
        return DevicePool(kind: .gpu, units: names.isEmpty ? ["0"] : names)
    }

    /// How many units one trial of a job that runs `concurrent` trials at once takes: the GPUs or the cores
    /// divided among the trials (at least one each).
    public func unitsPerTrial(concurrent: Int) -> Int {
        max(1, units.count / max(1, min(concurrent, units.count)))
    }

    /// The data-parallel processes a trial runs on `gpus` GPUs with a whole batch of `batchSize`: one per GPU,
    /// as many as divide the batch evenly (a GPU the batch cannot use stays idle for that trial).
    public static func processes(gpus: Int, batchSize: Int) -> Int {
        guard gpus > 1, batchSize > 1 else { return 1 }
        return (1...min(gpus, batchSize)).last { batchSize % $0 == 0 } ?? 1
    }

    /// How many trials of one job can run at once on this pool.
    public func maxTrials(concurrent: Int) -> Int {
        min(concurrent, units.count / unitsPerTrial(concurrent: concurrent))
    }

    /// Takes `count` units for job `order`, or nil when they are not free or an earlier job is waiting.
    public func tryAcquire(order: Int, count: Int) -> [String]? {
        state.withLock { state in
            guard state.free.count >= count, !state.waiting.contains(where: { $0 < order }) else { return nil }
            let taken = Array(state.free.prefix(count))
            state.free.removeFirst(count)
            return taken
        }
    }

    public func release(_ taken: [String]) {
        state.withLock { state in
            state.free.append(contentsOf: taken)
            state.free.sort { units.firstIndex(of: $0)! < units.firstIndex(of: $1)! }
        }
    }

    /// Marks job `order` as wanting more units (or not).
    public func setWaiting(order: Int, _ wants: Bool) {
        state.withLock { state in
            if wants { state.waiting.insert(order) } else { state.waiting.remove(order) }
        }
    }

    /// Whether another job could start now: units are free and no running job is waiting for them.
    public var hasRoomForAnotherJob: Bool {
        state.withLock { !$0.free.isEmpty && $0.waiting.isEmpty }
    }

    public var freeCount: Int { state.withLock { $0.free.count } }
}
