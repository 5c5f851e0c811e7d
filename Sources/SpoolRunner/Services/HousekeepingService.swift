import Logging
import ServiceLifecycle

/// Retention after each finished job (`serve --retain-days/--retain-per-name`); the daemon applies it once
/// at start, before the group runs.
///
/// The scheduler reports each finished job on `finished` and ends the stream when it stops; this service
/// drains what is left, then returns at its own graceful shutdown (it is the first service started and the
/// last stopped).
struct HousekeepingService: Service {
    let finished: AsyncStream<String>
    let retention: @Sendable () -> Void

    func run() async throws {
        for await _ in finished {
            retention()
        }
        // Returning before the group asks would read as a failure to ServiceGroup.
        try? await gracefulShutdown()
    }
}
