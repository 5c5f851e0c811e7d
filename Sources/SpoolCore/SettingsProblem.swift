/// One thing wrong in a job's settings: the key, the value given, what is allowed, and where.
public struct SettingsProblem: Sendable, Hashable, CustomStringConvertible {
    /// Dotted path of the key as the user would find it: `training_parameters.learning_rate`,
    /// `limits.max_trials`, `search_space[1]`. Empty for problems of the whole file (syntax, unreadable).
    public var key: String
    /// The value given; nil when the key is missing or the problem concerns the whole file.
    public var value: SettingValue?
    /// What is allowed, or what went wrong, in words: `must be a number in [0, 1]`.
    public var message: String
    /// The settings file and line, when the value came from a file.
    public var location: SettingsLocation?

    public init(key: String, value: SettingValue?, message: String, location: SettingsLocation? = nil) {
        self.key = key
        self.value = value
        self.message = message
        self.location = location
    }

    /// One line: `settings.yaml:12: training_parameters.learning_rate = 2.5: must be a number in [0, 1]`.
    public var description: String {
        var parts: [String] = []
        if let location { parts.append(location.description) }
        if !key.isEmpty {
            parts.append(value.map { "\(key) = \($0)" } ?? key)
        }
        parts.append(message)
        return parts.joined(separator: ": ")
    }
}
