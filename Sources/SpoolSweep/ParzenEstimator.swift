import Foundation
import SpoolCore

/// One parameter's density estimate from a set of observed values: TPE's l(x) (from the good trials) or
/// g(x) (from the others).
///
/// A numeric distribution is modelled in its internal space (the logarithm for log distributions) as a
/// mixture of Gaussians truncated to the range: one per observation, its bandwidth the larger distance to
/// a neighbour, plus a prior component over the whole range so that no region ever has zero density. A
/// choice is a categorical distribution of smoothed counts (`smoothedFrequencies`), so that an untried
/// option stays possible.
struct ParzenEstimator: Sendable {
    let distribution: Distribution
    private let model: Model

    private enum Model: Sendable {
        case categorical(probabilities: [Double])
        case numeric(TruncatedGaussianMixture)
    }

    /// The weight of the prior component (and each option's total pseudo-count) against 1 per observation.
    static let priorWeight = 1.0

    init(distribution: Distribution, observations: [SettingValue]) {
        self.distribution = distribution
        if let choices = distribution.choices {
            model = .categorical(probabilities: Self.smoothedFrequencies(
                of: observations.compactMap { Self.position(of: $0, in: choices) }, among: choices.count))
        } else {
            let range = distribution.internalRange!
            let points = observations.compactMap { Self.coordinate(of: $0, in: distribution) }
            let prior: (mu: Double, sigma: Double)
            switch distribution {
            case let .normal(mu, sigma), let .qnormal(mu, sigma, _), let .lognormal(mu, sigma), let .qlognormal(mu, sigma, _):
                prior = (mu, sigma)  // the distribution itself, as hyperopt does
            default:
                prior = ((range.lowerBound + range.upperBound) / 2, range.upperBound - range.lowerBound)
            }
            model = .numeric(TruncatedGaussianMixture(points: points, range: range, prior: prior,
                                                      priorWeight: Self.priorWeight))
        }
    }

    /// A choice's probabilities: a mixture of one kernel per observation and a uniform prior kernel (weight
    /// `priorWeight`). An observation's kernel puts 1 on its option and `priorWeight / (n + 1)` on every
    /// option, then is normalised: with few observations every option keeps a real chance (a few early
    /// trials cannot rule an option out), and the counts take over as the observations accumulate.
    static func smoothedFrequencies(of positions: [Int], among count: Int) -> [Double] {
        guard count > 0 else { return [] }
        let k = Double(count), spread = priorWeight / Double(positions.count + 1)
        var mass = [Double](repeating: priorWeight / k + Double(positions.count) * spread / (1 + k * spread), count: count)
        for position in positions { mass[position] += 1 / (1 + k * spread) }
        let total = Double(positions.count) + priorWeight
        return mass.map { $0 / total }
    }

    /// Draws one value of the distribution from the estimate.
    func sample<G: RandomNumberGenerator>(using generator: inout G) -> SettingValue {
        switch model {
        case let .categorical(probabilities):
            return distribution.choices![Self.pick(probabilities, using: &generator)]
        case let .numeric(mixture):
            return distribution.value(forInternal: mixture.sample(using: &generator))
        }
    }

    /// The log density (log probability for a choice) of `value`; -infinity when it is not a value of the
    /// distribution.
    func logDensity(of value: SettingValue) -> Double {
        switch model {
        case let .categorical(probabilities):
            guard let position = Self.position(of: value, in: distribution.choices!) else { return -.infinity }
            return Foundation.log(probabilities[position])
        case let .numeric(mixture):
            guard let x = Self.coordinate(of: value, in: distribution) else { return -.infinity }
            return mixture.logDensity(at: x)
        }
    }

    /// Where a value sits in the internal space, clamped to the range. An integer of `randint` sits at the
    /// middle of the interval [k, k + 1) that maps to it; a non-positive value of a quantized log
    /// distribution (rounded down to 0) sits at the lower end.
    static func coordinate(of value: SettingValue, in distribution: Distribution) -> Double? {
        guard let range = distribution.internalRange, let number = value.coercedDouble, number.isFinite else { return nil }
        let x: Double
        if case .randint = distribution {
            x = number + 0.5
        } else if distribution.isLogarithmic {
            x = number > 0 ? Foundation.log(number) : range.lowerBound
        } else {
            x = number
        }
        return min(max(x, range.lowerBound), range.upperBound)
    }

    /// The position of `value` among `choices`: equal, or the same number (1 and 1.0).
    static func position(of value: SettingValue, in choices: [SettingValue]) -> Int? {
        if let exact = choices.firstIndex(of: value) { return exact }
        guard let number = value.coercedDouble else { return nil }
        return choices.firstIndex { $0.coercedDouble == number }
    }

    /// An index drawn with the given probabilities (which sum to 1).
    static func pick<G: RandomNumberGenerator>(_ probabilities: [Double], using generator: inout G) -> Int {
        var u = generator.unitInterval()
        for (position, p) in probabilities.enumerated() {
            if u < p { return position }
            u -= p
        }
        return probabilities.count - 1
    }
}

/// A weighted mixture of Gaussians, each truncated to `range` (Bergstra et al.'s adaptive Parzen estimator).
struct TruncatedGaussianMixture: Sendable {
    let range: ClosedRange<Double>
    let means: [Double]
    let sigmas: [Double]
    /// Normalised to sum to 1.
    let weights: [Double]
    /// log(weight) - log(sigma * sqrt(2 pi)) - log(mass of the component inside the range), per component.
    private let logScales: [Double]

    /// Components at `points` (weight 1 each) and the prior (weight `priorWeight`).
    ///
    /// Each point's bandwidth is the larger gap to its neighbours (the range ends, and the prior's centre,
    /// count as neighbours), clipped to [width / min(100, n + 1), width]: wide where observations are
    /// sparse, narrow where they cluster, never degenerate.
    init(points: [Double], range: ClosedRange<Double>, prior: (mu: Double, sigma: Double), priorWeight: Double) {
        self.range = range
        let width = max(range.upperBound - range.lowerBound, .leastNormalMagnitude)
        let centres = points + [prior.mu]
        let order = centres.indices.sorted { (centres[$0], $0) < (centres[$1], $1) }
        let sorted = order.map { centres[$0] }
        let padded = [range.lowerBound] + sorted + [range.upperBound]
        var bandwidths = [Double](repeating: width, count: centres.count)
        for (rank, original) in order.enumerated() {
            var gap = max(padded[rank + 1] - padded[rank], padded[rank + 2] - padded[rank + 1])
            // The outermost centres take the gap to their inner neighbour, not to the range end.
            if sorted.count >= 2, rank == 0 { gap = sorted[1] - sorted[0] }
            if sorted.count >= 2, rank == sorted.count - 1 { gap = sorted[rank] - sorted[rank - 1] }
            bandwidths[original] = gap
        }
        let smallest = width / min(100, Double(centres.count + 1))
        var sigmas = bandwidths.prefix(points.count).map { min(max($0, smallest), width) }
        sigmas.append(max(prior.sigma, smallest))
        var weights = [Double](repeating: 1, count: points.count) + [priorWeight]
        let total = weights.reduce(0, +)
        weights = weights.map { $0 / total }

        self.means = centres
        self.sigmas = sigmas
        self.weights = weights
        self.logScales = zip(zip(centres, sigmas), weights).map { component, weight in
            let (mu, sigma) = component
            let mass = Self.normalCDF((range.upperBound - mu) / sigma) - Self.normalCDF((range.lowerBound - mu) / sigma)
            return Foundation.log(weight) - Foundation.log(sigma * (2 * Double.pi).squareRoot())
                - Foundation.log(max(mass, 1e-300))
        }
    }

    /// A draw: a component by weight, then its Gaussian until the value falls in the range (each component
    /// keeps at least a third of its mass inside, so this ends quickly; a uniform draw is the backstop).
    func sample<G: RandomNumberGenerator>(using generator: inout G) -> Double {
        let component = ParzenEstimator.pick(weights, using: &generator)
        for _ in 0..<64 {
            let x = means[component] + sigmas[component] * generator.standardNormal()
            if range.contains(x) { return x }
        }
        return range.lowerBound + (range.upperBound - range.lowerBound) * generator.unitInterval()
    }

    /// log of the mixture's density at `x` (a log-sum-exp over the components).
    func logDensity(at x: Double) -> Double {
        var terms: [Double] = []
        terms.reserveCapacity(means.count)
        for i in means.indices {
            let z = (x - means[i]) / sigmas[i]
            terms.append(logScales[i] - 0.5 * z * z)
        }
        let top = terms.max() ?? -.infinity
        guard top.isFinite else { return top }
        return top + Foundation.log(terms.reduce(0) { $0 + Foundation.exp($1 - top) })
    }

    static func normalCDF(_ z: Double) -> Double {
        0.5 * Foundation.erfc(-z / 2.0.squareRoot())
    }
}
