import SpoolCore

/// Proposes configurations (Optuna's sampler, HyperDrive's sampling algorithm).
///
/// A sampler is a value: its proposal for configuration `index` depends only on its seed, the index and
/// the history it is shown, so a sweep is reproducible and can resume after a restart.
public protocol SweepSampler: Sendable {
    /// The configuration for the `index`-th trial, or nil when the space is exhausted (grid).
    /// - Parameter history: every earlier configuration with its state and value, running ones included.
    func suggest(index: Int, history: [SweepObservation]) -> Configuration?

    /// How many distinct configurations the sampler can give, when finite (grid); nil otherwise.
    var capacity: Int? { get }
}

extension SweepSampler {
    public var capacity: Int? { nil }
}

/// A generator for one (seed, index) pair: independent streams for each trial of each sweep.
func trialGenerator(seed: UInt64, index: Int, stream: UInt64 = 0) -> SplitMix64 {
    var mixer = SplitMix64(seed: seed ^ 0x5EED_5EED_0000_0000 &+ stream &* 0x9E37_79B9)
    var generator = SplitMix64(seed: mixer.next() &+ UInt64(truncatingIfNeeded: index) &* 0xD1B5_4A32_D192_ED03)
    _ = generator.next()
    return generator
}
