import SpoolCore

/// Every combination of the choices, in a fixed order (HyperDrive's grid sampling).
///
/// The branches come in order; within a branch the parameters are taken by sorted name and the last name
/// varies fastest, so configuration `index` is the same on every run and a sweep resumes where it stopped.
/// Grid takes `choice` only: a continuous distribution has no list of values to walk.
public struct GridSampler: SweepSampler {
    /// One branch's names (sorted), their choices, and how many configurations it holds.
    struct Axes: Sendable {
        var branch: Int
        var names: [String]
        var values: [[SettingValue]]
        var count: Int
    }

    let axes: [Axes]
    public let capacity: Int?

    public init(space: SearchSpace) throws(SamplerError) {
        var axes: [Axes] = []
        var total = 0
        for branch in space.branches {
            var values: [[SettingValue]] = []
            var count = 1
            for name in branch.names {
                let distribution = branch.parameters[name]!
                guard let choices = distribution.choices else {
                    throw SamplerError(
                        "grid sampling takes choice only; \(branch.keyPath).\(name) is \(distribution); "
                            + "use random or bayesian, or list the values with choice")
                }
                values.append(choices)
                let (product, overflow) = count.multipliedReportingOverflow(by: choices.count)
                guard !overflow else { throw SamplerError("grid sampling: \(branch.keyPath) has too many combinations") }
                count = product
            }
            axes.append(Axes(branch: branch.index, names: branch.names, values: values, count: count))
            let (sum, overflow) = total.addingReportingOverflow(count)
            guard !overflow else { throw SamplerError("grid sampling: the search space has too many combinations") }
            total = sum
        }
        self.axes = axes
        self.capacity = total
    }

    /// The `index`-th combination; the history is not needed (the order is fixed).
    public func suggest(index: Int, history: [SweepObservation]) -> Configuration? {
        guard index >= 0 else { return nil }
        var rest = index
        for branch in axes {
            guard rest >= branch.count else { return branch.configuration(at: rest) }
            rest -= branch.count
        }
        return nil
    }
}

extension GridSampler.Axes {
    /// Mixed-radix digits of `position`, the last name the least significant.
    func configuration(at position: Int) -> Configuration {
        var rest = position
        var chosen: [String: SettingValue] = [:]
        for axis in names.indices.reversed() {
            let choices = values[axis]
            chosen[names[axis]] = choices[rest % choices.count]
            rest /= choices.count
        }
        return Configuration(branch: branch, values: chosen)
    }
}
