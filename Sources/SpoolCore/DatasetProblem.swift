/// One thing wrong in a JSONL file: file, line, field, and what was expected.
public struct DatasetProblem: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    /// 1-based; nil for problems of the whole file (unreadable, empty).
    public var line: Int?
    /// `label`, `image_url`, `label[2]`, `image_details.width`; nil for the line as a whole.
    public var field: String?
    public var message: String

    public init(file: String, line: Int?, field: String?, message: String) {
        self.file = file
        self.line = line
        self.field = field
        self.message = message
    }

    /// `train.jsonl:7: label: expected a string for image_classification, got a list`.
    public var description: String {
        var parts = [line.map { "\(file):\($0)" } ?? file]
        if let field { parts.append(field) }
        parts.append(message)
        return parts.joined(separator: ": ")
    }
}
