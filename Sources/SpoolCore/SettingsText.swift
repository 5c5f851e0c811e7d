/// Small text helpers shared by the settings readers.
enum SettingsText {
    /// `1.0` as `1`, `0.5` as `0.5`: bounds read as a user writes them.
    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : value.description
    }

    /// Lower-case without underscores, dashes or blanks, to compare enum spellings.
    static func folded(_ text: String) -> String {
        text.lowercased().filter { $0 != "_" && $0 != "-" && $0 != " " }
    }
}
