/// Reads training parameters one v1 name at a time, collecting a problem for every bad value instead of
/// stopping at the first, and remembering which names were read so that leftovers can be reported.
struct ParameterReader {
    private(set) var entries: [String: ParameterEntry]
    private(set) var read: Set<String> = []
    private(set) var problems: [SettingsProblem] = []

    init(entries: [String: ParameterEntry]) {
        self.entries = entries
    }

    /// The entry given for `name`, marked as read; nil when absent or null (null means "the default").
    mutating func entry(_ name: String) -> ParameterEntry? {
        read.insert(name)
        guard let entry = entries[name], !entry.value.isNull else { return nil }
        return entry
    }

    /// Reads the entry given for `name` as `other` (an alias whose meaning depends on the model).
    mutating func rename(_ name: String, to other: String) {
        guard let entry = entries.removeValue(forKey: name) else { return }
        entries[other] = entry
    }

    /// Whether a problem was already reported for `name`.
    func hasProblem(_ name: String) -> Bool {
        guard let keyPath = entries[name]?.keyPath else { return false }
        return problems.contains { $0.key == keyPath }
    }

    mutating func fail(_ entry: ParameterEntry, _ message: String) {
        problems.append(SettingsProblem(key: entry.keyPath, value: entry.value, message: message, location: entry.location))
    }

    /// An integer >= `min` (and <= `max`).
    mutating func int(_ name: String, min: Int, max: Int? = nil, message: String? = nil) -> Int? {
        guard let entry = entry(name) else { return nil }
        if let number = entry.value.coercedInt, number >= min, number <= (max ?? Int.max) {
            return number
        }
        let range = max.map { "in [\(min), \($0)]" } ?? (min == 0 ? ">= 0" : "> \(min - 1)")
        fail(entry, message ?? "must be an integer \(range)")
        return nil
    }

    /// A number in `range`; with `open`, both bounds are refused; with `lowerOpen`, the lower bound is.
    mutating func double(_ name: String, in range: ClosedRange<Double>, open: Bool = false, lowerOpen: Bool = false) -> Double? {
        guard let entry = entry(name) else { return nil }
        if let number = entry.value.coercedDouble, range.contains(number),
           !open || (number != range.lowerBound && number != range.upperBound),
           !lowerOpen || number != range.lowerBound {
            return number
        }
        let bounds = "\(SettingsText.number(range.lowerBound)), \(SettingsText.number(range.upperBound))"
        fail(entry, open ? "must be a number in (\(bounds)), bounds excluded"
            : lowerOpen ? "must be a number in (\(bounds)]" : "must be a number in [\(bounds)]")
        return nil
    }

    /// A flag: 0/1, true/false, and those as strings.
    mutating func bool(_ name: String) -> Bool? {
        guard let entry = entry(name) else { return nil }
        if let flag = entry.value.coercedBool { return flag }
        fail(entry, "must be 0 or 1 (true or false)")
        return nil
    }

    /// One of an enum's raw values, ignoring case and underscores (`WarmupCosine` is `warmup_cosine`).
    mutating func choice<Choice: CaseIterable & RawRepresentable<String>>(_ name: String, _: Choice.Type) -> Choice? {
        guard let entry = entry(name) else { return nil }
        let names = Choice.allCases.map(\.rawValue)
        if let text = entry.value.stringValue {
            let wanted = SettingsText.folded(text)
            if let match = Choice.allCases.first(where: { SettingsText.folded($0.rawValue) == wanted }) {
                return match
            }
            fail(entry, "must be one of \(names.joined(separator: ", "))" + Suggestion.phrase(for: text, among: names))
        } else {
            fail(entry, "must be one of \(names.joined(separator: ", "))")
        }
        return nil
    }

    /// A non-empty text (an integer is read as its digits).
    mutating func text(_ name: String, message: String) -> String? {
        guard let entry = entry(name) else { return nil }
        if let text = entry.value.coercedString { return text }
        fail(entry, message)
        return nil
    }

    /// The entries given but never read.
    var unread: [ParameterEntry] {
        entries.filter { !read.contains($0.key) }.map(\.value)
    }
}
