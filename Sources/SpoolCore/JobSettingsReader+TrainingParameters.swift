extension JobSettingsReader {
    /// `training_parameters` (a mapping, or the v1 arguments list), v1 `arguments`, and the top-level
    /// `validation_data_size` of Azure's v2 YAML, as entries with their lines.
    mutating func readParameterEntries(_ root: [String: SettingValue]) -> [ParameterEntry] {
        var entries: [ParameterEntry] = []
        if let size = root["validation_data_size"], !size.isNull {
            entries.append(ParameterEntry(
                name: "validation_data_size", value: size, keyPath: "validation_data_size",
                location: document.location("validation_data_size")))
        }
        switch root["training_parameters"] {
        case nil, .null?:
            break
        case let .map(values)?:
            for name in values.keys.sorted() {
                let keyPath = "training_parameters.\(name)"
                entries.append(ParameterEntry(
                    name: name, value: values[name]!, keyPath: keyPath, location: document.location(keyPath)))
            }
        case let .list(items)?:
            entries += readArguments(items, key: "training_parameters")
        case let other?:
            report("training_parameters", other, "must be a mapping of parameter names to values")
        }
        switch root["arguments"] {
        case nil, .null?:
            break
        case let .list(items)?:
            entries += readArguments(items, key: "arguments")
        case let other?:
            report("arguments", other, #"must be a list of names and values: ["--early_stopping", 1, ...]"#)
        }
        return entries
    }

    /// The v1 form `["--early_stopping", 1, "--evaluation_frequency", 2]` (also `"--name=value"`).
    mutating func readArguments(_ items: [SettingValue], key: String) -> [ParameterEntry] {
        var entries: [ParameterEntry] = []
        var index = 0
        while index < items.count {
            let itemPath = "\(key)[\(index)]"
            guard let text = items[index].stringValue, text.hasPrefix("--"), text.count > 2 else {
                report(itemPath, items[index], #"expected a parameter name like "--learning_rate" before each value"#)
                index += 1
                continue
            }
            let body = String(text.dropFirst(2))
            let location = document.location(itemPath)
            if let equals = body.firstIndex(of: "=") {
                let name = String(body[..<equals])
                let value = SettingValue.string(String(body[body.index(after: equals)...]))
                entries.append(ParameterEntry(name: name, value: value, keyPath: "\(key).\(name)", location: location))
                index += 1
                continue
            }
            let next: SettingValue? = index + 1 < items.count ? items[index + 1] : nil
            if let next, !(next.stringValue?.hasPrefix("--") ?? false) {
                entries.append(ParameterEntry(name: body, value: next, keyPath: "\(key).\(body)", location: location))
                index += 2
            } else {
                report(itemPath, items[index], "needs a value after it")
                index += 1
            }
        }
        return entries
    }
}
