import Foundation
import Testing
@testable import SpoolCore

@Suite struct CronExpressionTests {
    static let utc = TimeZone(identifier: "UTC")!
    static let newYork = TimeZone(identifier: "America/New_York")!
    static let berlin = TimeZone(identifier: "Europe/Berlin")!

    /// `2027-03-14T02:30:00Z` style, in UTC.
    static func at(_ text: String) -> Date {
        ISO8601DateFormatter().date(from: text)!
    }

    static func iso(_ date: Date?) -> String {
        date.map { ISO8601DateFormatter().string(from: $0) } ?? "nil"
    }

    /// The next `count` firings after `start`.
    static func firings(_ expression: String, after start: String, count: Int, in zone: TimeZone = utc) throws -> [String] {
        let cron = try CronExpression(expression)
        var result: [String] = []
        var date = at(start)
        for _ in 0..<count {
            guard let next = cron.next(after: date, in: zone) else { break }
            result.append(iso(next))
            date = next
        }
        return result
    }

    @Test func fieldsRangesStepsListsAndNames() throws {
        let cron = try CronExpression("*/15 9-17/4 1,15 JAN-MAR mon-fri")
        #expect(cron.minutes == [0, 15, 30, 45])
        #expect(cron.hours == [9, 13, 17])
        #expect(cron.daysOfMonth == [1, 15])
        #expect(cron.months == [1, 2, 3])
        #expect(cron.daysOfWeek == [1, 2, 3, 4, 5])
        #expect(try CronExpression("0 0 * * 7").daysOfWeek == [0])  // 7 is Sunday too
        #expect(try CronExpression("5/20 * * * *").minutes == [5, 25, 45])
        let weekly = try CronExpression("@weekly")
        #expect(weekly.minutes == [0] && weekly.hours == [0] && weekly.daysOfWeek == [0] && weekly.months.count == 12)
        #expect(try CronExpression("@daily").hours == [0])
    }

    @Test(arguments: [
        ("0 2 * *", "5 fields"),
        ("60 * * * *", "minute '60' is out of range"),
        ("* 24 * * *", "hour '24' is out of range"),
        ("* * 0 * *", "day of month '0'"),
        ("* * * FOO *", "month 'FOO'"),
        ("* * * * 8", "day of week '8'"),
        ("*/0 * * * *", "step must be a whole number >= 1"),
        ("5-1 * * * *", "runs backwards"),
        ("1,,2 * * * *", "empty list item"),
        ("@fortnightly", "unknown macro"),
    ])
    func mistakesSayWhichFieldAndWhatItTakes(expression: String, message: String) {
        do {
            _ = try CronExpression(expression)
            Issue.record("\(expression) must be refused")
        } catch {
            #expect(error.description.contains(message), "\(error)")
        }
    }

    @Test func everyKindOfNextRun() throws {
        #expect(try Self.firings("@hourly", after: "2026-11-29T09:59:59Z", count: 2) == ["2026-11-29T10:00:00Z", "2026-11-29T11:00:00Z"])
        #expect(try Self.firings("30 2 * * *", after: "2026-11-29T02:30:00Z", count: 1) == ["2026-11-30T02:30:00Z"])  // strictly after
        #expect(try Self.firings("0 0 * * MON", after: "2026-11-29T12:00:00Z", count: 2) == ["2026-11-30T00:00:00Z", "2026-12-07T00:00:00Z"])
        // Both day fields restricted: either matches (the 1st, and Fridays).
        #expect(try Self.firings("0 8 1 * FRI", after: "2026-11-29T00:00:00Z", count: 3)
            == ["2026-12-01T08:00:00Z", "2026-12-04T08:00:00Z", "2026-12-11T08:00:00Z"])
    }

    @Test func monthEndsAndLeapDays() throws {
        // The 31st exists in seven months only.
        #expect(try Self.firings("0 0 31 * *", after: "2027-01-31T00:00:00Z", count: 3)
            == ["2027-03-31T00:00:00Z", "2027-05-31T00:00:00Z", "2027-07-31T00:00:00Z"])
        #expect(try Self.firings("@monthly", after: "2027-01-31T12:00:00Z", count: 2) == ["2027-02-01T00:00:00Z", "2027-03-01T00:00:00Z"])
        // 29 February: the next leap years.
        #expect(try Self.firings("0 6 29 2 *", after: "2026-11-29T00:00:00Z", count: 2) == ["2028-02-29T06:00:00Z", "2032-02-29T06:00:00Z"])
        // 30 February never comes.
        #expect(try CronExpression("0 0 30 2 *").next(after: Self.at("2026-01-01T00:00:00Z"), in: Self.utc) == nil)
    }

    @Test func aTimeZoneMovesTheWallClock() throws {
        // 02:00 in Berlin is 01:00 UTC in winter, 00:00 UTC in summer.
        #expect(try Self.firings("0 2 * * *", after: "2026-11-29T12:00:00Z", count: 1, in: Self.berlin) == ["2026-11-30T01:00:00Z"])
        #expect(try Self.firings("0 2 * * *", after: "2027-06-01T12:00:00Z", count: 1, in: Self.berlin) == ["2027-06-02T00:00:00Z"])
    }

    /// New York, 14 March 2027: at 02:00 EST the clock jumps to 03:00 EDT; 02:30 does not exist that day.
    @Test func springForwardFiresOnceAtTheEndOfTheGap() throws {
        #expect(try Self.firings("30 2 * * *", after: "2027-03-13T12:00:00Z", count: 3, in: Self.newYork)
            == ["2027-03-14T07:00:00Z",   // 03:00 EDT, when the skipped 02:30 would have been
                "2027-03-15T06:30:00Z",   // 02:30 EDT
                "2027-03-16T06:30:00Z"])
        // Every half hour across the gap: 01:30 EST, then the gap's two slots fire once at 03:00 EDT, then 03:30.
        #expect(try Self.firings("0,30 * * * *", after: "2027-03-14T06:15:00Z", count: 3, in: Self.newYork)
            == ["2027-03-14T06:30:00Z", "2027-03-14T07:00:00Z", "2027-03-14T07:30:00Z"])
    }

    /// New York, 7 November 2027: at 02:00 EDT the clock goes back to 01:00 EST; 01:30 happens twice.
    @Test func fallBackFiresTheRepeatedHourOnce() throws {
        #expect(try Self.firings("30 1 * * *", after: "2027-11-06T12:00:00Z", count: 2, in: Self.newYork)
            == ["2027-11-07T05:30:00Z",   // 01:30 EDT, the first 01:30
                "2027-11-08T06:30:00Z"])  // the next day, 01:30 EST; not the second 01:30 of the 7th
        // Hourly through the change: the local hours 00, 01, 02 ... each once, one UTC hour apart except
        // the repeated 01:00 (fired at its first occurrence only).
        #expect(try Self.firings("0 * * * *", after: "2027-11-07T03:30:00Z", count: 3, in: Self.newYork)
            == ["2027-11-07T04:00:00Z", "2027-11-07T05:00:00Z", "2027-11-07T07:00:00Z"])
    }
}
