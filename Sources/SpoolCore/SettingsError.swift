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

extension SettingsError {
    /// Problems in file order (by line), those without a line last, otherwise in the order found.
    static func sortedByLine(_ problems: [SettingsProblem]) -> [SettingsProblem] {
        problems.enumerated().sorted { left, right in
            let l = left.element.location?.line ?? Int.max, r = right.element.location?.line ?? Int.max
            return l != r ? l < r : left.offset < right.offset
        }.map(\.element)
    }
}
