import Foundation
import SpoolCore

extension EarlyTerminationSettings {
    /// The policy these settings describe, with their schedule.
    ///
    /// The settings are assumed validated (one slack for bandit, a percentage in 1...99, a reduction
    /// factor of at least 2); the policies' initializers check it again.
    public func makePolicy() -> any EarlyTerminationPolicy {
        switch self {
        case let .bandit(slackFactor, slackAmount, schedule):
            BanditPolicy(slackFactor: slackFactor, slackAmount: slackAmount, schedule: schedule)
        case let .medianStopping(schedule):
            MedianStoppingPolicy(schedule: schedule)
        case let .truncationSelection(percentage, excludeFinishedJobs, schedule):
            TruncationSelectionPolicy(percentage: percentage, excludeFinishedJobs: excludeFinishedJobs,
                                      schedule: schedule)
        case let .successiveHalving(minResource, reductionFactor, schedule):
            SuccessiveHalvingPolicy(minResource: minResource, reductionFactor: reductionFactor, schedule: schedule)
        }
    }
}

// MARK: - Shared by the policies

/// A metric as the policies compare it: NaN (a diverged trial) is the worst value rather than one that
/// makes every comparison false.
func comparable(_ value: Double) -> Double {
    value.isNaN ? -.infinity : value
}

/// A metric as it appears in a reason: four decimals.
func reasonNumber(_ value: Double) -> String {
    String(format: "%.4f", value)
}

extension TrialProgress {
    /// `metric(at:)`, NaN read as the worst value.
    func comparableMetric(at interval: Int) -> Double? {
        metric(at: interval).map(comparable)
    }

    /// `best(through:)`, NaN read as the worst value (so a NaN never hides a real report).
    func comparableBest(through interval: Int) -> Double? {
        metrics.prefix(max(0, interval)).map(comparable).max()
    }

    /// `runningAverage(through:)`, NaN read as the worst value.
    func comparableRunningAverage(through interval: Int) -> Double? {
        let values = metrics.prefix(max(0, interval)).map(comparable)
        return values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }
}

/// Trials ordered from the best to the worst at one interval: higher metric first, and on equal metrics
/// the earlier trial first (the later trial number ranks lower), so every caller breaks ties alike.
func rankedBestFirst(_ entries: [(number: Int, value: Double)]) -> [(number: Int, value: Double)] {
    entries.sorted { a, b in a.value != b.value ? a.value > b.value : a.number < b.number }
}

/// `trials` with `trial` in its own place (its record as given to the policy wins over a stale copy),
/// or added when the list lacks it.
func including(_ trial: TrialProgress, in trials: [TrialProgress]) -> [TrialProgress] {
    var result = trials.filter { $0.number != trial.number }
    result.append(trial)
    return result
}
