/// What a watch source tells the drop watcher.
enum DropWatchSignal: Sendable, Hashable {
    case event(InotifyEvent)
    /// The source stopped on its own (the folder's watch was removed, or reading failed), with why.
    /// The watcher polls from then on.
    case lost(String)
}

/// Where the drop watcher's hints come from: `InotifySource` in production, a double in tests.
///
/// A source calls its sink from any thread; `stop()` asks it to end and may be called more than once;
/// `waitUntilStopped()` returns once it has released everything it held.
protocol DropWatchSource: AnyObject, Sendable {
    func stop()
    func waitUntilStopped() async
}

/// Opens a source on a folder, or throws why it cannot (the watcher then polls).
typealias DropWatchSourceFactory = @Sendable (
    _ directory: String, _ sink: @escaping @Sendable (DropWatchSignal) -> Void
) throws -> any DropWatchSource
