import Foundation
import Yams

/// The settings of a retrain: the earlier job's own, with its best trial's configuration fixed and the sweep
/// removed (one trial), written as JSON (`settings.json`, which Spool reads like YAML).
public enum RetrainSettings {
    /// - Parameters:
    ///   - text: the earlier bundle's settings file.
    ///   - best: the best trial's sampled values (empty for a job without a sweep).
    public static func make(from text: String, best: [String: SettingValue]) throws -> Data {
        guard var root = try Yams.load(yaml: text) as? [String: Any] else {
            throw SettingsError(problems: [SettingsProblem(key: "", value: nil, message: "the earlier job's settings are not a mapping")])
        }
        for key in ["sweep", "search_space", "hyperparameter_sampling", "early_termination_policy"] { root[key] = nil }
        var limits = root["limits"] as? [String: Any] ?? [:]
        for key in ["max_trials", "iterations", "max_concurrent_trials", "max_concurrent_iterations"] { limits[key] = nil }
        limits["max_trials"] = 1
        limits["max_concurrent_trials"] = 1
        root["limits"] = limits
        SettingsOverrides.set(best, in: &root)
        return try JSONSerialization.data(withJSONObject: root, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    }
}
