/// Where a value came from: a file (as shown to the user) and, when known, its 1-based line.
public struct SettingsLocation: Sendable, Hashable, Codable, CustomStringConvertible {
    public var file: String
    public var line: Int?

    public init(file: String, line: Int? = nil) {
        self.file = file
        self.line = line
    }

    /// `settings.yaml:12`, or `settings.yaml` when the line is unknown.
    public var description: String {
        line.map { "\(file):\($0)" } ?? file
    }
}
