import Foundation

/// Lenient readings: what a user obviously meant, as Azure accepts it (numbers given as strings,
/// bools given as 0/1 or "true"). Each returns nil when the value cannot mean that kind.
extension SettingValue {
    /// An integer: `5`, `5.0`, `"5"`. Not a bool, not `5.5`.
    public var coercedInt: Int? {
        switch self {
        case let .int(number): return number
        case let .double(number): return SettingValue.exactInt(number)
        case let .string(text):
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            if let number = Int(trimmed) { return number }
            return Double(trimmed).flatMap(SettingValue.exactInt)
        default: return nil
        }
    }

    /// A finite number: `0.01`, `1`, `"1e-4"`. Not a bool, not NaN or infinity.
    public var coercedDouble: Double? {
        let number: Double? = switch self {
        case let .int(value): Double(value)
        case let .double(value): value
        case let .string(text): Double(text.trimmingCharacters(in: .whitespaces))
        default: nil
        }
        guard let number, number.isFinite else { return nil }
        return number
    }

    /// A flag: `true`/`false`, `1`/`0`, and those as strings (also yes/no/on/off, any case).
    public var coercedBool: Bool? {
        switch self {
        case let .bool(flag): return flag
        case let .int(number) where number == 0 || number == 1: return number == 1
        case let .double(number) where number == 0 || number == 1: return number == 1
        case let .string(text):
            switch text.trimmingCharacters(in: .whitespaces).lowercased() {
            case "true", "1", "yes", "on": return true
            case "false", "0", "no", "off": return false
            default: return nil
            }
        default: return nil
        }
    }

    /// A non-empty text; integers are read as their digits (a job id given as a number).
    public var coercedString: String? {
        switch self {
        case let .string(text):
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            return trimmed.isEmpty ? nil : trimmed
        case let .int(number): return String(number)
        default: return nil
        }
    }

    private static func exactInt(_ number: Double) -> Int? {
        guard number.isFinite, number.rounded() == number, abs(number) < 9.0e15 else { return nil }
        return Int(number)
    }
}
