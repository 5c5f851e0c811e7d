extension DropWatcher {
    /// How often the watcher looks at the folder, and how long a file found by a scan must stay unchanged.
    public struct Configuration: Sendable, Hashable {
        /// The longest time between two scans while inotify works. Events are hints that can be lost
        /// (queue overflow, network filesystems): Postfix's pickup rescans its maildrop every 60 s too.
        public var rescanInterval: Duration
        /// How long a file or directory found by a scan must stay unchanged (inode, size, mtime; for a
        /// directory, everything inside) before it counts as complete. See `DropLedger`.
        public var settleInterval: Duration
        /// The time between scans when inotify is unavailable.
        public var pollInterval: Duration
        /// How long a file that was written to and never closed (as inotify saw it) keeps counting as open.
        public var writeHintTimeout: Duration
        /// Names that are never drops.
        public var rules: DropRules

        public init(rescanInterval: Duration = .seconds(60), settleInterval: Duration = .seconds(2),
                    pollInterval: Duration = .seconds(5), writeHintTimeout: Duration = .seconds(600),
                    rules: DropRules = DropRules()) {
            // Each interval is at least a millisecond: a zero settle would take a file on first sight, and a
            // zero period would scan in a loop.
            let floor = Duration.milliseconds(1)
            self.rescanInterval = max(rescanInterval, floor)
            self.settleInterval = max(settleInterval, floor)
            self.pollInterval = max(pollInterval, floor)
            self.writeHintTimeout = max(writeHintTimeout, floor)
            self.rules = rules
        }
    }

    /// How the watcher learns of changes.
    public enum Mode: Sendable, Hashable, CustomStringConvertible {
        /// `run()` has not started watching yet.
        case idle
        /// inotify events, plus a scan at least every `rescanInterval`.
        case inotify
        /// A scan every `pollInterval`, because inotify is unavailable (the reason says why).
        case polling(reason: String)

        public var description: String {
            switch self {
            case .idle: "idle"
            case .inotify: "inotify"
            case let .polling(reason): "polling (\(reason))"
            }
        }
    }
}
