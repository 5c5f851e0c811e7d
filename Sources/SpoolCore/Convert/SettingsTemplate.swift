import Foundation

/// The `settings.yaml` that `spoolctl init-bundle` writes: Azure's AutoML image job YAML with `task`,
/// `primary_metric` and `training_data` set, and every other key (validation data, limits, sweep, search
/// space, each training parameter of the task) present as a comment holding its default and a short
/// description. It is generated from `ParameterTable`, `TrainingParameters.defaults`, `JobLimits` and
/// `SweepSettings`, so it cannot drift from what the settings reader does; uncommenting a line as it stands
/// changes nothing.
public struct SettingsTemplate: Sendable {
    /// A commented key: its dotted path, its line (0-based) in `text`, and the model it needs when the task's
    /// default model does not take it (`min_size` needs an R-CNN model where yolov5 is the default).
    public struct Key: Sendable, Hashable {
        public var keyPath: String
        public var line: Int
        public var model: ModelName?
    }

    public let task: ImageTask
    public let trainingData: String
    public private(set) var lines: [String] = []
    public private(set) var keys: [Key] = []

    /// The whole file, ending with a newline.
    public var text: String { lines.joined(separator: "\n") + "\n" }

    public init(task: ImageTask, trainingData: String = "train.jsonl") {
        self.task = task
        self.trainingData = trainingData
        build()
    }

    /// The text with `key`'s line uncommented; with `model`, `model_name` is uncommented and set to it too.
    public func uncommenting(_ key: Key, model: ModelName? = nil) -> String {
        var out = lines
        out[key.line] = Self.uncomment(out[key.line])
        if let model, let modelKey = keys.first(where: { $0.keyPath == "training_parameters.model_name" }) {
            out[modelKey.line] = "  model_name: \(model.rawValue)"
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// `  # name: value  # what` -> `  name: value  # what`.
    static func uncomment(_ line: String) -> String {
        guard let range = line.range(of: "# ") else { return line }
        return line.replacingCharacters(in: range, with: "")
    }

    // MARK: - Building

    private mutating func build() {
        let model = ModelCatalog.defaultModel(for: task)
        let defaults = TrainingParameters.defaults(task: task, model: model)
        lines = [
            "# The job, in the shape of Azure's AutoML image job YAML (\(Self.documents(for: task).joined(separator: ", "))).",
            "# Every key below task, primary_metric and training_data is commented out with its default:",
            "# uncomment a line and change its value to use it. Defaults shown are those of \(model.rawValue);",
            "# batch sizes and the learning rate depend on model_name.",
            "task: \(task.rawValue)",
            "primary_metric: \(task.primaryMetric)",
            "training_data: {path: \(trainingData)}",
        ]
        comment("validation_data", "null", "a validation JSONL, e.g. {path: valid.jsonl}; unset: split_ratio is held out",
                indent: "")
        lines.append("limits:")
        let limits = JobLimits()
        comment("limits.timeout_minutes", "\(limits.timeoutMinutes)",
                "the whole job's budget, minutes (7 days; at most \(JobLimits.maximumTimeoutMinutes))")
        comment("limits.max_trials", "\(limits.maxTrials)", "configurations to try, 1 to 1000")
        comment("limits.max_concurrent_trials", "\(limits.maxConcurrentTrials)", "trials at once, at most max_trials")
        comment("limits.trial_timeout_minutes", "null", "one trial's budget, minutes; unset: the job's budget only")
        lines.append("sweep:")
        let sweep = SweepSettings()
        comment("sweep.sampling_algorithm", sweep.samplingAlgorithm.rawValue,
                SamplingAlgorithm.allCases.map(\.rawValue).joined(separator: ", "))
        comment("sweep.early_termination", "null", "e.g. {type: bandit, slack_factor: 0.2, evaluation_interval: 1}")
        comment("search_space", "null",
                "e.g. [{learning_rate: {type: uniform, min_value: 0.001, max_value: 0.1}}]; unset: one trial",
                indent: "")
        lines.append("training_parameters:")
        let models = ModelCatalog.models(for: task)
        for row in ParameterTable.rows {
            let applies = row.scope.applies(task: task, model: model)
            let other = applies ? nil
                : models.first { row.scope.applies(task: task, model: $0) && $0.catalogEntry.available }
                ?? models.first { row.scope.applies(task: task, model: $0) }
            guard applies || other != nil else { continue }
            let values = Self.values(other.map { TrainingParameters.defaults(task: task, model: $0) } ?? defaults)
            var note = ParameterTable.descriptions[row.name] ?? row.allowed
            if other != nil { note += row.scope == .yolo ? " (yolov5 only)" : " (not yolov5)" }
            comment("training_parameters.\(row.name)", values[row.name].map(Self.yaml) ?? "null", note, model: other)
        }
    }

    /// The documents of the task's keys: docs/hyperparameters.md (every task's keys and every model), the
    /// task's own document for its models' settings, and docs/sweeps.md.
    public static func documents(for task: ImageTask) -> [String] {
        let own: [String] = switch task {
        case .imageClassification, .imageClassificationMultilabel: []
        case .imageObjectDetection: ["docs/detection.md"]
        case .imageInstanceSegmentation: ["docs/segmentation.md"]
        }
        return ["docs/hyperparameters.md"] + own + ["docs/sweeps.md"]
    }

    private mutating func comment(_ keyPath: String, _ value: String, _ note: String, indent: String = "  ",
                                  model: ModelName? = nil) {
        let name = keyPath.split(separator: ".").last.map(String.init) ?? keyPath
        let body = "\(indent)# \(name): \(value)"
        let padded = body.count < 44 ? body + String(repeating: " ", count: 44 - body.count) : body + " "
        keys.append(Key(keyPath: keyPath, line: lines.count, model: model))
        lines.append(padded + " # " + note)
    }

    /// The parameters by v1 name, as the encoder writes them (unset ones absent).
    static func values(_ parameters: TrainingParameters) -> [String: SettingValue] {
        guard let data = try? JSONEncoder().encode(parameters),
              case let .map(values)? = try? JSONDecoder().decode(SettingValue.self, from: data) else { return [:] }
        return values
    }

    /// A scalar as YAML: flags as 0/1 (Azure's spelling), simple words bare, other text quoted.
    static func yaml(_ value: SettingValue) -> String {
        switch value {
        case let .bool(flag): flag ? "1" : "0"
        case let .double(number): number.description
        case let .string(text) where text.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) && !text.isEmpty
            && !["null", "true", "false", "yes", "no", "on", "off"].contains(text.lowercased()):
            text
        default: value.description
        }
    }
}
