import Foundation

/// Hands signals from a watch source's thread to the drop watcher in batches.
///
/// The source posts each signal as it comes; the watcher wakes on `ticks` and takes everything posted since,
/// so a burst of events is handled as one batch followed by one scan. If the watcher falls this far behind,
/// the pending signals are replaced by one `overflow`, as the kernel does with its own queue: the scan that
/// follows finds everything anyway.
final class DropEventInbox: @unchecked Sendable {
    static let capacity = 16_384

    let ticks: AsyncStream<Void>
    private let tick: AsyncStream<Void>.Continuation
    private let lock = NSLock()
    private var pending: [DropWatchSignal] = []

    init() {
        (ticks, tick) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    func post(_ signal: DropWatchSignal) {
        lock.withLock {
            if pending.count >= Self.capacity {
                let lost = pending.first { if case .lost = $0 { true } else { false } }
                pending = [.event(InotifyEvent(kind: .overflow, name: ""))] + (lost.map { [$0] } ?? [])
            }
            pending.append(signal)
        }
        tick.yield()
    }

    func take() -> [DropWatchSignal] {
        lock.withLock {
            defer { pending = [] }
            return pending
        }
    }

    /// Ends `ticks`.
    func finish() {
        tick.finish()
    }
}
