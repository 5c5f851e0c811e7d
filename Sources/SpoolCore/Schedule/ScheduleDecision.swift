import Foundation

/// What a schedule should do now, from its last fired slot and the clock (pure: the clock is an argument).
///
/// Catch-up follows Kubernetes CronJob and systemd's `Persistent=`: after downtime, the missed slots run
/// once (the latest of them), not once per slot; a slot older than `starting_deadline_seconds` is skipped.
public enum ScheduleDecision: Sendable, Equatable {
    /// Nothing due; the next slot (nil when the expression never fires again).
    case idle(next: Date?)
    /// Fire for `slot`; `skipped` earlier slots were missed and are folded into this firing.
    case fire(slot: Date, skipped: Int)
    /// The latest due slot is past its starting deadline: record it as missed, do not fire.
    case missed(slot: Date, skipped: Int)

    /// - Parameters:
    ///   - lastSlot: the slot of the last firing (or skip); nil before the first.
    ///   - since: when the schedule was first seen: slots before it never fire.
    public static func decide(_ schedule: ScheduleDefinition, lastSlot: Date?, since: Date, now: Date) -> ScheduleDecision {
        var cursor = lastSlot ?? since
        var latest: Date?
        var due = 0
        // Bounded: a schedule every minute over a year of downtime is ~525,000 slots.
        for _ in 0..<1_000_000 {
            guard let next = schedule.cron.next(after: cursor, in: schedule.timeZone), next <= now else { break }
            latest = next
            due += 1
            cursor = next
        }
        guard let latest else { return .idle(next: schedule.cron.next(after: cursor, in: schedule.timeZone)) }
        if let deadline = schedule.startingDeadlineSeconds, now.timeIntervalSince(latest) > TimeInterval(deadline) {
            return .missed(slot: latest, skipped: due - 1)
        }
        return .fire(slot: latest, skipped: due - 1)
    }

    /// The key of a firing (`NAME@2026-11-29T02:00:00Z`): a job is queued once per key, so a double firing
    /// trains once.
    public static func key(name: String, slot: Date) -> String {
        "\(name)@\(ISO8601DateFormatter().string(from: slot))"
    }
}
