import Foundation
import GRDB

/// Job ids: `j-YYYYMMDD-NNNN`, the UTC day the job was queued and its number within that day.
///
/// Short enough to type, and sortable: within a day the ids sort in queueing order. The number is
/// zero-padded to 4 digits; a 10,000th job in one day gets 5 digits and sorts out of place, which only
/// matters as the last tie-break between jobs queued in the same millisecond. Numbers come from the
/// `job_numbers` counter, so an id is never given out twice, even after its job was deleted.
enum JobID {
    /// Takes the next id for the day of `date`. Call inside the write transaction that inserts the job.
    static func next(at date: Date, in db: Database) throws -> String {
        let prefix = dayPrefix(date)
        let number = try Int.fetchOne(db, sql: """
            INSERT INTO job_numbers (day, last_number) VALUES (?, 1)
            ON CONFLICT (day) DO UPDATE SET last_number = last_number + 1
            RETURNING last_number
            """, arguments: [prefix]) ?? 1
        let digits = String(number)
        return prefix + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// `j-20261129-` for any time on 29 November 2026, UTC.
    static func dayPrefix(_ date: Date) -> String {
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        func padded(_ value: Int?, _ width: Int) -> String {
            let text = String(value ?? 0)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "j-" + padded(parts.year, 4) + padded(parts.month, 2) + padded(parts.day, 2) + "-"
    }

    private static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()
}
