extension JobSettingsReader {
    static let sweepKeys = ["sampling_algorithm", "early_termination"]
    static let scheduleKeys = ["evaluation_interval", "delay_evaluation"]
    static let policyKeys: [String: [String]] = [
        "bandit": ["slack_factor", "slack_amount"],
        "median_stopping": [],
        "truncation_selection": ["truncation_percentage", "exclude_finished_jobs"],
        "successive_halving": ["min_resource", "reduction_factor"],
    ]

    /// The sweep, in Azure's v2 form (`sweep:` and `search_space:`) or v1 form (`hyperparameter_sampling:`
    /// with `parameter_space:`, and `early_termination_policy:`).
    mutating func readSweepSettings(_ root: [String: SettingValue]) -> SweepSettings {
        var settings = SweepSettings()
        let v1 = root["hyperparameter_sampling"].flatMap { $0.isNull ? nil : $0 }
        if v1 != nil, root["search_space"] != nil || root["sweep"] != nil {
            report("hyperparameter_sampling", v1, "give the sweep once: either v2's sweep: and search_space:, or v1's hyperparameter_sampling:")
        }
        if let sweep = root["sweep"], !sweep.isNull {
            if case let .map(entries) = sweep {
                for key in entries.keys.sorted() where !Self.sweepKeys.contains(key) {
                    report("sweep.\(key)", entries[key], "unknown setting; sweep takes sampling_algorithm and early_termination"
                        + Suggestion.phrase(for: key, among: Self.sweepKeys))
                }
                if let algorithm = readAlgorithm(entries["sampling_algorithm"], key: "sweep.sampling_algorithm") {
                    settings.samplingAlgorithm = algorithm
                }
                settings.earlyTermination = readEarlyTermination(entries["early_termination"], key: "sweep.early_termination")
            } else {
                report("sweep", sweep, "must be a mapping (sampling_algorithm, early_termination)")
            }
        }
        if let policy = root["early_termination_policy"], !policy.isNull {
            if settings.earlyTermination != nil {
                report("early_termination_policy", policy, "give the policy once: sweep.early_termination or v1's early_termination_policy")
            }
            settings.earlyTermination = readEarlyTermination(policy, key: "early_termination_policy")
        }
        if let space = root["search_space"], !space.isNull {
            settings.searchSpace = readSearchSpace(space)
        }
        if let v1 {
            if case let .map(entries) = v1 {
                for key in entries.keys.sorted() where !["sampling_algorithm", "parameter_space"].contains(key) {
                    report("hyperparameter_sampling.\(key)", entries[key],
                           "unknown setting; hyperparameter_sampling takes sampling_algorithm and parameter_space")
                }
                if let algorithm = readAlgorithm(entries["sampling_algorithm"], key: "hyperparameter_sampling.sampling_algorithm") {
                    settings.samplingAlgorithm = algorithm
                }
                if let space = entries["parameter_space"] {
                    settings.searchSpace = readParameterSpace(space, key: "hyperparameter_sampling.parameter_space")
                } else {
                    report("hyperparameter_sampling", v1, "needs parameter_space: a mapping of parameter names to distributions")
                }
            } else {
                report("hyperparameter_sampling", v1, "must be a mapping (sampling_algorithm, parameter_space)")
            }
        }
        if settings.samplingAlgorithm == .grid, let space = settings.searchSpace {
            for branch in space.branches {
                for name in branch.names where branch.parameters[name]!.choices == nil {
                    report("\(branch.keyPath).\(name)", nil,
                           "grid sampling takes choice only, this is \(branch.parameters[name]!); list the values with choice, or use random or bayesian")
                }
            }
        }
        return settings
    }

    mutating func readAlgorithm(_ value: SettingValue?, key: String) -> SamplingAlgorithm? {
        guard let value, !value.isNull else { return nil }
        let names = SamplingAlgorithm.allCases.map(\.rawValue)
        if let text = value.stringValue, let algorithm = SamplingAlgorithm(settingsValue: text) { return algorithm }
        report(key, value, "must be one of \(names.joined(separator: ", "))"
            + (value.stringValue.map { Suggestion.phrase(for: $0.lowercased(), among: names) } ?? ""))
        return nil
    }

    mutating func readEarlyTermination(_ value: SettingValue?, key: String) -> EarlyTerminationSettings? {
        guard let value, !value.isNull else { return nil }
        guard case let .map(entries) = value else {
            report(key, value, "must be a mapping like {type: bandit, slack_factor: 0.2, evaluation_interval: 1}")
            return nil
        }
        let types = EarlyTerminationSettings.typeNames
        guard let given = entries["type"]?.stringValue else {
            report("\(key).type", entries["type"], "required: one of \(types.joined(separator: ", "))")
            return nil
        }
        // Azure v1 spells them BanditPolicy, MedianStoppingPolicy...; ASHA is successive halving.
        var type = given.lowercased().replacingOccurrences(of: "policy", with: "")
        if type.hasSuffix("_") { type.removeLast() }
        type = ["medianstopping": "median_stopping", "truncationselection": "truncation_selection",
                "asha": "successive_halving", "successivehalving": "successive_halving"][type] ?? type
        guard let own = Self.policyKeys[type] else {
            report("\(key).type", entries["type"], "must be one of \(types.joined(separator: ", "))"
                + Suggestion.phrase(for: given.lowercased(), among: types))
            return nil
        }
        let allowed = ["type"] + Self.scheduleKeys + own
        for name in entries.keys.sorted() where !allowed.contains(name) {
            report("\(key).\(name)", entries[name], "unknown setting for \(type); allowed: \(allowed.dropFirst().joined(separator: ", "))"
                + Suggestion.phrase(for: name, among: allowed))
        }
        func integer(_ name: String, _ range: ClosedRange<Int>, _ fallback: Int) -> Int {
            guard let value = entries[name], !value.isNull else { return fallback }
            if let number = value.coercedInt, range.contains(number) { return number }
            report("\(key).\(name)", value, "must be an integer in [\(range.lowerBound), \(range.upperBound)]")
            return fallback
        }
        func positive(_ name: String) -> Double? {
            guard let value = entries[name], !value.isNull else { return nil }
            if let number = value.coercedDouble, number > 0, number.isFinite { return number }
            report("\(key).\(name)", value, "must be a number > 0")
            return nil
        }
        let schedule = PolicySchedule(evaluationInterval: integer("evaluation_interval", 1...100_000, 1),
                                      delayEvaluation: integer("delay_evaluation", 0...100_000, 0))
        switch type {
        case "bandit":
            let given = ["slack_factor", "slack_amount"].filter { entries[$0].map { !$0.isNull } ?? false }
            if given.count != 1 {
                report(key, value, given.isEmpty
                    ? "bandit needs slack_factor (a ratio, e.g. 0.2) or slack_amount (a metric difference, e.g. 0.05)"
                    : "bandit takes slack_factor or slack_amount, not both")
            }
            let factor = positive("slack_factor"), amount = positive("slack_amount")
            guard given.count == 1, factor != nil || amount != nil else { return nil }
            return .bandit(slackFactor: factor, slackAmount: amount, schedule: schedule)
        case "median_stopping":
            return .medianStopping(schedule: schedule)
        case "truncation_selection":
            guard entries["truncation_percentage"] != nil else {
                report(key, value, "truncation_selection needs truncation_percentage: an integer in [1, 99]")
                return nil
            }
            let percentage = integer("truncation_percentage", 1...99, 0)
            var exclude = false
            if let flag = entries["exclude_finished_jobs"], !flag.isNull {
                if let bool = flag.coercedBool { exclude = bool } else {
                    report("\(key).exclude_finished_jobs", flag, "must be true or false")
                }
            }
            return percentage == 0 ? nil
                : .truncationSelection(percentage: percentage, excludeFinishedJobs: exclude, schedule: schedule)
        default:
            return .successiveHalving(minResource: integer("min_resource", 1...100_000, 1),
                                      reductionFactor: integer("reduction_factor", 2...100, 3), schedule: schedule)
        }
    }

    /// `search_space:` is a list of branches; each maps a parameter to a distribution, written as a
    /// mapping (`{type: choice, values: [...]}`) or as text (`"choice('sgd', 'adam')"`). A single
    /// mapping is read as a list of one branch.
    mutating func readSearchSpace(_ value: SettingValue) -> SearchSpace? {
        let branches: [(SettingValue, String)]
        switch value {
        case let .list(items): branches = items.enumerated().map { ($1, "search_space[\($0)]") }
        case .map: branches = [(value, "search_space")]
        default:
            report("search_space", value, "must be a list of branches, each a mapping of parameters to distributions")
            return nil
        }
        if branches.isEmpty {
            report("search_space", value, "is empty: give at least one branch, or leave search_space out")
            return nil
        }
        var result: [SearchBranch] = []
        for (index, (branch, path)) in branches.enumerated() {
            guard case let .map(parameters) = branch else {
                report(path, branch, "must be a mapping of parameter names to distributions")
                continue
            }
            result.append(SearchBranch(index: index, parameters: readDistributions(parameters, path: path), keyPath: path))
        }
        return SearchSpace(branches: result)
    }

    /// v1's `parameter_space`: a mapping of names to distributions, where `model` may hold the branches
    /// (`model: [{model_name: "choice('resnet50')", learning_rate: ...}, ...]`), the other keys shared.
    mutating func readParameterSpace(_ value: SettingValue, key: String) -> SearchSpace? {
        guard case var .map(entries) = value else {
            report(key, value, "must be a mapping of parameter names to distributions")
            return nil
        }
        let shared: [String: SettingValue]
        var branchValues: [(SettingValue, String)] = []
        if let model = entries.removeValue(forKey: "model") {
            shared = entries
            switch model {
            case let .list(items): branchValues = items.enumerated().map { ($1, "\(key).model[\($0)]") }
            default: report("\(key).model", model, "must be a list of branches, each a mapping of parameters to distributions")
            }
        } else {
            shared = entries
        }
        let common = readDistributions(shared, path: key)
        if branchValues.isEmpty { return SearchSpace(branches: [SearchBranch(index: 0, parameters: common, keyPath: key)]) }
        var branches: [SearchBranch] = []
        for (index, (branch, path)) in branchValues.enumerated() {
            guard case let .map(parameters) = branch else {
                report(path, branch, "must be a mapping of parameter names to distributions")
                continue
            }
            branches.append(SearchBranch(index: index, parameters: common.merging(readDistributions(parameters, path: path)) { $1 },
                                         keyPath: path))
        }
        return SearchSpace(branches: branches)
    }

    mutating func readDistributions(_ parameters: [String: SettingValue], path: String) -> [String: Distribution] {
        var result: [String: Distribution] = [:]
        for name in parameters.keys.sorted() {
            do {
                result[name] = try Distribution.parse(parameters[name]!)
            } catch {
                report("\(path).\(name)", parameters[name], error.message)
            }
        }
        return result
    }
}
