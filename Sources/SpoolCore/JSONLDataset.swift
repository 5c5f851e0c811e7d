import Foundation

/// Reads the JSONL of spec section 3: one JSON object a line, blank lines skipped, every problem of the
/// file reported at once with its line and field.
public enum JSONLDataset {
    /// Reads and validates a JSONL for `task` (any of the four).
    /// - Parameter displayName: the file as messages name it; default: its file name.
    public static func load(url: URL, task: ImageTask, displayName: String? = nil) throws(DatasetError) -> [DatasetRecord] {
        let result = read(url: url, task: task, displayName: displayName)
        guard result.problems.isEmpty else { throw DatasetError(problems: result.problems) }
        return result.records
    }

    /// The lines that are valid, and every problem of the others: a caller can go on checking the valid
    /// lines (their images) and report everything at once.
    public static func read(url: URL, task: ImageTask, displayName: String? = nil) -> (records: [DatasetRecord], problems: [DatasetProblem]) {
        let file = displayName ?? url.lastPathComponent
        guard let data = FileManager.default.contents(atPath: url.path) else {
            return ([], [DatasetProblem(file: file, line: nil, field: nil, message: "cannot be read (missing, a folder, or no permission)")])
        }
        return records(data, task: task, file: file)
    }

    /// Reads and validates JSONL content; `file` names it in messages.
    public static func parse(_ data: Data, task: ImageTask, file: String) throws(DatasetError) -> [DatasetRecord] {
        let result = records(data, task: task, file: file)
        guard result.problems.isEmpty else { throw DatasetError(problems: result.problems) }
        return result.records
    }

    static func records(_ data: Data, task: ImageTask, file: String) -> (records: [DatasetRecord], problems: [DatasetProblem]) {
        var records: [DatasetRecord] = []
        var problems: [DatasetProblem] = []
        var otherShapeLines: [Int] = [], jsonLines = 0
        let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        for (index, rawLine) in lines.enumerated() {
            let number = index + 1
            var line = Data(rawLine)
            if index == 0, line.starts(with: [0xEF, 0xBB, 0xBF]) { line.removeFirst(3) }
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            var reader = JSONLLineReader(file: file, line: number, task: task)
            if let record = reader.record(from: line) { records.append(record) }
            if reader.labelHasOtherClassificationShape { otherShapeLines.append(number) }
            problems += reader.problems
            jsonLines += 1
        }
        // Half the lines or more have the other classification task's label: the task is the mistake, not
        // the lines (a stray list among names stays a line error).
        if let first = otherShapeLines.first, otherShapeLines.count * 2 >= jsonLines {
            let lines = Set(otherShapeLines)
            problems.removeAll { $0.field == "label" && lines.contains($0.line ?? 0) }
            let position = problems.firstIndex { ($0.line ?? 0) > first } ?? problems.endIndex
            problems.insert(otherClassificationShape(task: task, file: file, first: first, count: otherShapeLines.count), at: position)
        }
        if records.isEmpty, problems.isEmpty {
            problems.append(DatasetProblem(file: file, line: nil, field: nil, message: "no images: the file has no JSON lines"))
        }
        return (records, problems)
    }

    /// One problem for every line whose label has the other classification task's shape (a list of class
    /// names under `image_classification`, one name under `image_classification_multilabel`): the task in the
    /// settings is probably the wrong one, which one message says better than a line error per image.
    static func otherClassificationShape(task: ImageTask, file: String, first: Int, count: Int) -> DatasetProblem {
        let lines = count == 1 ? "line \(first)" : "\(count) lines (the first is line \(first))"
        let message = task == .imageClassification
            ? "is a list of class names on \(lines), but \(task.rawValue) takes one class name per image; the labels "
                + "look like multilabel data, so the task is probably \(ImageTask.imageClassificationMultilabel.rawValue): "
                + "set task: \(ImageTask.imageClassificationMultilabel.rawValue) in the settings (or give each image one class name)"
            : "is a single class name on \(lines), but \(task.rawValue) takes a list of class names per image "
                + "(\"label\": [\"name\", ...]); if each image has exactly one class the task is probably "
                + "\(ImageTask.imageClassification.rawValue): set task: \(ImageTask.imageClassification.rawValue) in the settings"
        return DatasetProblem(file: file, line: first, field: "label", message: message)
    }

    /// The sorted class names the records mention: the model's outputs, in order.
    public static func classNames(in records: [DatasetRecord]) -> [String] {
        Set(records.flatMap(\.label.classNames)).sorted()
    }
}
