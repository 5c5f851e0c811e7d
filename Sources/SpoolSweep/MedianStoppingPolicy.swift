import SpoolCore

/// HyperDrive's median stopping policy: stop a trial whose best so far is worse than the median of the
/// trials' running averages.
///
/// At interval N the trials compared are those that reported N (the trial itself included); each
/// contributes its average over intervals 1...N. A trial stops when its best over 1...N is strictly
/// below the median of those averages (the mean of the two middle ones for an even count). With fewer
/// than two such trials there is nothing to compare against, and no trial stops.
public struct MedianStoppingPolicy: EarlyTerminationPolicy {
    public var schedule: PolicySchedule

    public init(schedule: PolicySchedule) {
        self.schedule = schedule
    }

    public func evaluate(trial: TrialProgress, at interval: Int, among trials: [TrialProgress]) -> String? {
        guard let own = trial.comparableBest(through: interval) else { return nil }
        let averages = including(trial, in: trials)
            .filter { $0.metric(at: interval) != nil }
            .compactMap { $0.comparableRunningAverage(through: interval) }
            .sorted()
        guard averages.count >= 2 else { return nil }
        let middle = averages.count / 2
        let median = averages.count % 2 == 1 ? averages[middle] : (averages[middle - 1] + averages[middle]) / 2
        guard own < median else { return nil }
        return "median stopping at interval \(interval): best so far \(reasonNumber(own)) is below the median "
            + "running average \(reasonNumber(median)) of \(averages.count) trials"
    }
}
