/// A doorbell: any number of rings between two waits are one wake-up (drops taken, a job finished, a tick).
///
/// Replaces the daemon's condition variable: the scheduler awaits the next ring instead of blocking a thread.
struct Wakeups: Sendable {
    let rings: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    init() {
        (rings, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    func ring() { continuation.yield() }

    /// Ends the rings: a waiting loop sees the end.
    func finish() { continuation.finish() }
}
