import SpoolCore

/// Asynchronous successive halving (ASHA), beyond Azure: at each rung only the best part of the trials
/// that reached it continue.
///
/// Rungs are at intervals `minResource * reductionFactor^k` (k = 0, 1, ...); other intervals never stop
/// a trial. When a trial reports a rung it continues only if its metric there is within the top
/// `floor(n / reductionFactor)` (at least the top 1) of the `n` trials that have reached the rung, itself
/// included. On equal metrics the later trial number ranks lower. Being asynchronous, the first trial to
/// reach a rung always continues, and a trial is judged against those that got there before it.
public struct SuccessiveHalvingPolicy: EarlyTerminationPolicy {
    public var minResource: Int
    public var reductionFactor: Int
    public var schedule: PolicySchedule

    /// - Precondition: `minResource >= 1`, `reductionFactor >= 2`.
    public init(minResource: Int, reductionFactor: Int, schedule: PolicySchedule) {
        precondition(minResource >= 1, "min_resource must be at least 1")
        precondition(reductionFactor >= 2, "reduction_factor must be at least 2")
        self.minResource = minResource
        self.reductionFactor = reductionFactor
        self.schedule = schedule
    }

    /// Whether `interval` is a rung: `minResource * reductionFactor^k` for some k >= 0.
    public func isRung(_ interval: Int) -> Bool {
        guard interval >= minResource, interval % minResource == 0 else { return false }
        var quotient = interval / minResource
        while quotient % reductionFactor == 0 { quotient /= reductionFactor }
        return quotient == 1
    }

    public func evaluate(trial: TrialProgress, at interval: Int, among trials: [TrialProgress]) -> String? {
        guard isRung(interval), let own = trial.comparableMetric(at: interval) else { return nil }
        let entries = including(trial, in: trials)
            .compactMap { peer in peer.comparableMetric(at: interval).map { (number: peer.number, value: $0) } }
        let kept = max(1, entries.count / reductionFactor)
        let ranked = rankedBestFirst(entries)
        guard let position = ranked.firstIndex(where: { $0.number == trial.number }), position >= kept
        else { return nil }
        return "successive halving at rung interval \(interval): \(reasonNumber(own)) ranks \(position + 1) of "
            + "the \(entries.count) trials that reached it, and only the top \(kept) continue "
            + "(1/reduction_factor \(reductionFactor))"
    }
}
