/// Turns a `SettingsDocument` into `JobSettings`, collecting every problem of the file.
struct JobSettingsReader {
    /// Top-level keys Spool reads.
    static let knownKeys = [
        "task", "primary_metric", "training_data", "validation_data", "validation_data_size", "limits",
        "training_parameters", "arguments", "sweep", "search_space", "target_column_name",
        "hyperparameter_sampling", "early_termination_policy",
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
        let sweep = readSweepSettings(root)

        if let task {
            var fixedProblems: [SettingsProblem] = []
            do {
                _ = try TrainingParameters.resolve(task: task, entries: entries)
            } catch {
                // With a search space, whether a fixed parameter applies is decided with each branch's values
                // (its models among them), below: `min_size` suits a sweep over R-CNN models even though the
                // task's default model (yolov5) does not take it.
                fixedProblems = error.problems.filter { sweep.searchSpace == nil || !$0.message.hasPrefix("applies only to") }
            }
            problems += fixedProblems
            if let space = sweep.searchSpace, fixedProblems.isEmpty {
                problems += SearchSpaceValidator.problems(of: space, task: task, fixed: entries, location: document.location)
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
            limits: limits, trainingParameterValues: values, sweep: sweep,
            ignoredKeys: ignored, file: document.file, parameterEntries: entries, lines: document.lines)
    }

    // MARK: - Problems

    mutating func report(_ keyPath: String, _ value: SettingValue?, _ message: String) {
        problems.append(SettingsProblem(key: keyPath, value: value, message: message, location: document.location(keyPath)))
    }

    // MARK: - Task and metric

    mutating func readTask(_ value: SettingValue?) -> ImageTask? {
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

    mutating func readPrimaryMetric(_ value: SettingValue?, task: ImageTask?) -> String? {
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
    mutating func readDataPath(_ value: SettingValue?, key: String) -> String? {
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
}
