import Foundation

/// Every problem of a JSONL file, found in one pass so that the user fixes them all at once.
public struct DatasetError: Error, Sendable, Hashable, CustomStringConvertible, LocalizedError {
    /// How many problems `description` lists before summarising the rest (all stay in `problems`).
    public static let describedProblemLimit = 200

    public var problems: [DatasetProblem]

    public init(problems: [DatasetProblem]) {
        self.problems = problems
    }

    /// One line per problem, at most `describedProblemLimit` of them.
    public var description: String {
        var lines = problems.prefix(Self.describedProblemLimit).map(\.description)
        if problems.count > Self.describedProblemLimit {
            lines.append("... and \(problems.count - Self.describedProblemLimit) more problems")
        }
        return lines.joined(separator: "\n")
    }

    public var errorDescription: String? { description }
}
