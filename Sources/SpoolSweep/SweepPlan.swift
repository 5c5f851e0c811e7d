import SpoolCore

/// A job's sweep, ready to run: the sampler, the early-termination policy and the limits.
public struct SweepPlan: Sendable {
    public let sampler: any SweepSampler
    public let policy: (any EarlyTerminationPolicy)?
    public let space: SearchSpace?
    public let algorithm: SamplingAlgorithm
    /// How many configurations to try (`max_trials`, fewer when a grid is smaller).
    public let maxTrials: Int
    public let maxConcurrentTrials: Int

    /// The plan of `settings`; `seed` makes the sampler reproducible.
    /// - Throws: `SamplerError` when the space does not suit the algorithm (grid with a uniform).
    public init(settings: JobSettings, seed: UInt64) throws(SamplerError) {
        let space = settings.effectiveSearchSpace
        self.space = space
        algorithm = settings.sweep.samplingAlgorithm
        policy = settings.sweep.earlyTermination?.makePolicy()
        if let space {
            switch algorithm {
            case .grid: sampler = try GridSampler(space: space)
            case .random: sampler = RandomSampler(space: space, seed: seed)
            case .bayesian: sampler = BayesianSampler(space: space, seed: seed)
            }
        } else {
            sampler = SingleTrialSampler()
        }
        maxTrials = min(settings.limits.maxTrials, sampler.capacity ?? Int.max)
        maxConcurrentTrials = min(settings.limits.maxConcurrentTrials, maxTrials)
    }

    /// The parameters that vary between trials, sorted (columns of trials.csv and `status`).
    public var varyingNames: [String] { space?.parameterNames ?? [] }
}
