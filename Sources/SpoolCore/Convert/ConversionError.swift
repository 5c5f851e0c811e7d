import Foundation

/// Why a dataset could not be converted: every problem found in one pass, so that the user fixes the
/// input once. Nothing is written when a conversion fails.
public struct ConversionError: Error, Sendable, Hashable, CustomStringConvertible, LocalizedError {
    /// How many problems `description` lists before summarising the rest (all stay in `problems`).
    public static let describedProblemLimit = 200

    public var problems: [ConversionProblem]

    public init(problems: [ConversionProblem]) {
        self.problems = problems
    }

    /// A single problem.
    public init(file: String, line: Int? = nil, element: String? = nil, message: String) {
        self.init(problems: [ConversionProblem(file: file, line: line, element: element, message: message)])
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

extension ConversionError {
    /// The bytes of an input file, or the error that names it.
    static func contents(of url: URL, file: String) throws(ConversionError) -> Data {
        do {
            return try Data(contentsOf: url)
        } catch {
            throw ConversionError(file: file, message: "cannot read the file: \(error.localizedDescription)")
        }
    }
}
