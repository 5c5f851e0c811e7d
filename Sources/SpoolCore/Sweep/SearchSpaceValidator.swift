/// Checks a search space against the task and its models before anything runs: every value a branch can
/// give must be a valid training parameter for that branch (the parameter applies to the branch's model and
/// task, and lies in its allowed range). Reuses the training parameters' own validation, so a search space
/// is held to exactly the rules a fixed value is.
enum SearchSpaceValidator {
    /// The problems of `space`, keyed `search_space[i].name` with the line of that key.
    static func problems(
        of space: SearchSpace, task: ImageTask, fixed: [ParameterEntry], location: (String) -> SettingsLocation
    ) -> [SettingsProblem] {
        var problems: [SettingsProblem] = []
        var seen = Set<String>()
        for branch in space.branches {
            let names = branch.names
            let varied = Set(names.map(ParameterTable.canonicalName))
            let kept = fixed.filter { !varied.contains(ParameterTable.canonicalName($0.name)) }
            let first = names.map { (name: $0, value: branch.parameters[$0]!.probeValues[0]) }
            // Each parameter's every probe value, the others at their first; one resolve per probe.
            var probes: [[(name: String, value: SettingValue)]] = [first]
            for (position, name) in names.enumerated() {
                for value in branch.parameters[name]!.probeValues.dropFirst() {
                    var probe = first
                    probe[position].value = value
                    probes.append(probe)
                }
            }
            for probe in probes {
                let entries = probe.map { item in
                    let keyPath = "\(branch.keyPath).\(item.name)"
                    return ParameterEntry(name: item.name, value: item.value, keyPath: keyPath, location: location(keyPath))
                }
                do {
                    _ = try TrainingParameters.resolve(task: task, entries: kept + entries)
                } catch {
                    for problem in error.problems {
                        var problem = problem
                        if let name = names.first(where: { problem.key == "\(branch.keyPath).\($0)" }) {
                            problem.message += " (a value \(branch.parameters[name]!) can give)"
                        } else if !problem.key.hasPrefix(branch.keyPath) {
                            problem.message += " (with \(branch.keyPath)'s values)"
                        }
                        if seen.insert(problem.description).inserted { problems.append(problem) }
                    }
                }
            }
        }
        return problems
    }
}
