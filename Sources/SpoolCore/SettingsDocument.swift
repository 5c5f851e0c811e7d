import Foundation
import Yams

/// A settings file read into `SettingValue`s, with the line of every key kept for error messages.
///
/// YAML goes through `Yams.compose`, whose nodes carry their marks; JSON is read the same way (JSON is
/// YAML), falling back to Foundation's parser (without lines) for the rare JSON that libyaml refuses.
struct SettingsDocument {
    /// The whole file.
    var root: SettingValue
    /// Key path (`training_parameters.learning_rate`, `search_space[0].model_name`) -> 1-based line.
    var lines: [String: Int]
    /// The file as shown in messages.
    var file: String
    /// Problems of structure found while reading: duplicate keys, keys that are not strings.
    var problems: [SettingsProblem]

    func location(_ keyPath: String) -> SettingsLocation {
        SettingsLocation(file: file, line: lines[keyPath])
    }

    /// Reads `text`; a syntax error is thrown with its line.
    static func parse(_ text: String, file: String, json: Bool) throws(SettingsError) -> SettingsDocument {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            if json, let root = try? JSONDecoder().decode(SettingValue.self, from: Data(text.utf8)) {
                return SettingsDocument(root: root, lines: [:], file: file, problems: [])
            }
            throw SettingsError(problems: [syntaxProblem(error, file: file, json: json)])
        }
        guard let node else {
            throw SettingsError(problems: [SettingsProblem(
                key: "", value: nil, message: "the settings file is empty: it needs at least `task:`",
                location: SettingsLocation(file: file))])
        }
        var document = SettingsDocument(root: .null, lines: [:], file: file, problems: [])
        document.root = document.convert(node, path: "")
        return document
    }

    private mutating func convert(_ node: Node, path: String) -> SettingValue {
        switch node {
        case let .scalar(scalar):
            return SettingsDocument.scalarValue(node, scalar)
        case let .sequence(sequence):
            return .list(sequence.enumerated().map { index, element in
                let elementPath = "\(path)[\(index)]"
                if let line = element.mark?.line { lines[elementPath] = line }
                return convert(element, path: elementPath)
            })
        case let .mapping(mapping):
            var entries: [String: SettingValue] = [:]
            for (keyNode, valueNode) in mapping {
                let line = keyNode.mark?.line
                guard case .scalar = keyNode, let key = keyNode.string else {
                    problems.append(SettingsProblem(
                        key: path, value: nil, message: "keys must be plain names, not lists or mappings",
                        location: SettingsLocation(file: file, line: line)))
                    continue
                }
                let keyPath = path.isEmpty ? key : "\(path).\(key)"
                if entries[key] != nil {
                    let first = lines[keyPath].map { " (first at line \($0))" } ?? ""
                    problems.append(SettingsProblem(
                        key: keyPath, value: nil, message: "given twice\(first); keep one",
                        location: SettingsLocation(file: file, line: line)))
                    continue
                }
                if let line { lines[keyPath] = line }
                entries[key] = convert(valueNode, path: keyPath)
            }
            return .map(entries)
        }
    }

    /// A scalar by its resolved YAML tag: quoted text stays text, `0.01` a number, `true` a bool.
    private static func scalarValue(_ node: Node, _ scalar: Node.Scalar) -> SettingValue {
        switch Tag.Name(rawValue: node.tag.description) {
        case .null: return .null
        case .bool: return node.bool.map(SettingValue.bool) ?? .string(scalar.string)
        case .int: return node.int.map(SettingValue.int) ?? node.float.map(SettingValue.double) ?? .string(scalar.string)
        case .float: return node.float.map(SettingValue.double) ?? .string(scalar.string)
        default: return .string(scalar.string)
        }
    }

    private static func syntaxProblem(_ error: any Error, file: String, json: Bool) -> SettingsProblem {
        let kind = json ? "JSON" : "YAML"
        guard let yamlError = error as? YamlError else {
            return SettingsProblem(key: "", value: nil, message: "not valid \(kind): \(error)", location: SettingsLocation(file: file))
        }
        switch yamlError {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            let during = context.map { " (\($0.text) at line \($0.mark.line))" } ?? ""
            return SettingsProblem(
                key: "", value: nil, message: "not valid \(kind): \(problem)\(during)",
                location: SettingsLocation(file: file, line: mark.line))
        default:
            return SettingsProblem(
                key: "", value: nil, message: "not valid \(kind): \(yamlError)", location: SettingsLocation(file: file))
        }
    }
}
