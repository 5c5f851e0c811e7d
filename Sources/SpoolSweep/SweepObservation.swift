import SpoolCore

/// What a sampler knows about one earlier (or running) trial of the sweep.
public struct SweepObservation: Sendable, Hashable {
    public enum State: String, Sendable, Hashable {
        /// Still training: a Bayesian sampler must not propose its configuration again.
        case running
        /// Finished all its epochs (or stopped early by its own early_stopping).
        case completed
        /// Stopped by the early-termination policy or the budget: its value is a partial result.
        case stopped
        /// Crashed or ran out of memory: no value.
        case failed
    }

    /// The configuration's place in the sweep (0 for the first sampled).
    public var index: Int
    public var configuration: Configuration
    public var state: State
    /// The best primary metric it reached (higher is better), nil before its first evaluation.
    public var value: Double?

    public init(index: Int, configuration: Configuration, state: State, value: Double?) {
        self.index = index
        self.configuration = configuration
        self.state = state
        self.value = value
    }
}
