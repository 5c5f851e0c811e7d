import SpoolCore

/// HyperDrive's truncation selection policy: at each evaluation, stop the lowest `percentage`% of trials.
///
/// At interval N the trials compared are those that reported N, each by the metric it reported at N
/// (not its best); with `excludeFinishedJobs`, trials that have ended are left out of the comparison
/// (the trial being evaluated always takes part). Of `count` trials the lowest
/// `floor(count * percentage / 100)` are cut, so nothing is cut while that is below 1. On equal metrics
/// the later trial number ranks lower.
public struct TruncationSelectionPolicy: EarlyTerminationPolicy {
    public var percentage: Int
    public var excludeFinishedJobs: Bool
    public var schedule: PolicySchedule

    /// - Precondition: `percentage` in 1...99.
    public init(percentage: Int, excludeFinishedJobs: Bool, schedule: PolicySchedule) {
        precondition((1...99).contains(percentage), "truncation_percentage must be in 1...99")
        self.percentage = percentage
        self.excludeFinishedJobs = excludeFinishedJobs
        self.schedule = schedule
    }

    public func evaluate(trial: TrialProgress, at interval: Int, among trials: [TrialProgress]) -> String? {
        guard let own = trial.comparableMetric(at: interval) else { return nil }
        let entries = including(trial, in: trials)
            .filter { $0.number == trial.number || !(excludeFinishedJobs && $0.isFinished) }
            .compactMap { peer in peer.comparableMetric(at: interval).map { (number: peer.number, value: $0) } }
        let cut = entries.count * percentage / 100
        guard cut >= 1 else { return nil }
        let ranked = rankedBestFirst(entries)
        guard let position = ranked.firstIndex(where: { $0.number == trial.number }),
              position >= ranked.count - cut
        else { return nil }
        let finished = excludeFinishedJobs ? ", finished trials excluded" : ""
        return "truncation selection at interval \(interval): \(reasonNumber(own)) is among the lowest \(cut) "
            + "of \(entries.count) trials at that interval (truncation_percentage \(percentage)\(finished))"
    }
}
