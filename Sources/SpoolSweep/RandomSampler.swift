import SpoolCore

/// Independent draws (HyperDrive's random sampling): a branch uniformly, then each of its parameters from
/// its distribution.
///
/// Configuration `index` depends only on (seed, index), never on the history, so a sweep is reproducible
/// and resumes after a restart without replaying earlier draws.
public struct RandomSampler: SweepSampler {
    public let space: SearchSpace
    public let seed: UInt64

    public init(space: SearchSpace, seed: UInt64) {
        self.space = space
        self.seed = seed
    }

    public func suggest(index: Int, history: [SweepObservation]) -> Configuration? {
        Self.draw(space: space, seed: seed, index: index)
    }

    /// The draw for (seed, index) on `stream`; the Bayesian sampler's start-up trials use it too.
    static func draw(space: SearchSpace, seed: UInt64, index: Int, stream: UInt64 = 0) -> Configuration? {
        var generator = trialGenerator(seed: seed, index: index, stream: stream)
        return draw(space: space, using: &generator)
    }

    /// One draw from the space's own distributions with `generator`; nil for a space without branches.
    static func draw<G: RandomNumberGenerator>(space: SearchSpace, using generator: inout G) -> Configuration? {
        guard !space.branches.isEmpty else { return nil }
        let branch = space.branches[generator.uniform(below: space.branches.count)]
        var values: [String: SettingValue] = [:]
        for name in branch.names {
            values[name] = branch.parameters[name]!.sample(using: &generator)
        }
        return Configuration(branch: branch.index, values: values)
    }
}
