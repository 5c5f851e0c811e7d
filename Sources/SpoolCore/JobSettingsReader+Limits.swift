extension JobSettingsReader {
    mutating func readLimits(_ value: SettingValue?) -> JobLimits {
        var limits = JobLimits()
        guard let value, !value.isNull else { return limits }
        guard case let .map(entries) = value else {
            report("limits", value, "must be a mapping (timeout_minutes, max_trials, max_concurrent_trials)")
            return limits
        }
        for key in entries.keys.sorted() where !Self.limitKeys.contains(key) {
            report("limits.\(key)", entries[key], "unknown limit" + Suggestion.phrase(for: key, among: Self.limitKeys))
        }
        let maxMinutes = JobLimits.maximumTimeoutMinutes
        if let key = pickAlias(entries, "timeout_minutes", "experiment_timeout_hours") {
            let given = entries[key]!
            if key == "timeout_minutes" {
                if let minutes = given.coercedInt, (1...maxMinutes).contains(minutes) {
                    limits.timeoutMinutes = minutes
                } else {
                    report("limits.\(key)", given, "must be an integer in [1, \(maxMinutes)] (60 days)")
                }
            } else if let hours = given.coercedDouble, hours > 0, hours * 60 <= Double(maxMinutes) {
                limits.timeoutMinutes = max(1, Int((hours * 60).rounded(.up)))
            } else {
                report("limits.\(key)", given, "must be a number of hours in (0, \(maxMinutes / 60)] (60 days)")
            }
        }
        var trialsValid = true
        if let key = pickAlias(entries, "max_trials", "iterations") {
            if let trials = entries[key]!.coercedInt, (1...1000).contains(trials) {
                limits.maxTrials = trials
            } else {
                trialsValid = false
                report("limits.\(key)", entries[key], "must be an integer in [1, 1000]")
            }
        }
        if let key = pickAlias(entries, "max_concurrent_trials", "max_concurrent_iterations") {
            if let concurrent = entries[key]!.coercedInt, (1...100).contains(concurrent) {
                if trialsValid, concurrent > limits.maxTrials {
                    report("limits.\(key)", entries[key], "must be <= max_trials (\(limits.maxTrials))")
                } else {
                    limits.maxConcurrentTrials = concurrent
                }
            } else {
                report("limits.\(key)", entries[key], "must be an integer in [1, 100]")
            }
        }
        if let given = entries["trial_timeout_minutes"], !given.isNull {
            if let minutes = given.coercedInt, minutes >= 1, minutes <= limits.timeoutMinutes {
                limits.trialTimeoutMinutes = minutes
            } else {
                report("limits.trial_timeout_minutes", given,
                       "must be an integer in [1, \(limits.timeoutMinutes)] (at most the job's timeout_minutes)")
            }
        }
        return limits
    }

    /// The spelling used for a limit, reporting a limit given under both spellings.
    mutating func pickAlias(_ entries: [String: SettingValue], _ name: String, _ alias: String) -> String? {
        let given = [name, alias].filter { entries[$0].map { !$0.isNull } ?? false }
        if given.count == 2 {
            report("limits.\(alias)", entries[alias], "given twice: also as limits.\(name); keep one")
        }
        return given.first
    }
}
