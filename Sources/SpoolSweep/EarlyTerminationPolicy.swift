import SpoolCore

/// Decides whether a trial should stop (Optuna's pruner, HyperDrive's early-termination policy).
///
/// A policy is a value with one decision method; it is asked after a trial reports the primary metric of
/// an interval, and only at the intervals its schedule names (`PolicySchedule.applies(at:)`).
public protocol EarlyTerminationPolicy: Sendable {
    var schedule: PolicySchedule { get }

    /// Whether `trial`, which has just reported `interval`, should stop; nil to let it go on, else why
    /// (a sentence for the trial's reason). `trials` holds every trial of the sweep, `trial` included.
    func evaluate(trial: TrialProgress, at interval: Int, among trials: [TrialProgress]) -> String?
}

extension EarlyTerminationPolicy {
    /// Applies the schedule, then the policy.
    public func shouldStop(trial: TrialProgress, at interval: Int, among trials: [TrialProgress]) -> String? {
        guard schedule.applies(at: interval) else { return nil }
        return evaluate(trial: trial, at: interval, among: trials)
    }
}
