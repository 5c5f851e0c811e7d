import Foundation

/// Everything wrong with a job's settings, collected so that the user fixes it all in one pass.
public struct SettingsError: Error, Sendable, Hashable, CustomStringConvertible, LocalizedError {
    public var problems: [SettingsProblem]

    public init(problems: [SettingsProblem]) {
        self.problems = problems
    }

    /// One line per problem.
    public var description: String {
        problems.map(\.description).joined(separator: "\n")
    }

    public var errorDescription: String? { description }

    /// The first problem about `key`, if any (handy for callers and tests).
    public func problem(forKey key: String) -> SettingsProblem? {
        problems.first { $0.key == key }
    }
}
