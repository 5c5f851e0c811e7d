import Foundation

extension Distribution {
    /// The keys each distribution takes in the mapping form (Azure v2: `{type: uniform, min_value: 0, max_value: 1}`).
    static let parameterKeys: [String: [String]] = [
        "choice": ["values"], "randint": ["upper"],
        "uniform": ["min_value", "max_value"], "loguniform": ["min_value", "max_value"],
        "quniform": ["min_value", "max_value", "q"], "qloguniform": ["min_value", "max_value", "q"],
        "normal": ["mu", "sigma"], "lognormal": ["mu", "sigma"],
        "qnormal": ["mu", "sigma", "q"], "qlognormal": ["mu", "sigma", "q"],
    ]

    /// Reads a distribution written either way: a mapping with `type:` or the string form.
    /// - Throws: a message saying what is wrong and what is allowed.
    public static func parse(_ value: SettingValue) throws(DistributionError) -> Distribution {
        switch value {
        case let .map(entries): return try parse(mapping: entries)
        case let .string(text): return try parse(text: text)
        default:
            throw DistributionError(
                #"must be a distribution: {type: choice, values: [...]}, {type: uniform, min_value: ..., max_value: ...} or a string such as "uniform(0.001, 0.01)""#)
        }
    }

    /// The mapping form.
    public static func parse(mapping entries: [String: SettingValue]) throws(DistributionError) -> Distribution {
        guard let type = entries["type"]?.stringValue?.lowercased() else {
            throw DistributionError("needs type: one of \(names.joined(separator: ", "))")
        }
        guard let keys = parameterKeys[type] else {
            throw DistributionError("type \(type) is not a distribution; allowed: \(names.joined(separator: ", "))"
                + Suggestion.phrase(for: type, among: names))
        }
        for key in entries.keys.sorted() where key != "type" && !keys.contains(key) {
            throw DistributionError("\(type) takes \(keys.joined(separator: ", ")), not \(key)")
        }
        if type == "choice" {
            guard let values = entries["values"] else { throw DistributionError("choice needs values: a non-empty list") }
            return try make(type, choices: values.listValue ?? [values])
        }
        var numbers: [Double] = []
        for key in keys {
            guard let given = entries[key] else { throw DistributionError("\(type) needs \(keys.joined(separator: ", ")); \(key) is missing") }
            guard let number = given.coercedDouble, number.isFinite else {
                throw DistributionError("\(type): \(key) must be a number, found \(given)")
            }
            numbers.append(number)
        }
        return try make(type, numbers: numbers)
    }

    /// The string form: `choice('sgd', 'adam')`, `uniform(0.001, 0.01)`, `randint(10)`.
    public static func parse(text: String) throws(DistributionError) -> Distribution {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let open = trimmed.firstIndex(of: "("), trimmed.hasSuffix(")") else {
            throw DistributionError(#"a distribution as text looks like "uniform(0.001, 0.01)" or "choice('sgd', 'adam')""#)
        }
        let type = trimmed[..<open].trimmingCharacters(in: .whitespaces).lowercased()
        guard let keys = parameterKeys[type] else {
            throw DistributionError("\(type) is not a distribution; allowed: \(names.joined(separator: ", "))"
                + Suggestion.phrase(for: type, among: names))
        }
        let inner = trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)]
        let arguments = try splitArguments(String(inner))
        if type == "choice" {
            var values = arguments.map(literal)
            // choice([1, 2, 3]) and choice(range(1, 4)) are common in Azure's examples.
            if values.count == 1, case let .list(items) = values[0] { values = items }
            if arguments.count == 1, let range = try rangeValues(arguments[0]) { values = range }
            return try make(type, choices: values)
        }
        guard arguments.count == keys.count else {
            throw DistributionError("\(type) takes \(keys.count) number\(keys.count == 1 ? "" : "s") (\(keys.joined(separator: ", "))), found \(arguments.count)")
        }
        var numbers: [Double] = []
        for (argument, key) in zip(arguments, keys) {
            guard let number = literal(argument).coercedDouble, number.isFinite else {
                throw DistributionError("\(type): \(key) must be a number, found \(argument)")
            }
            numbers.append(number)
        }
        return try make(type, numbers: numbers)
    }

    private static func make(_ type: String, choices: [SettingValue]) throws(DistributionError) -> Distribution {
        guard !choices.isEmpty else { throw DistributionError("choice needs at least one value; it is empty") }
        var seen = Set<SettingValue>()
        for value in choices {
            if case .map = value { throw DistributionError("choice values must be numbers, strings or bools, not mappings") }
            guard seen.insert(value).inserted else { throw DistributionError("choice lists \(value) twice") }
        }
        return .choice(choices)
    }

    private static func make(_ type: String, numbers n: [Double]) throws(DistributionError) -> Distribution {
        switch type {
        case "randint":
            guard n[0] == n[0].rounded(), n[0] >= 1, n[0] < 1e9 else {
                throw DistributionError("randint: upper must be a whole number >= 1 (values are 0..upper-1), found \(n[0])")
            }
            return .randint(upper: Int(n[0]))
        case "uniform", "quniform", "loguniform", "qloguniform":
            guard n[0] < n[1] else {
                throw DistributionError("\(type): min_value (\(n[0])) must be below max_value (\(n[1]))")
            }
            if type.hasPrefix("q") {
                guard n[2] > 0 else { throw DistributionError("\(type): q must be > 0, found \(n[2])") }
            }
            if type.hasSuffix("loguniform"), n[1] > 50 {
                throw DistributionError("\(type): the bounds are natural logarithms (Azure's convention), so max_value \(n[1]) means exp(\(n[1])); for 0.0001..0.01 write loguniform(-9.21, -4.61)")
            }
            switch type {
            case "uniform": return .uniform(min: n[0], max: n[1])
            case "quniform": return .quniform(min: n[0], max: n[1], q: n[2])
            case "loguniform": return .loguniform(min: n[0], max: n[1])
            default: return .qloguniform(min: n[0], max: n[1], q: n[2])
            }
        default:
            guard n[1] > 0 else { throw DistributionError("\(type): sigma must be > 0, found \(n[1])") }
            if type.hasPrefix("q") {
                guard n[2] > 0 else { throw DistributionError("\(type): q must be > 0, found \(n[2])") }
            }
            switch type {
            case "normal": return .normal(mu: n[0], sigma: n[1])
            case "qnormal": return .qnormal(mu: n[0], sigma: n[1], q: n[2])
            case "lognormal": return .lognormal(mu: n[0], sigma: n[1])
            default: return .qlognormal(mu: n[0], sigma: n[1], q: n[2])
            }
        }
    }

    /// Splits `a, 'b, c', [1, 2]` at top-level commas.
    static func splitArguments(_ text: String) throws(DistributionError) -> [String] {
        var parts: [String] = []
        var current = ""
        var quote: Character?
        var depth = 0
        for character in text {
            if let q = quote {
                current.append(character)
                if character == q { quote = nil }
                continue
            }
            switch character {
            case "'", "\"": quote = character; current.append(character)
            case "(", "[": depth += 1; current.append(character)
            case ")", "]": depth -= 1; current.append(character)
            case "," where depth == 0:
                parts.append(current.trimmingCharacters(in: .whitespaces))
                current = ""
            default: current.append(character)
            }
        }
        guard quote == nil, depth == 0 else { throw DistributionError("unbalanced quotes or brackets in \(text)") }
        let last = current.trimmingCharacters(in: .whitespaces)
        if !last.isEmpty || !parts.isEmpty { parts.append(last) }
        if parts.contains(where: \.isEmpty) { throw DistributionError("an empty argument in (\(text))") }
        return parts
    }

    /// One literal: a quoted string, a number, a bool, a `[list]`; anything else is kept as a bare string.
    static func literal(_ text: String) -> SettingValue {
        if text.count >= 2, let first = text.first, first == "'" || first == "\"", text.last == first {
            return .string(String(text.dropFirst().dropLast()))
        }
        if text.hasPrefix("["), text.hasSuffix("]") {
            let inner = String(text.dropFirst().dropLast())
            return .list(((try? splitArguments(inner)) ?? []).map(literal))
        }
        if let int = Int(text) { return .int(int) }
        if let double = Double(text) { return .double(double) }
        switch text.lowercased() {
        case "true": return .bool(true)
        case "false": return .bool(false)
        default: return .string(text)
        }
    }

    /// `range(a, b)` / `range(b)` as Python gives it, for `choice(range(1, 4))`.
    static func rangeValues(_ text: String) throws(DistributionError) -> [SettingValue]? {
        guard text.hasPrefix("range("), text.hasSuffix(")") else { return nil }
        let bounds = try splitArguments(String(text.dropFirst(6).dropLast())).compactMap { Int($0) }
        switch bounds.count {
        case 1 where bounds[0] > 0: return (0..<bounds[0]).map { .int($0) }
        case 2 where bounds[0] < bounds[1]: return (bounds[0]..<bounds[1]).map { .int($0) }
        case 3 where bounds[2] > 0 && bounds[0] < bounds[1]:
            return stride(from: bounds[0], to: bounds[1], by: bounds[2]).map { .int($0) }
        default: throw DistributionError("range(...) needs whole numbers start < stop (and step > 0): \(text)")
        }
    }
}

/// What is wrong with one distribution, in words (the caller adds the key and line).
public struct DistributionError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
