/// The drop watcher's view of a clock: time since the watcher was made, and a sleep until such a time.
/// Built from any `Clock` so that tests can drive rescans with a manual one.
struct DropWatchClock: Sendable {
    let now: @Sendable () -> Duration
    let sleep: @Sendable (_ until: Duration) async throws -> Void

    init<C: Clock>(_ clock: C) where C.Duration == Duration {
        let origin = clock.now
        now = { origin.duration(to: clock.now) }
        sleep = { deadline in try await clock.sleep(until: origin.advanced(by: deadline), tolerance: nil) }
    }
}
