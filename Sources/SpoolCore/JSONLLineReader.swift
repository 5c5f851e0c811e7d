import Foundation

/// Validates one JSONL line, collecting its problems.
struct JSONLLineReader {
    let file: String
    let line: Int
    let task: ImageTask
    var problems: [DatasetProblem] = []
    /// The label had the other classification task's shape: a list under `image_classification`, a string
    /// under `image_classification_multilabel`. The file's reader says so once for all such lines.
    var labelHasOtherClassificationShape = false

    init(file: String, line: Int, task: ImageTask) {
        self.file = file
        self.line = line
        self.task = task
    }

    mutating func problem(_ field: String?, _ message: String) {
        problems.append(DatasetProblem(file: file, line: line, field: field, message: message))
    }

    mutating func record(from data: Data) -> DatasetRecord? {
        let object: [String: SettingValue]
        do {
            let value = try JSONDecoder().decode(SettingValue.self, from: data)
            guard case let .map(entries) = value else {
                problem(nil, "expected a JSON object like {\"image_url\": ..., \"label\": ...}, got \(value.kindDescription)")
                return nil
            }
            object = entries
        } catch {
            problem(nil, "not valid JSON" + JSONLLineReader.reason(data))
            return nil
        }
        let imageURL = readImageURL(object["image_url"])
        let label = readLabel(object["label"])
        let details = readDetails(object["image_details"])
        guard let imageURL, let label, problems.isEmpty else { return nil }
        return DatasetRecord(imageURL: imageURL, label: label, imageDetails: details, line: line)
    }

    private mutating func readImageURL(_ value: SettingValue?) -> String? {
        guard let value, !value.isNull else {
            problem("image_url", "required: the image's path in the bundle's images")
            return nil
        }
        guard let text = value.stringValue else {
            problem("image_url", "expected a string (the image's path), got \(value.kindDescription)")
            return nil
        }
        switch DatastorePath.relativePath(text) {
        case let .success(path):
            return path
        case .failure(.empty):
            problem("image_url", "is empty: expected the image's path")
        case let .failure(.remote(scheme)):
            problem("image_url", "\(scheme):// URLs are not fetched: put the image in the bundle and give its path")
        case .failure(.missingPathsSegment):
            problem("image_url", "an azureml:// URL must contain /paths/ followed by the image's path")
        case .failure(.escapesRoot):
            problem("image_url", "must be a relative path inside the images root (no leading /, no ..): \(text)")
        }
        return nil
    }

    private mutating func readLabel(_ value: SettingValue?) -> DatasetLabel? {
        guard let value, !value.isNull else {
            let expected = switch task {
            case .imageClassification: "a class name"
            case .imageClassificationMultilabel: "a list of class names (may be empty)"
            case .imageObjectDetection: "a list of boxes {\"label\", \"topX\", \"topY\", \"bottomX\", \"bottomY\"} (may be empty)"
            case .imageInstanceSegmentation: "a list of objects {\"label\", \"polygon\": [[x1, y1, ...]]} (may be empty)"
            }
            problem("label", "required: \(expected) for \(task)")
            return nil
        }
        if task == .imageClassification {
            guard let name = JSONLLineReader.className(value) else {
                if case .list = value { labelHasOtherClassificationShape = true }
                problem("label", "expected a string for \(task), got \(value.kindDescription)")
                return nil
            }
            guard !name.isEmpty else {
                problem("label", "is empty: expected a class name")
                return nil
            }
            return .single(name)
        }
        guard case let .list(items) = value else {
            let expected = task == .imageClassificationMultilabel ? "a list of strings" : "a list of objects"
            if task == .imageClassificationMultilabel, value.stringValue != nil { labelHasOtherClassificationShape = true }
            problem("label", "expected \(expected) for \(task), got \(value.kindDescription)")
            return nil
        }
        if task == .imageObjectDetection || task == .imageInstanceSegmentation {
            return readObjects(items)
        }
        var names: [String] = []
        var valid = true
        for (index, item) in items.enumerated() {
            guard let name = JSONLLineReader.className(item), !name.isEmpty else {
                problem("label[\(index)]", "expected a class name (a non-empty string), got \(item.kindDescription)")
                valid = false
                continue
            }
            if !names.contains(name) { names.append(name) }
        }
        return valid ? .multiple(names) : nil
    }

    /// Boxes (`topX`, `topY`, `bottomX`, `bottomY`, fractions of the image, numbers or strings) or polygons
    /// (`polygon`: parts of x, y pairs), with `isCrowd` as a bool, 0/1 or "true"/"false". Every problem of the
    /// line is reported.
    private mutating func readObjects(_ items: [SettingValue]) -> DatasetLabel? {
        var objects: [ImageObject] = []
        var valid = true
        for (position, item) in items.enumerated() {
            let field = "label[\(position)]"
            guard case let .map(map) = item else {
                problem(field, task == .imageObjectDetection
                    ? "expected a box {\"label\", \"topX\", \"topY\", \"bottomX\", \"bottomY\", \"isCrowd\"}, got \(item.kindDescription)"
                    : "expected an object {\"label\", \"polygon\": [[x1, y1, x2, y2, ...]], \"isCrowd\"}, got \(item.kindDescription)")
                valid = false
                continue
            }
            guard let name = map["label"].flatMap(JSONLLineReader.className), !name.isEmpty else {
                problem(field + ".label", "required: the object's class name")
                valid = false
                continue
            }
            var crowd = false
            if let flag = map["isCrowd"] ?? map["iscrowd"], !flag.isNull {
                guard let parsed = flag.coercedBool else {
                    problem(field + ".isCrowd", "expected true, false, 0 or 1, got \(flag)")
                    valid = false
                    continue
                }
                crowd = parsed
            }
            if task == .imageInstanceSegmentation {
                guard let parts = readPolygon(map["polygon"], field: field + ".polygon") else { valid = false; continue }
                objects.append(ImageObject(label: name, isCrowd: crowd, shape: .polygon(parts)))
            } else {
                guard let box = readBox(map, field: field) else { valid = false; continue }
                objects.append(ImageObject(label: name, isCrowd: crowd, shape: .box(box)))
            }
        }
        return valid ? .objects(objects) : nil
    }

    /// A box in [0, 1] with positive width and height.
    private mutating func readBox(_ map: [String: SettingValue], field: String) -> NormalizedBox? {
        var corners: [Double] = []
        for key in ["topX", "topY", "bottomX", "bottomY"] {
            guard let value = map[key], !value.isNull else {
                problem(field + "." + key, "required: a number in [0, 1] (a fraction of the image's width or height)")
                continue
            }
            guard let number = value.coercedDouble, number >= -1e-6, number <= 1 + 1e-6 else {
                problem(field + "." + key, "must be a number in [0, 1] (a fraction of the image's width or height), got \(value)")
                continue
            }
            corners.append(min(1, max(0, number)))
        }
        guard corners.count == 4 else { return nil }
        guard corners[2] > corners[0], corners[3] > corners[1] else {
            problem(field, "bottomX and bottomY must be greater than topX and topY: the box (\(corners.map { SettingsText.number($0) }.joined(separator: ", "))) has no area")
            return nil
        }
        return NormalizedBox(topX: corners[0], topY: corners[1], bottomX: corners[2], bottomY: corners[3])
    }

    /// Polygon parts: each at least 3 points (x, y pairs in [0, 1]) enclosing an area.
    private mutating func readPolygon(_ value: SettingValue?, field: String) -> [[Double]]? {
        guard let value, case let .list(parts) = value, !parts.isEmpty else {
            problem(field, "required: a list of polygons [[x1, y1, x2, y2, x3, y3, ...], ...] (fractions of the image)")
            return nil
        }
        // Azure also writes a single part without the outer list: [x1, y1, x2, y2, ...].
        let lists: [SettingValue] = parts.allSatisfy({ $0.coercedDouble != nil }) ? [.list(parts)] : parts
        var result: [[Double]] = []
        for (index, part) in lists.enumerated() {
            guard case let .list(values) = part else {
                problem("\(field)[\(index)]", "expected a list of numbers x1, y1, x2, y2, ...")
                return nil
            }
            let numbers = values.compactMap(\.coercedDouble)
            guard numbers.count == values.count, numbers.count % 2 == 0 else {
                problem("\(field)[\(index)]", "expected x, y pairs of numbers; got \(values.count) values")
                return nil
            }
            guard numbers.count >= 6 else {
                problem("\(field)[\(index)]", "has \(numbers.count / 2) point(s); a polygon needs at least 3")
                return nil
            }
            guard numbers.allSatisfy({ $0 >= -1e-6 && $0 <= 1 + 1e-6 }) else {
                problem("\(field)[\(index)]", "coordinates must be in [0, 1] (fractions of the image's width and height)")
                return nil
            }
            let clipped = numbers.map { min(1, max(0, $0)) }
            var area = 0.0
            for i in stride(from: 0, to: clipped.count, by: 2) {
                let j = (i + 2) % clipped.count
                area += clipped[i] * clipped[j + 1] - clipped[j] * clipped[i + 1]
            }
            guard abs(area) / 2 > 1e-9 else {
                problem("\(field)[\(index)]", "encloses no area (its points are on one line)")
                return nil
            }
            result.append(clipped)
        }
        return result
    }

    private mutating func readDetails(_ value: SettingValue?) -> ImageDetails? {
        guard let value, !value.isNull else { return nil }
        guard case let .map(entries) = value else {
            problem("image_details", "expected an object like {\"format\": \"jpg\", \"width\": \"400px\"}, got \(value.kindDescription)")
            return nil
        }
        var details = ImageDetails()
        if let format = entries["format"], !format.isNull {
            if let text = format.stringValue { details.format = text } else {
                problem("image_details.format", "expected a string like \"jpg\", got \(format.kindDescription)")
            }
        }
        details.width = readSize(entries["width"], field: "image_details.width")
        details.height = readSize(entries["height"], field: "image_details.height")
        return details
    }

    /// `400`, `"400"` or `"400px"`.
    private mutating func readSize(_ value: SettingValue?, field: String) -> Int? {
        guard let value, !value.isNull else { return nil }
        var size = value.coercedInt
        if size == nil, let text = value.stringValue?.trimmingCharacters(in: .whitespaces).lowercased(), text.hasSuffix("px") {
            size = Int(text.dropLast(2).trimmingCharacters(in: .whitespaces))
        }
        guard let size, size > 0 else {
            problem(field, "expected a positive size in pixels like 400 or \"400px\", got \(value)")
            return nil
        }
        return size
    }

    /// A class name: a string, or a number read as its text (`3` is the class "3").
    private static func className(_ value: SettingValue) -> String? {
        switch value {
        case let .string(text): text.trimmingCharacters(in: .whitespaces)
        case let .int(number): String(number)
        case let .double(number): number.description
        default: nil
        }
    }

    /// Why `data` is not JSON, as Foundation's parser words it ("Invalid value around character 8."):
    /// `JSONDecoder` only says that it is not.
    private static func reason(_ data: Data) -> String {
        do {
            _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
            return ""
        } catch {
            let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String
            return detail.map { ": \($0)" } ?? ""
        }
    }
}
