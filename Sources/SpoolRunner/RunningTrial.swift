import Foundation
import SpoolCore
import SpoolStore
import Synchronization

/// A trial the executor supervises: its store row, its process (here or in Slurm), the pool units it holds.
final class RunningTrial: Sendable {
    let trial: Trial
    let process: any TrialHandle
    let units: [String]
    let launch: SweepState.Launch
    let batchSize: Int
    let started: Date
    private struct State {
        var policyReason: String?
        var lastEvent: ProgressEvent?
        var lastStored: Date?
        var lastLogged: Date?
        var lastEvaluated: Int
    }
    private let state: Mutex<State>

    /// `evaluatedThrough`: the last epoch whose evaluation the policy has seen (a resumed trial's, from the store).
    init(trial: Trial, process: any TrialHandle, units: [String], launch: SweepState.Launch, batchSize: Int, started: Date,
         evaluatedThrough: Int = 0) {
        self.trial = trial
        self.process = process
        self.units = units
        self.launch = launch
        self.batchSize = batchSize
        self.started = started
        self.state = Mutex(State(lastEvaluated: evaluatedThrough))
    }

    /// Records an evaluation at `epoch`; false when it is not after the last one seen: a resumed run reporting
    /// again the epochs its checkpoint holds (after the daemon's death, a Slurm requeue or a preemption).
    func isNewEvaluation(epoch: Int) -> Bool {
        state.withLock { state in
            guard epoch > state.lastEvaluated else { return false }
            state.lastEvaluated = epoch
            return true
        }
    }

    /// The trial's latest progress event (its epoch, step, images per second and ETA).
    var latest: ProgressEvent? {
        get { state.withLock { $0.lastEvent } }
        set { state.withLock { $0.lastEvent = newValue } }
    }

    /// When its progress was last written to the store.
    var progressStoredAt: Date? {
        get { state.withLock { $0.lastStored } }
        set { state.withLock { $0.lastStored = newValue } }
    }

    /// When a progress line of its steps was last logged (the daemon's log, and the terminal in the foreground).
    var progressLoggedAt: Date? {
        get { state.withLock { $0.lastLogged } }
        set { state.withLock { $0.lastLogged = newValue } }
    }

    /// Why the early-termination policy stopped it, once it has.
    var stoppedBecause: String? {
        get { state.withLock { $0.policyReason } }
        set { state.withLock { $0.policyReason = newValue } }
    }
}
