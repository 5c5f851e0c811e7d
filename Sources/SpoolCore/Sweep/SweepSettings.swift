/// A job's sweep as read from its settings (spec sections 6 and 7): how configurations are chosen, which
/// policy stops poor trials, and the space they come from.
public struct SweepSettings: Sendable, Hashable {
    public var samplingAlgorithm: SamplingAlgorithm
    public var earlyTermination: EarlyTerminationSettings?
    /// The space as written; nil when the settings have none (one trial of the defaults, or AutoMode's
    /// space when `max_trials > 1`).
    public var searchSpace: SearchSpace?

    public init(samplingAlgorithm: SamplingAlgorithm = .random, earlyTermination: EarlyTerminationSettings? = nil,
                searchSpace: SearchSpace? = nil) {
        self.samplingAlgorithm = samplingAlgorithm
        self.earlyTermination = earlyTermination
        self.searchSpace = searchSpace
    }
}
