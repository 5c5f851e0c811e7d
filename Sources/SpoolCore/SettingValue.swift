import Foundation

/// One value of a settings file, a JSONL line or an override, before it is given a meaning.
///
/// YAML (through Yams) and JSON (through `Codable`) both decode into it; `TrainingParameters.resolve`
/// and `JobSettings` then read it leniently (numbers given as strings, bools given as 0/1).
public enum SettingValue: Sendable, Hashable {
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case list([SettingValue])
    case map([String: SettingValue])
    case null

    /// What kind of value this is, in words, for error messages ("a string", "a list").
    public var kindDescription: String {
        switch self {
        case .string: "a string"
        case .int: "an integer"
        case .double: "a number"
        case .bool: "a bool"
        case .list: "a list"
        case .map: "a mapping"
        case .null: "null"
        }
    }

    /// The string of a `.string`, else nil.
    public var stringValue: String? {
        if case let .string(text) = self { return text }
        return nil
    }

    /// The elements of a `.list`, else nil.
    public var listValue: [SettingValue]? {
        if case let .list(items) = self { return items }
        return nil
    }

    /// The entries of a `.map`, else nil.
    public var mapValue: [String: SettingValue]? {
        if case let .map(entries) = self { return entries }
        return nil
    }

    public var isNull: Bool { self == .null }
}

extension SettingValue: CustomStringConvertible {
    /// The value as a user wrote it: strings quoted, numbers and bools bare, lists and maps in flow style.
    public var description: String {
        switch self {
        case let .string(text): "\"\(text.replacingOccurrences(of: "\"", with: "\\\""))\""
        case let .int(number): String(number)
        case let .double(number): number.description
        case let .bool(flag): flag ? "true" : "false"
        case let .list(items): "[" + items.map(\.description).joined(separator: ", ") + "]"
        case let .map(entries):
            "{" + entries.keys.sorted().map { "\($0): \(entries[$0]!.description)" }.joined(separator: ", ") + "}"
        case .null: "null"
        }
    }
}

extension SettingValue: Codable {
    public init(from decoder: any Decoder) throws {
        if let container = try? decoder.container(keyedBy: AnyCodingKey.self) {
            var entries: [String: SettingValue] = [:]
            for key in container.allKeys {
                entries[key.stringValue] = try container.decode(SettingValue.self, forKey: key)
            }
            self = .map(entries)
            return
        }
        if var container = try? decoder.unkeyedContainer() {
            var items: [SettingValue] = []
            while !container.isAtEnd {
                items.append(try container.decode(SettingValue.self))
            }
            self = .list(items)
            return
        }
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let flag = try? container.decode(Bool.self) {
            self = .bool(flag)
        } else if let number = try? container.decode(Int.self) {
            self = .int(number)
        } else if let number = try? container.decode(Double.self) {
            self = .double(number)
        } else {
            self = .string(try container.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case let .map(entries):
            var container = encoder.container(keyedBy: AnyCodingKey.self)
            for key in entries.keys.sorted() {
                try container.encode(entries[key]!, forKey: AnyCodingKey(key))
            }
        case let .list(items):
            var container = encoder.unkeyedContainer()
            for item in items { try container.encode(item) }
        case let .string(text):
            var container = encoder.singleValueContainer()
            try container.encode(text)
        case let .int(number):
            var container = encoder.singleValueContainer()
            try container.encode(number)
        case let .double(number):
            var container = encoder.singleValueContainer()
            try container.encode(number)
        case let .bool(flag):
            var container = encoder.singleValueContainer()
            try container.encode(flag)
        case .null:
            var container = encoder.singleValueContainer()
            try container.encodeNil()
        }
    }
}

extension SettingValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: SettingValue...) { self = .list(elements) }
    public init(dictionaryLiteral elements: (String, SettingValue)...) {
        self = .map(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}

extension SettingValue {
    /// The value as Foundation's JSON types (`String`, `Int`, `Double`, `Bool`, arrays, dictionaries, `NSNull`),
    /// for `JSONSerialization`.
    public var foundationValue: Any {
        switch self {
        case let .string(text): text
        case let .int(number): number
        case let .double(number): number
        case let .bool(flag): flag
        case let .list(items): items.map(\.foundationValue)
        case let .map(entries): entries.mapValues(\.foundationValue)
        case .null: NSNull()
        }
    }
}
