/// Which names in `incoming/` can never be drops: names that producers use while a drop is unfinished.
///
/// A download or copy in progress usually lives under a temporary name and is renamed to its final name
/// when it is complete (rsync writes `.name.XXXXXX`, browsers `*.crdownload`, movers `*.part` or
/// `*.partial`), so such names are skipped whatever their state. Everything else that is a regular file
/// or a directory is a candidate; whether it is a valid bundle is for the caller to decide.
public struct DropRules: Sendable, Hashable {
    /// Name endings that mark work in progress, compared case-insensitively. Each begins with a dot.
    public var ignoredSuffixes: [String]

    public init(ignoredSuffixes: [String] = [".part", ".tmp", ".partial", ".crdownload"]) {
        self.ignoredSuffixes = ignoredSuffixes.map { $0.lowercased() }
    }

    /// True for dotfiles (which includes `.` and `..`), the empty name, and names ending in an ignored suffix.
    public func ignores(_ name: String) -> Bool {
        if name.isEmpty || name.hasPrefix(".") { return true }
        let lowered = name.lowercased()
        return ignoredSuffixes.contains { lowered.hasSuffix($0) }
    }
}
