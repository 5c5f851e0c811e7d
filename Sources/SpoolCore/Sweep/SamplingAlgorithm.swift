/// `sweep.sampling_algorithm` (spec section 6).
public enum SamplingAlgorithm: String, Sendable, Hashable, CaseIterable, Codable {
    /// Every combination of the choices, in order; stops when exhausted.
    case grid
    /// Independent draws, seeded.
    case random
    /// A Tree-structured Parzen Estimator guided by the finished trials (expected improvement).
    case bayesian

    /// Reads Azure's names, any case (`Random`, `GRID`).
    public init?(settingsValue: String) {
        self.init(rawValue: settingsValue.lowercased())
    }
}
