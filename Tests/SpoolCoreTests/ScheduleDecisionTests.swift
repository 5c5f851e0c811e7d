import Foundation
import Testing
@testable import SpoolCore

@Suite struct ScheduleDecisionTests {
    static func at(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    static func daily(deadline: Int? = nil) throws -> ScheduleDefinition {
        ScheduleDefinition(name: "fridge", cron: try CronExpression("0 2 * * *"), source: .folder("/data/fridge"),
                           startingDeadlineSeconds: deadline)
    }

    @Test func nothingDueBeforeTheFirstSlot() throws {
        let decision = ScheduleDecision.decide(try Self.daily(), lastSlot: nil, since: Self.at("2026-11-29T03:00:00Z"),
                                               now: Self.at("2026-11-29T12:00:00Z"))
        #expect(decision == .idle(next: Self.at("2026-11-30T02:00:00Z")))
    }

    @Test func firesOnceAtItsSlotAndNotAgain() throws {
        let schedule = try Self.daily()
        let since = Self.at("2026-11-29T03:00:00Z")
        let now = Self.at("2026-11-30T02:00:30Z")
        #expect(ScheduleDecision.decide(schedule, lastSlot: nil, since: since, now: now) == .fire(slot: Self.at("2026-11-30T02:00:00Z"), skipped: 0))
        // After it fired, the same slot is not due again.
        #expect(ScheduleDecision.decide(schedule, lastSlot: Self.at("2026-11-30T02:00:00Z"), since: since, now: now)
            == .idle(next: Self.at("2026-12-01T02:00:00Z")))
    }

    /// Three days down: the missed slots run once, for the latest.
    @Test func catchUpAfterDowntimeRunsOnce() throws {
        let decision = ScheduleDecision.decide(try Self.daily(deadline: 6 * 3600), lastSlot: Self.at("2026-11-30T02:00:00Z"),
                                               since: Self.at("2026-11-29T00:00:00Z"), now: Self.at("2026-12-03T05:00:00Z"))
        #expect(decision == .fire(slot: Self.at("2026-12-03T02:00:00Z"), skipped: 2))
    }

    /// Back too late: the latest slot is beyond the deadline, so it is missed, not run.
    @Test func catchUpBeyondTheDeadlineIsMissed() throws {
        let schedule = try Self.daily(deadline: 3600)
        let decision = ScheduleDecision.decide(schedule, lastSlot: Self.at("2026-11-30T02:00:00Z"),
                                               since: Self.at("2026-11-29T00:00:00Z"), now: Self.at("2026-12-03T05:00:00Z"))
        #expect(decision == .missed(slot: Self.at("2026-12-03T02:00:00Z"), skipped: 2))
        // Once the miss is recorded, the next slot is awaited.
        #expect(ScheduleDecision.decide(schedule, lastSlot: Self.at("2026-12-03T02:00:00Z"), since: Self.at("2026-11-29T00:00:00Z"),
                                        now: Self.at("2026-12-03T05:00:00Z")) == .idle(next: Self.at("2026-12-04T02:00:00Z")))
    }

    @Test func theKeyOfAFiringNamesItsSlot() {
        #expect(ScheduleDecision.key(name: "fridge", slot: Self.at("2026-11-30T02:00:00Z")) == "fridge@2026-11-30T02:00:00Z")
    }
}

@Suite struct ScheduleDefinitionTests {
    @Test func readsEveryKey() throws {
        let schedule = try ScheduleDefinition.parse("""
            schedule: "30 1 * * MON-FRI"
            time_zone: America/New_York
            source: {bundle: fridge}
            concurrency_policy: replace
            starting_deadline_seconds: 600
            warm_start: false
            promote: always
            """, name: "fridge-nightly", file: "fridge-nightly.yaml")
        #expect(schedule.cron.daysOfWeek == [1, 2, 3, 4, 5])
        #expect(schedule.timeZone.identifier == "America/New_York")
        #expect(schedule.source == .bundle("fridge"))
        #expect(schedule.concurrencyPolicy == .replace)
        #expect(schedule.startingDeadlineSeconds == 600)
        #expect(!schedule.warmStart && schedule.promote == .always && !schedule.suspend)
        // What `schedule add` writes reads back the same.
        #expect(try ScheduleDefinition.parse(schedule.yaml, name: "fridge-nightly", file: "x.yaml") == schedule)
    }

    @Test func theShippedExampleIsValid() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("examples/schedules/shapes-nightly.yaml")
        let schedule = try ScheduleDefinition.parse(try String(contentsOf: url, encoding: .utf8), name: "shapes-nightly", file: url.lastPathComponent)
        #expect(schedule.source == .folder("/data/shapes") && schedule.startingDeadlineSeconds == 21600)
    }

    @Test func everyProblemWithItsLine() throws {
        do {
            _ = try ScheduleDefinition.parse("""
                schedule: "0 25 * * *"
                time_zone: Mars/Olympus
                source: {folder: relative/path}
                concurrency_policy: Sometimes
                colour: blue
                """, name: "x", file: "x.yaml")
            Issue.record("must be refused")
        } catch {
            #expect(error.problems.map(\.key) == ["schedule", "time_zone", "source.folder", "concurrency_policy", "colour"])
            #expect(error.problems.allSatisfy { $0.location?.line != nil })
            #expect(error.problems[0].message.contains("hour '25'"))
        }
    }
}
