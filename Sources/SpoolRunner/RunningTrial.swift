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
    private var lastLogged: Date?
    private var lastEvaluated: Int

    /// `evaluatedThrough`: the last epoch whose evaluation the policy has seen (a resumed trial's, from the store).
    init(trial: Trial, process: any TrialHandle, units: [String], launch: SweepState.Launch, batchSize: Int, started: Date,
         evaluatedThrough: Int = 0) {
        self.trial = trial
        self.process = process
        self.units = units
        self.launch = launch
        self.batchSize = batchSize
        self.started = started
        self.lastEvaluated = evaluatedThrough
    }

    /// Records an evaluation at `epoch`; false when it is not after the last one seen: a resumed run reporting
    /// again the epochs its checkpoint holds (after the daemon's death, a Slurm requeue or a preemption).
    func isNewEvaluation(epoch: Int) -> Bool {
        lock.withLock {
            guard epoch > lastEvaluated else { return false }
            lastEvaluated = epoch
            return true
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

    /// When a progress line of its steps was last logged (the daemon's log, and the terminal in the foreground).
    var progressLoggedAt: Date? {
        get { lock.withLock { lastLogged } }
        set { lock.withLock { lastLogged = newValue } }
    }

    /// Why the early-termination policy stopped it, once it has.
    var stoppedBecause: String? {
        get { lock.withLock { policyReason } }
        set { lock.withLock { policyReason = newValue } }
    }
}
