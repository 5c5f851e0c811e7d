/// One training parameter as the user gave it: the name under any spelling, the value, the dotted key
/// path to show in messages, and the file and line it came from.
struct ParameterEntry: Sendable, Hashable {
    var name: String
    var value: SettingValue
    var keyPath: String
    var location: SettingsLocation?

    init(name: String, value: SettingValue, keyPath: String? = nil, location: SettingsLocation? = nil) {
        self.name = name
        self.value = value
        self.keyPath = keyPath ?? "training_parameters.\(name)"
        self.location = location
    }
}
