import SpoolCore

/// HyperDrive's bandit policy: stop a trial whose best so far is not within a slack of the best trial.
///
/// At interval N the reference is the best metric any trial reported at N (the trial itself included;
/// trials that have not reached N, and what others reported later, do not count). A trial stops when its
/// best over 1...N is below `reference / (1 + slack_factor)`, or below `reference - slack_amount`.
/// Metrics are maximized; for a negative reference the factor scales the other way
/// (`reference * (1 + slack_factor)`), so the threshold is never above the reference.
public struct BanditPolicy: EarlyTerminationPolicy {
    public enum Slack: Sendable, Hashable {
        /// The allowed ratio: stop below `best / (1 + factor)`.
        case factor(Double)
        /// The allowed distance: stop below `best - amount`.
        case amount(Double)
    }

    public var slack: Slack
    public var schedule: PolicySchedule

    /// - Precondition: exactly one of `slackFactor` and `slackAmount`, not negative.
    public init(slackFactor: Double?, slackAmount: Double?, schedule: PolicySchedule) {
        switch (slackFactor, slackAmount) {
        case let (factor?, nil):
            precondition(factor >= 0, "slack_factor must not be negative")
            slack = .factor(factor)
        case let (nil, amount?):
            precondition(amount >= 0, "slack_amount must not be negative")
            slack = .amount(amount)
        default:
            preconditionFailure("bandit needs exactly one of slack_factor and slack_amount")
        }
        self.schedule = schedule
    }

    public func evaluate(trial: TrialProgress, at interval: Int, among trials: [TrialProgress]) -> String? {
        guard let own = trial.comparableBest(through: interval),
              let reference = including(trial, in: trials).compactMap({ $0.comparableMetric(at: interval) }).max(),
              reference.isFinite
        else { return nil }
        let threshold: Double
        let formula: String
        switch slack {
        case let .factor(factor):
            threshold = reference >= 0 ? reference / (1 + factor) : reference * (1 + factor)
            formula = reference >= 0 ? "/ (1 + slack_factor \(factor))" : "* (1 + slack_factor \(factor))"
        case let .amount(amount):
            threshold = reference - amount
            formula = "- slack_amount \(amount)"
        }
        guard own < threshold else { return nil }
        return "bandit policy at interval \(interval): best so far \(reasonNumber(own)) is below "
            + "\(reasonNumber(threshold)) (the best trial's \(reasonNumber(reference)) \(formula))"
    }
}
