/// Turns a `SettingsDocument` into `JobSettings`, collecting every problem of the file.
struct JobSettingsReader {
    /// Top-level keys Spool reads.
    static let knownKeys = [
        "task", "primary_metric", "training_data", "validation_data", "validation_data_size", "limits",
        "training_parameters", "arguments", "sweep", "search_space", "target_column_name",
    ]
    /// Top-level keys of Azure's job YAML that describe Azure resources: accepted and ignored.
    static let azureOnlyKeys = [
        "$schema", "type", "name", "display_name", "description", "experiment_name", "compute", "tags",
        "log_verbosity", "outputs", "resources", "identity", "properties", "environment_variables",
    ]
    static let limitKeys = [
        "timeout_minutes", "experiment_timeout_hours", "max_trials", "iterations",
        "max_concurrent_trials", "max_concurrent_iterations", "trial_timeout_minutes",
    ]

    let document: SettingsDocument
    var problems: [SettingsProblem] = []

    init(document: SettingsDocument) {
        self.document = document
        problems = document.problems
    }

    mutating func read() throws(SettingsError) -> JobSettings {
        guard case let .map(root) = document.root else {
            throw SettingsError(problems: problems + [SettingsProblem(
                key: "", value: nil, message: "must be a mapping of settings (task:, training_data:, ...), "
                    + "found \(document.root.kindDescription)", location: SettingsLocation(file: document.file, line: 1))])
        }
        var ignored: [String] = []
        for key in root.keys.sorted() where !Self.knownKeys.contains(key) {
            if Self.azureOnlyKeys.contains(key) {
                ignored.append(key)
            } else {
                report(key, root[key], "unknown setting"
                    + Suggestion.phrase(for: key, among: Self.knownKeys + Self.azureOnlyKeys))
            }
        }

        let task = readTask(root["task"])
        let primaryMetric = readPrimaryMetric(root["primary_metric"], task: task)
        let trainingPath = readDataPath(root["training_data"], key: "training_data") ?? "train.jsonl"
        let validationPath = readDataPath(root["validation_data"], key: "validation_data")
        if let column = root["target_column_name"], column.stringValue != "label" {
            report("target_column_name", column, "must be label: Spool reads labels from the JSONL field `label`")
        }
        let limits = readLimits(root["limits"])
        let entries = readParameterEntries(root)
        let sweep = readSweep(root["sweep"])
        let searchSpace = readSearchSpace(root["search_space"])

        if let task, task.isClassification {
            do {
                _ = try TrainingParameters.resolve(task: task, entries: entries)
            } catch {
                problems += error.problems
            }
        }
        guard problems.isEmpty, let task else {
            throw SettingsError(problems: SettingsError.sortedByLine(problems))
        }
        var values: [String: SettingValue] = [:]
        for entry in entries { values[entry.name] = entry.value }
        return JobSettings(
            task: task, primaryMetric: primaryMetric ?? task.primaryMetric,
            trainingDataPath: trainingPath, validationDataPath: validationPath,
            limits: limits, trainingParameterValues: values, sweep: sweep, searchSpace: searchSpace,
            ignoredKeys: ignored, file: document.file, parameterEntries: entries, lines: document.lines)
    }

    // MARK: - Problems

    private mutating func report(_ keyPath: String, _ value: SettingValue?, _ message: String) {
        problems.append(SettingsProblem(key: keyPath, value: value, message: message, location: document.location(keyPath)))
    }

    // MARK: - Task and metric

    private mutating func readTask(_ value: SettingValue?) -> ImageTask? {
        let names = ImageTask.allCases.map(\.rawValue)
        let allowed = "one of \(names.joined(separator: ", ")) (or the v1 upper-case names)"
        guard let value, !value.isNull else {
            problems.append(SettingsProblem(
                key: "task", value: nil, message: "required: \(allowed)", location: SettingsLocation(file: document.file)))
            return nil
        }
        if let text = value.stringValue, let task = ImageTask(settingsValue: text) { return task }
        let suggestion = value.stringValue.map { Suggestion.phrase(for: $0, among: names) } ?? ""
        report("task", value, "must be \(allowed)\(suggestion)")
        return nil
    }

    private mutating func readPrimaryMetric(_ value: SettingValue?, task: ImageTask?) -> String? {
        guard let value, !value.isNull else { return nil }
        guard let text = value.stringValue else {
            report("primary_metric", value, "must be a metric name")
            return nil
        }
        guard let task else { return nil }
        guard text.lowercased() == task.primaryMetric else {
            report("primary_metric", value, "must be \(task.primaryMetric), the only primary metric of \(task)")
            return nil
        }
        return task.primaryMetric
    }

    // MARK: - Data

    /// `training_data: {path: train.jsonl}` (Azure's `type:` is ignored), or the path alone.
    private mutating func readDataPath(_ value: SettingValue?, key: String) -> String? {
        guard let value, !value.isNull else { return nil }
        let pathValue: SettingValue?
        let pathKey: String
        switch value {
        case .string:
            pathValue = value
            pathKey = key
        case let .map(entries):
            pathValue = entries["path"]
            pathKey = "\(key).path"
            if pathValue == nil {
                report(key, nil, "needs a path: the JSONL file in the bundle, e.g. {path: train.jsonl}")
            }
            for name in entries.keys.sorted() where name != "path" && name != "type" {
                report("\(key).\(name)", entries[name], "unknown setting; \(key) takes path (and Azure's type, ignored)")
            }
            if pathValue == nil { return nil }
        default:
            report(key, value, "must be a mapping like {path: train.jsonl}")
            return nil
        }
        guard let text = pathValue?.stringValue, !text.isEmpty else {
            report(pathKey, pathValue, "must be the path of a JSONL file in the bundle")
            return nil
        }
        var path = text
        while path.hasPrefix("./") { path.removeFirst(2) }
        if path.hasPrefix("/") || path.split(separator: "/").contains("..") || path.isEmpty {
            report(pathKey, pathValue, "must be a relative path inside the bundle (no leading /, no ..)")
            return nil
        }
        return path
    }

    // MARK: - Limits

    private mutating func readLimits(_ value: SettingValue?) -> JobLimits {
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
    private mutating func pickAlias(_ entries: [String: SettingValue], _ name: String, _ alias: String) -> String? {
        let given = [name, alias].filter { entries[$0].map { !$0.isNull } ?? false }
        if given.count == 2 {
            report("limits.\(alias)", entries[alias], "given twice: also as limits.\(name); keep one")
        }
        return given.first
    }

    // MARK: - Training parameters

    /// `training_parameters` (a mapping, or the v1 arguments list), v1 `arguments`, and the top-level
    /// `validation_data_size` of Azure's v2 YAML, as entries with their lines.
    private mutating func readParameterEntries(_ root: [String: SettingValue]) -> [ParameterEntry] {
        var entries: [ParameterEntry] = []
        if let size = root["validation_data_size"], !size.isNull {
            entries.append(ParameterEntry(
                name: "validation_data_size", value: size, keyPath: "validation_data_size",
                location: document.location("validation_data_size")))
        }
        switch root["training_parameters"] {
        case nil, .null?:
            break
        case let .map(values)?:
            for name in values.keys.sorted() {
                let keyPath = "training_parameters.\(name)"
                entries.append(ParameterEntry(
                    name: name, value: values[name]!, keyPath: keyPath, location: document.location(keyPath)))
            }
        case let .list(items)?:
            entries += readArguments(items, key: "training_parameters")
        case let other?:
            report("training_parameters", other, "must be a mapping of parameter names to values")
        }
        switch root["arguments"] {
        case nil, .null?:
            break
        case let .list(items)?:
            entries += readArguments(items, key: "arguments")
        case let other?:
            report("arguments", other, #"must be a list of names and values: ["--early_stopping", 1, ...]"#)
        }
        return entries
    }

    /// The v1 form `["--early_stopping", 1, "--evaluation_frequency", 2]` (also `"--name=value"`).
    private mutating func readArguments(_ items: [SettingValue], key: String) -> [ParameterEntry] {
        var entries: [ParameterEntry] = []
        var index = 0
        while index < items.count {
            let itemPath = "\(key)[\(index)]"
            guard let text = items[index].stringValue, text.hasPrefix("--"), text.count > 2 else {
                report(itemPath, items[index], #"expected a parameter name like "--learning_rate" before each value"#)
                index += 1
                continue
            }
            let body = String(text.dropFirst(2))
            let location = document.location(itemPath)
            if let equals = body.firstIndex(of: "=") {
                let name = String(body[..<equals])
                let value = SettingValue.string(String(body[body.index(after: equals)...]))
                entries.append(ParameterEntry(name: name, value: value, keyPath: "\(key).\(name)", location: location))
                index += 1
                continue
            }
            let next: SettingValue? = index + 1 < items.count ? items[index + 1] : nil
            if let next, !(next.stringValue?.hasPrefix("--") ?? false) {
                entries.append(ParameterEntry(name: body, value: next, keyPath: "\(key).\(body)", location: location))
                index += 2
            } else {
                report(itemPath, items[index], "needs a value after it")
                index += 1
            }
        }
        return entries
    }

    // MARK: - Sweep

    /// `sweep:` is interpreted by the sweep; here only its shape is checked.
    private mutating func readSweep(_ value: SettingValue?) -> [String: SettingValue]? {
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
    private mutating func readSearchSpace(_ value: SettingValue?) -> [[String: SettingValue]]? {
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
