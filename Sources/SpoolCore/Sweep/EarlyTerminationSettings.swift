/// When a policy looks at a trial: at every multiple of `evaluationInterval` that is at least
/// `delayEvaluation` (both counted in primary-metric reports, one validation = one interval).
public struct PolicySchedule: Sendable, Hashable, Codable {
    public var evaluationInterval: Int
    public var delayEvaluation: Int

    public init(evaluationInterval: Int = 1, delayEvaluation: Int = 0) {
        self.evaluationInterval = evaluationInterval
        self.delayEvaluation = delayEvaluation
    }

    /// Whether the policy is applied after the report of `interval` (from 1).
    public func applies(at interval: Int) -> Bool {
        interval >= 1 && interval % evaluationInterval == 0 && interval >= delayEvaluation
    }

    enum CodingKeys: String, CodingKey {
        case evaluationInterval = "evaluation_interval", delayEvaluation = "delay_evaluation"
    }
}

/// `sweep.early_termination` (spec section 7), read and validated.
public enum EarlyTerminationSettings: Sendable, Hashable {
    /// Cancel a trial whose best is below best/(1+slack_factor), or below best - slack_amount.
    case bandit(slackFactor: Double?, slackAmount: Double?, schedule: PolicySchedule)
    /// Cancel a trial whose best is below the median of the running averages of all trials.
    case medianStopping(schedule: PolicySchedule)
    /// Cancel the lowest `percentage`% of trials at each evaluation.
    case truncationSelection(percentage: Int, excludeFinishedJobs: Bool, schedule: PolicySchedule)
    /// Beyond Azure: asynchronous successive halving (ASHA). At rungs `minResource * reductionFactor^k`
    /// intervals a trial continues only if it is in the top 1/reductionFactor of the trials that reached
    /// the rung.
    case successiveHalving(minResource: Int, reductionFactor: Int, schedule: PolicySchedule)

    /// The names accepted for `type:`.
    public static let typeNames = ["bandit", "median_stopping", "truncation_selection", "successive_halving"]

    public var typeName: String {
        switch self {
        case .bandit: "bandit"
        case .medianStopping: "median_stopping"
        case .truncationSelection: "truncation_selection"
        case .successiveHalving: "successive_halving"
        }
    }

    public var schedule: PolicySchedule {
        switch self {
        case let .bandit(_, _, schedule), let .medianStopping(schedule), let .truncationSelection(_, _, schedule),
             let .successiveHalving(_, _, schedule):
            schedule
        }
    }
}
