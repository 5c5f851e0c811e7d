import SpoolCore

/// TPE's pair of densities over a whole (conditional) search space: l from the good configurations, g
/// from the bad ones.
///
/// The branch is a categorical parameter; each branch's parameters are modelled from the configurations
/// of that branch only (the "tree" of the name), each parameter independently. A configuration's score is
/// log l(x) - log g(x) summed over the branch and its parameters: the joint density ratio, which TPE's
/// expected improvement grows with.
struct TreeParzenModel: Sendable {
    let space: SearchSpace
    /// Position in `space.branches` by `SearchBranch.index`.
    private let positions: [Int: Int]
    private let goodBranch: ParzenEstimator
    private let badBranch: ParzenEstimator
    /// Per branch position, per parameter name: (l, g).
    private let parameters: [[String: (good: ParzenEstimator, bad: ParzenEstimator)]]

    init(space: SearchSpace, good: [Configuration], bad: [Configuration]) {
        self.space = space
        var positions: [Int: Int] = [:]
        for (position, branch) in space.branches.enumerated() where positions[branch.index] == nil {
            positions[branch.index] = position
        }
        self.positions = positions
        let branchDistribution = Distribution.choice(space.branches.indices.map { .int($0) })
        func branchValues(_ configurations: [Configuration]) -> [SettingValue] {
            configurations.compactMap { positions[$0.branch].map { .int($0) } }
        }
        goodBranch = ParzenEstimator(distribution: branchDistribution, observations: branchValues(good))
        badBranch = ParzenEstimator(distribution: branchDistribution, observations: branchValues(bad))
        parameters = space.branches.enumerated().map { position, branch in
            let goodHere = good.filter { positions[$0.branch] == position }
            let badHere = bad.filter { positions[$0.branch] == position }
            var models: [String: (good: ParzenEstimator, bad: ParzenEstimator)] = [:]
            for (name, distribution) in branch.parameters {
                models[name] = (
                    ParzenEstimator(distribution: distribution, observations: goodHere.compactMap { $0.values[name] }),
                    ParzenEstimator(distribution: distribution, observations: badHere.compactMap { $0.values[name] })
                )
            }
            return models
        }
    }

    /// A configuration drawn from l: a branch, then each of its parameters by sorted name.
    func sample<G: RandomNumberGenerator>(using generator: inout G) -> Configuration {
        let position = goodBranch.sample(using: &generator).coercedDouble.map { Int($0) } ?? 0
        let branch = space.branches[position]
        var values: [String: SettingValue] = [:]
        for name in branch.names {
            values[name] = parameters[position][name]!.good.sample(using: &generator)
        }
        return Configuration(branch: branch.index, values: values)
    }

    /// log l(x) - log g(x) of a configuration; -infinity for one outside the space.
    func score(_ configuration: Configuration) -> Double {
        guard let position = positions[configuration.branch] else { return -.infinity }
        let branchValue = SettingValue.int(position)
        var total = goodBranch.logDensity(of: branchValue) - badBranch.logDensity(of: branchValue)
        for name in space.branches[position].names {
            guard let value = configuration.values[name], let model = parameters[position][name] else { return -.infinity }
            total += model.good.logDensity(of: value) - model.bad.logDensity(of: value)
        }
        return total.isNaN ? -.infinity : total
    }
}
