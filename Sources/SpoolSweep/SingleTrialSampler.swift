import SpoolCore

/// A job without a search space: one trial with the settings' own parameters.
public struct SingleTrialSampler: SweepSampler {
    public init() {}

    public func suggest(index: Int, history: [SweepObservation]) -> Configuration? {
        index == 0 ? Configuration(branch: 0, values: [:]) : nil
    }

    public var capacity: Int? { 1 }
}
