extension JobSettingsReader {
    /// `sweep:` is interpreted by the sweep; here only its shape is checked.
    mutating func readSweep(_ value: SettingValue?) -> [String: SettingValue]? {
        guard let value, !value.isNull else { return nil }
        guard case let .map(entries) = value else {
            report("sweep", value, "must be a mapping (sampling_algorithm, early_termination)")
            return nil
        }
        if let algorithm = entries["sampling_algorithm"], algorithm.stringValue == nil {
            report("sweep.sampling_algorithm", algorithm, "must be a name: random, grid or bayesian")
        }
        if let termination = entries["early_termination"], termination.mapValue == nil, !termination.isNull {
            report("sweep.early_termination", termination, "must be a mapping like {type: bandit, slack_factor: 0.2}")
        }
        return entries
    }

    /// `search_space:` is a list of branches; each maps a parameter to a distribution, written as a
    /// mapping (`{type: choice, values: [...]}`) or as text (`"choice('sgd', 'adam')"`). A single
    /// mapping is read as a list of one branch.
    mutating func readSearchSpace(_ value: SettingValue?) -> [[String: SettingValue]]? {
        guard let value, !value.isNull else { return nil }
        let branches: [(SettingValue, String)]
        switch value {
        case let .list(items): branches = items.enumerated().map { ($1, "search_space[\($0)]") }
        case .map: branches = [(value, "search_space")]
        default:
            report("search_space", value, "must be a list of branches, each a mapping of parameters to distributions")
            return nil
        }
        var result: [[String: SettingValue]] = []
        for (branch, path) in branches {
            guard case let .map(parameters) = branch else {
                report(path, branch, "must be a mapping of parameter names to distributions")
                continue
            }
            for name in parameters.keys.sorted() {
                let distribution = parameters[name]!
                if distribution.mapValue == nil, distribution.stringValue == nil {
                    report("\(path).\(name)", distribution,
                           #"must be a distribution: {type: choice, values: [...]} or "choice(...)""#)
                }
            }
            result.append(parameters)
        }
        return result
    }
}
