import Foundation
import SpoolCore
import SpoolStore

/// A trial the executor supervises: its store row, its process (here or in Slurm), the pool units it holds.
final class RunningTrial: @unchecked Sendable {
    let trial: Trial
    let process: any TrialHandle
    let units: [String]
    let launch: SweepState.Launch
    let batchSize: Int
    let started: Date
    private let lock = NSLock()
    private var policyReason: String?
    private var lastEvent: ProgressEvent?
    private var lastStored: Date?
    private var lastEvaluated: Int?

    init(trial: Trial, process: any TrialHandle, units: [String], launch: SweepState.Launch, batchSize: Int, started: Date) {
        self.trial = trial
        self.process = process
        self.units = units
        self.launch = launch
        self.batchSize = batchSize
        self.started = started
    }

    /// Records an evaluation at `epoch`; true when it is not after the previous one: the trial started over
    /// (Slurm requeued it after a node failure or a preemption).
    func evaluated(epoch: Int) -> Bool {
        lock.withLock {
            defer { lastEvaluated = epoch }
            return lastEvaluated.map { epoch <= $0 } ?? false
        }
    }

    /// The trial's latest progress event (its epoch, step, images per second and ETA).
    var latest: ProgressEvent? {
        get { lock.withLock { lastEvent } }
        set { lock.withLock { lastEvent = newValue } }
    }

    /// When its progress was last written to the store.
    var progressStoredAt: Date? {
        get { lock.withLock { lastStored } }
        set { lock.withLock { lastStored = newValue } }
    }

    /// Why the early-termination policy stopped it, once it has.
    var stoppedBecause: String? {
        get { lock.withLock { policyReason } }
        set { lock.withLock { policyReason = newValue } }
    }
}
