/// Decides after each validation whether a trial should stop, from its primary metric (spec section 5).
///
/// Every primary metric is maximized. The best value is always tracked; an evaluation that does not
/// beat it counts against `patience` only once `delay` evaluations have passed; `patience` such
/// evaluations in a row stop the trial. With `enabled` false it never stops.
public struct EarlyStopping: Sendable, Hashable, Codable {
    public enum Decision: Sendable, Hashable {
        /// A new best value: keep this epoch's weights.
        case improved
        /// No improvement; training goes on.
        case noImprovement
        /// `patience` evaluations without improvement after the delay: stop now.
        case stop
    }

    public let patience: Int
    public let delay: Int
    public let enabled: Bool
    /// The best value so far (nil before the first evaluation).
    public private(set) var best: Double?
    /// Evaluations recorded so far.
    public private(set) var evaluations = 0
    /// Counted evaluations in a row without improvement.
    public private(set) var evaluationsWithoutImprovement = 0

    public init(patience: Int, delay: Int, enabled: Bool = true) {
        self.patience = max(1, patience)
        self.delay = max(0, delay)
        self.enabled = enabled
    }

    public init(_ parameters: TrainingParameters) {
        self.init(
            patience: parameters.earlyStoppingPatience, delay: parameters.earlyStoppingDelay,
            enabled: parameters.earlyStopping)
    }

    /// Records one evaluation's primary metric. A NaN never improves.
    public mutating func record(_ metric: Double) -> Decision {
        evaluations += 1
        if !metric.isNaN, metric > (best ?? -.infinity) {
            best = metric
            evaluationsWithoutImprovement = 0
            return .improved
        }
        guard evaluations > delay else { return .noImprovement }
        evaluationsWithoutImprovement += 1
        return enabled && evaluationsWithoutImprovement >= patience ? .stop : .noImprovement
    }
}
