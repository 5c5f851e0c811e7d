import Foundation
import SpoolCore

/// A trial's running work, wherever it runs: a child process of the daemon (`TrialProcess`) or a Slurm job
/// (`SlurmTrial`). The executor starts it, reads its progress events, asks it to stop, and learns how it ended;
/// the same sweep, policies, budgets and outbox serve both.
public protocol TrialHandle: AnyObject, Sendable {
    /// Starts the trial; `onEvent` receives each progress event it reports (on a background thread).
    func start(onEvent: @escaping @Sendable (ProgressEvent) -> Void) throws
    /// Asks the trial to stop (it saves its best model first), forcing it after `grace` seconds.
    func stop(_ reason: TrialProcess.StopReason, grace: Double)
    /// False once it has ended (`wait` then returns without blocking).
    var isRunning: Bool { get }
    /// Blocks until it has ended and its last progress events are handled; how it ended.
    func wait() -> TrialProcess.Outcome
    /// Where it runs, for the job's log: `pid 1234`, `Slurm job 56`.
    var placement: String { get }
}

extension TrialProcess: TrialHandle {
    public var placement: String { "pid \(pid)" }
}
