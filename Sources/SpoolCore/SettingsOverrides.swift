import Foundation
import Yams

/// Training parameters set on a settings file (`submit --set`, a retrain's best configuration): the file's
/// `training_parameters` with the values replacing any spelling of the same keys, written as JSON
/// (`settings.json`, which Spool reads like YAML).
public enum SettingsOverrides {
    /// The settings `text` with `values` set in its `training_parameters`, as JSON.
    public static func apply(_ values: [String: SettingValue], to text: String) throws -> Data {
        guard var root = try Yams.load(yaml: text) as? [String: Any] else {
            throw SettingsError(problems: [SettingsProblem(key: "", value: nil, message: "the settings are not a mapping")])
        }
        set(values, in: &root)
        return try JSONSerialization.data(withJSONObject: root, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    }

    /// Sets `values` in a decoded settings document's `training_parameters`.
    static func set(_ values: [String: SettingValue], in root: inout [String: Any]) {
        if var list = root["training_parameters"] as? [Any] {
            // Azure v1's argument list: later values win.
            for name in values.keys.sorted() { list += ["--\(name)", values[name]!.foundationValue] }
            root["training_parameters"] = list
        } else {
            var parameters = root["training_parameters"] as? [String: Any] ?? [:]
            for (name, value) in values {
                let canonical = TrainingParameters.canonicalName(name)
                for key in parameters.keys where TrainingParameters.canonicalName(key) == canonical { parameters[key] = nil }
                parameters[name] = value.foundationValue
            }
            root["training_parameters"] = parameters
        }
    }
}
