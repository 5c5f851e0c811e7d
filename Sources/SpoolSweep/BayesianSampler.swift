import SpoolCore

/// A Tree-structured Parzen Estimator (Bergstra et al. 2011; HyperDrive's Bayesian sampling, Optuna's TPE).
///
/// The first `startupTrials` configurations are RandomSampler's draws for the same seed and index. After
/// that, the trials with a value (completed, or stopped by the policy with a partial value) are split into
/// the best `gamma` fraction (at least one), "good", and the rest, "bad"; l(x) models the good
/// configurations and g(x) the bad ones (`TreeParzenModel`). Of `candidates` draws from l, the one with
/// the largest l(x)/g(x) is proposed, which maximises expected improvement under TPE's model.
///
/// Parallel trials: running trials count as bad (a pessimistic constant liar), and so do failed ones (a
/// crash or an out-of-memory is evidence against the region), which pushes concurrent proposals apart;
/// and a configuration that is already in the history (running or finished) is never proposed again
/// while an alternative exists.
///
/// All randomness comes from `trialGenerator(seed:index:)`, and the history is read in index order, so
/// the same seed and history give the same proposal (a sweep resumes after a restart).
public struct BayesianSampler: SweepSampler {
    public let space: SearchSpace
    public let seed: UInt64
    public let startupTrials: Int
    public let candidates: Int
    public let gamma: Double

    /// How many configurations of a discrete space are scored one by one when every draw collides.
    static let enumerationLimit = 4096

    /// `candidates` is at least 1 and `gamma` is clamped to (0, 1].
    public init(space: SearchSpace, seed: UInt64, startupTrials: Int = 5, candidates: Int = 24, gamma: Double = 0.25) {
        self.space = space
        self.seed = seed
        self.startupTrials = max(0, startupTrials)
        self.candidates = max(1, candidates)
        self.gamma = gamma.isNaN ? 0.25 : min(max(gamma, .ulpOfOne), 1)
    }

    public func suggest(index: Int, history: [SweepObservation]) -> Configuration? {
        guard !space.branches.isEmpty else { return nil }
        let history = history.sorted { $0.index < $1.index }
        let taken = Set(history.map { CollisionKey($0.configuration) })
        let scored = history.filter(Self.hasValue)
        guard scored.count >= max(startupTrials, 1) else { return startupDraw(index: index, taken: taken) }

        // Higher is better; ties go to the earlier trial, so the split does not depend on the history's order.
        let ranked = scored.sorted { a, b in a.value! != b.value! ? a.value! > b.value! : a.index < b.index }
        let goodCount = min(ranked.count, max(1, Int((gamma * Double(ranked.count)).rounded(.up))))
        let good = ranked.prefix(goodCount).map(\.configuration)
        let bad = ranked.dropFirst(goodCount).map(\.configuration)
            + history.filter { !Self.hasValue($0) }.map(\.configuration)
        let model = TreeParzenModel(space: space, good: good, bad: bad)

        var generator = trialGenerator(seed: seed, index: index, stream: 1)
        let drawn = (0..<candidates).map { _ in model.sample(using: &generator) }
        if let best = Self.best(of: drawn, model: model, excluding: taken) { return best }
        // Every draw from l is taken (a small or crowded space): try the whole prior, then every configuration.
        let wider = (0..<4 * candidates).compactMap { _ in RandomSampler.draw(space: space, using: &generator) }
        if let best = Self.best(of: wider, model: model, excluding: taken) { return best }
        if let all = space.finiteConfigurations(limit: Self.enumerationLimit),
           let best = Self.best(of: all, model: model, excluding: taken) {
            return best
        }
        // The space is exhausted: repeat the most promising draw.
        return Self.best(of: drawn, model: model, excluding: [])
    }

    /// RandomSampler's draw for the index, unless that configuration is taken; then another random one.
    private func startupDraw(index: Int, taken: Set<CollisionKey>) -> Configuration? {
        guard let first = RandomSampler.draw(space: space, seed: seed, index: index) else { return nil }
        if !taken.contains(CollisionKey(first)) { return first }
        var generator = trialGenerator(seed: seed, index: index, stream: 2)
        for _ in 0..<4 * candidates {
            if let next = RandomSampler.draw(space: space, using: &generator), !taken.contains(CollisionKey(next)) {
                return next
            }
        }
        if let all = space.finiteConfigurations(limit: Self.enumerationLimit) {
            let free = all.filter { !taken.contains(CollisionKey($0)) }
            if !free.isEmpty { return free[generator.uniform(below: free.count)] }
        }
        return first
    }

    /// Completed or stopped with a finite value: the trials that inform the split.
    private static func hasValue(_ observation: SweepObservation) -> Bool {
        guard observation.state == .completed || observation.state == .stopped, let value = observation.value
        else { return false }
        return value.isFinite
    }

    /// The highest-scoring configuration not in `taken` (the first on a tie), if any.
    private static func best(of configurations: [Configuration], model: TreeParzenModel,
                             excluding taken: Set<CollisionKey>) -> Configuration? {
        var best: (configuration: Configuration, score: Double)?
        for configuration in configurations where !taken.contains(CollisionKey(configuration)) {
            let score = model.score(configuration)
            if best == nil || score > best!.score { best = (configuration, score) }
        }
        return best?.configuration
    }
}

/// A configuration compared with numbers as numbers, so that 3 and 3.0 (as a value may come back from the
/// store) are the same configuration.
struct CollisionKey: Hashable {
    let branch: Int
    let values: [String: SettingValue]

    init(_ configuration: Configuration) {
        branch = configuration.branch
        values = configuration.values.mapValues { value in
            if case let .int(number) = value { return .double(Double(number)) }
            return value
        }
    }
}
