import Foundation

/// Validates one JSONL line, collecting its problems.
struct JSONLLineReader {
    let file: String
    let line: Int
    let task: ImageTask
    var problems: [DatasetProblem] = []

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
            let expected = task == .imageClassification ? "a class name" : "a list of class names (may be empty)"
            problem("label", "required: \(expected) for \(task)")
            return nil
        }
        if task == .imageClassification {
            guard let name = JSONLLineReader.className(value) else {
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
            problem("label", "expected a list of strings for \(task), got \(value.kindDescription)")
            return nil
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
