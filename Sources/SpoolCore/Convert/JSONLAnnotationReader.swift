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
    /// its own problems before reporting them all.
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
            func problem(_ field: String?, _ message: String) {
                problems.append(ConversionProblem(file: file, line: number, element: field, message: message))
            }
            guard let object = (try? JSONSerialization.jsonObject(with: bytes)) as? [String: Any] else {
                problem(nil, "not a JSON object; each line is {\"image_url\": ..., \"label\": ...}")
                continue
            }
            guard let url = object["image_url"] as? String, !url.isEmpty else {
                problem("image_url", "required: the image's path")
                continue
            }
            var details: ImageDetails?
            if let given = object["image_details"], !(given is NSNull) {
                if let map = given as? [String: Any] {
                    details = ImageDetails(format: map["format"] as? String, width: size(map["width"]), height: size(map["height"]))
                    for key in ["width", "height"] where map[key] != nil && !(map[key] is NSNull) && size(map[key]) == nil {
                        problem("image_details.\(key)", "expected a positive whole number of pixels (400 or \"400px\")")
                    }
                } else {
                    problem("image_details", "expected an object {\"format\", \"width\", \"height\"}")
                }
            }
            let label = object["label"]
            if label is String || label is NSNumber {
                classificationLines.append(number)
                continue
            }
            guard let list = label as? [Any] else {
                problem("label", "required: a list of objects (boxes or polygons)")
                continue
            }
            if !list.isEmpty, list.allSatisfy({ $0 is String }) {
                classificationLines.append(number)
                continue
            }
            var objects: [ConvertedObject] = []
            for (position, item) in list.enumerated() {
                let field = "label[\(position)]"
                guard let map = item as? [String: Any] else {
                    problem(field, "expected an object {\"label\", \"topX\", ...} or {\"label\", \"polygon\"}")
                    continue
                }
                guard let name = map["label"].flatMap(text) else {
                    problem(field + ".label", "required: the object's class")
                    continue
                }
                guard let crowd = map["isCrowd"].map(flag) ?? false else {
                    problem(field + ".isCrowd", "expected 0, 1, true or false")
                    continue
                }
                if let polygon = map["polygon"] {
                    guard let parts = polygon as? [Any], !parts.isEmpty else {
                        problem(field + ".polygon", "expected a list of polygons [[x1, y1, x2, y2, ...], ...]")
                        continue
                    }
                    var numbers: [[Double]] = []
                    for (partIndex, part) in parts.enumerated() {
                        let values = part as? [Any] ?? []
                        let converted = values.compactMap(Self.number)
                        guard !values.isEmpty, converted.count == values.count, converted.count >= 6, converted.count % 2 == 0 else {
                            problem(field + ".polygon[\(partIndex)]", "expected x, y pairs (numbers) for at least 3 points")
                            continue
                        }
                        numbers.append(converted)
                    }
                    if numbers.count == parts.count {
                        objects.append(ConvertedObject(label: name, isCrowd: crowd, shape: .polygon(numbers)))
                    }
                    continue
                }
                var corners: [Double] = []
                for key in ["topX", "topY", "bottomX", "bottomY"] {
                    if let value = map[key].flatMap(Self.number) {
                        corners.append(value)
                    } else {
                        problem(field + "." + key, "required: a number in [0, 1]")
                    }
                }
                guard corners.count == 4 else { continue }
                guard corners[2] > corners[0], corners[3] > corners[1] else {
                    problem(field, "bottomX and bottomY must be greater than topX and topY")
                    continue
                }
                objects.append(ConvertedObject(label: name, isCrowd: crowd, shape: .box(NormalizedBox(
                    topX: corners[0], topY: corners[1], bottomX: corners[2], bottomY: corners[3]))))
            }
            lines.append(Line(number: number, image: ConvertedImage(imageURL: url, details: details, label: .objects(objects))))
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
