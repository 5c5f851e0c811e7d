import Foundation

/// Reads object detection and instance segmentation JSONL (spec section 3) into `ConvertedImage`s, for
/// the conversions out of JSONL. As lenient as Spool's training reader: numbers may be strings,
/// `isCrowd` may be a bool, 0/1 or "true"/"false", sizes may be `"400px"`. Every problem of the file is
/// reported at once, with its line and field.
enum JSONLAnnotationReader {
    /// One line read: its 1-based number and what it says.
    struct Line: Sendable, Hashable {
        var number: Int
        var image: ConvertedImage
    }

    /// The lines that could be read, and the problems of the others (in line order); the caller adds
    /// its own problems before reporting them all. Each line is read by training's reader
    /// (`JSONLLineReader`): as instance segmentation when its objects have polygons, else as detection.
    static func read(_ data: Data, file: String) -> (lines: [Line], problems: [ConversionProblem]) {
        var lines: [Line] = []
        var problems: [ConversionProblem] = []
        var classificationLines: [Int] = []
        for (index, raw) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            var bytes = Data(raw)
            if index == 0, bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
            if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            let object = (try? JSONSerialization.jsonObject(with: bytes)) as? [String: Any]
            let label = object?["label"]
            if label is String || label is NSNumber || ((label as? [Any]).map { !$0.isEmpty && $0.allSatisfy { $0 is String } } ?? false) {
                classificationLines.append(number)
                continue
            }
            let hasPolygons = (label as? [Any])?.contains { ($0 as? [String: Any])?["polygon"] != nil } ?? false
            var reader = JSONLLineReader(file: file, line: number,
                                         task: hasPolygons ? .imageInstanceSegmentation : .imageObjectDetection)
            if let record = reader.record(from: bytes) {
                lines.append(Line(number: number, image: ConvertedImage(imageURL: record.imageURL, details: record.imageDetails,
                                                                        label: .objects(record.label.objects))))
            }
            problems += reader.problems.map { ConversionProblem(file: $0.file, line: $0.line, element: $0.field, message: $0.message) }
        }
        if let first = classificationLines.first {
            problems.append(ConversionProblem(
                file: file, line: first, element: "label",
                message: "a classification label; COCO holds boxes and polygons, so convert object detection or "
                    + "instance segmentation JSONL (\(classificationLines.count) classification line(s) in the file)"))
        }
        if lines.isEmpty, problems.isEmpty {
            problems.append(ConversionProblem(file: file, message: "no images: the file has no JSON lines"))
        }
        return (lines, problems)
    }

    /// A number, or a string holding one.
    static func number(_ value: Any) -> Double? {
        if let string = value as? String { return Double(string.trimmingCharacters(in: .whitespaces)).flatMap { $0.isFinite ? $0 : nil } }
        return (value as? NSNumber)?.doubleValue  // (never `is Bool`: an NSNumber 0 or 1 also passes it)
    }

    /// A positive whole number of pixels: `400`, `400.0`, `"400"`, `"400px"`.
    static func size(_ value: Any?) -> Int? {
        guard let value, !(value is NSNull) else { return nil }
        var found: Double?
        if let string = value as? String {
            var trimmed = string.trimmingCharacters(in: .whitespaces)
            if trimmed.lowercased().hasSuffix("px") { trimmed.removeLast(2) }
            found = Double(trimmed)
        } else {
            found = number(value)
        }
        guard let found, found > 0, found == found.rounded(), found < 1e9 else { return nil }
        return Int(found)
    }

    /// A class name: a string, or a number written as one.
    static func text(_ value: Any) -> String? {
        if let string = value as? String { return string.isEmpty ? nil : string }
        if let number = value as? NSNumber { return number.stringValue }
        return nil
    }

    /// `isCrowd`: true/false, 0/1, or those as strings; nil for anything else.
    static func flag(_ value: Any) -> Bool? {
        if value is NSNull { return false }
        if let string = value as? String {
            switch string.trimmingCharacters(in: .whitespaces).lowercased() {
            case "true", "1": return true
            case "false", "0", "": return false
            default: return nil
            }
        }
        switch (value as? NSNumber)?.doubleValue {
        case 1: return true
        case 0: return false
        default: return nil
        }
    }
}
