import Foundation

/// A job's `settings.yaml` (or `.yml`, `.json`), in the shape of Azure's v2 AutoML image job YAML
/// (spec section 6), with v1 names accepted as aliases.
///
/// Loading validates everything it can at once, training parameters included, so that a bundle is
/// rejected with every problem listed before any training starts.
public struct JobSettings: Sendable, Hashable {
    public var task: ImageTask
    /// Always the task's own metric (a different `primary_metric:` is refused).
    public var primaryMetric: String
    /// The training JSONL, relative to the bundle (`training_data.path`, default `train.jsonl`).
    public var trainingDataPath: String
    /// The validation JSONL, relative to the bundle; nil holds out `split_ratio` of the training lines.
    public var validationDataPath: String?
    public var limits: JobLimits
    /// `training_parameters` (and v1 `arguments`, and the top-level `validation_data_size`) as given,
    /// keyed by the name as written (v1 name or alias).
    public var trainingParameterValues: [String: SettingValue]
    /// The sweep: `sweep:` (sampling algorithm, early termination) and `search_space:` (v2), or v1's
    /// `hyperparameter_sampling:` and `early_termination_policy:`, read and validated against the task.
    public var sweep: SweepSettings
    /// Keys of Azure's job YAML that mean nothing here (`compute`, `experiment_name`...), read and ignored.
    public var ignoredKeys: [String]
    /// The settings file as shown in messages (`settings.yaml`).
    public var file: String

    var parameterEntries: [ParameterEntry]
    var lines: [String: Int]

    /// Whether the settings give training parameter `name` (in `training_parameters` or v1 `arguments`), rather
    /// than leave it to its default.
    public func setsParameter(_ name: String) -> Bool {
        parameterEntries.contains { $0.name == name }
    }

    /// Where the value at `keyPath` (`limits.max_trials`, `search_space[0].learning_rate`) was written.
    public func location(of keyPath: String) -> SettingsLocation {
        SettingsLocation(file: file, line: lines[keyPath])
    }

    /// Reads and validates a settings file; `.json` is read as JSON, anything else as YAML.
    /// - Parameter displayName: the file as messages name it; default: its file name.
    public static func load(from url: URL, displayName: String? = nil) throws(SettingsError) -> JobSettings {
        let file = displayName ?? url.lastPathComponent
        let text: String
        do {
            let data = try Data(contentsOf: url)
            guard let decoded = String(data: data, encoding: .utf8) else {
                throw SettingsError(problems: [SettingsProblem(
                    key: "", value: nil, message: "not UTF-8 text", location: SettingsLocation(file: file))])
            }
            text = decoded
        } catch let error as SettingsError {
            throw error
        } catch {
            throw SettingsError(problems: [SettingsProblem(
                key: "", value: nil, message: "cannot read the settings file: \(error.localizedDescription)",
                location: SettingsLocation(file: file))])
        }
        return try parse(text, file: file, json: url.pathExtension.lowercased() == "json")
    }

    /// Reads and validates settings text.
    public static func parse(_ text: String, file: String = "settings.yaml", json: Bool = false) throws(SettingsError) -> JobSettings {
        let document = try SettingsDocument.parse(text, file: file, json: json)
        var reader = JobSettingsReader(document: document)
        return try reader.read()
    }

    /// The space the sweep draws from: the settings' own, or AutoMode's when `max_trials > 1` and there is
    /// none (`AutoModeSpace`); nil for a single trial of the defaults.
    public var effectiveSearchSpace: SearchSpace? {
        if let space = sweep.searchSpace { return space }
        return limits.maxTrials > 1
            ? AutoModeSpace.space(for: task, fixing: Set(parameterEntries.map(\.name))) : nil
    }

    /// The parameters of the job's first trial as far as the settings tell before anything is sampled: with a
    /// search space, its first branch at the first value each of its parameters can give (a sweep over
    /// models: its first model); else the fixed ones. What a bundle's checks (the memory probe, the starting
    /// weights) take as representative.
    public func firstTrialParameters() throws(SettingsError) -> TrainingParameters {
        guard let branch = sweep.searchSpace?.branches.first else { return try trainingParameters() }
        var overrides: [String: SettingValue] = [:]
        for name in branch.names { overrides[name] = branch.parameters[name]!.probeValues[0] }
        return try trainingParameters(overrides: overrides)
    }

    /// The trial's hyperparameters: the file's `training_parameters` with `overrides` (a sweep's
    /// sampled values, under any spelling) taking precedence, resolved with defaults and validated.
    public func trainingParameters(overrides: [String: SettingValue] = [:]) throws(SettingsError) -> TrainingParameters {
        let overridden = Set(overrides.keys.map(ParameterTable.canonicalName))
        let kept = parameterEntries.filter { !overridden.contains(ParameterTable.canonicalName($0.name)) }
        let added = overrides.keys.sorted().map { ParameterEntry(name: $0, value: overrides[$0]!) }
        return try TrainingParameters.resolve(task: task, entries: kept + added)
    }
}
