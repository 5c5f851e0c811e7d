import Foundation

/// A five-field cron expression (minute, hour, day of month, month, day of week), as Vixie cron and
/// Kubernetes CronJob read it: `*`, numbers, ranges `a-b`, steps `*/n` and `a-b/n`, lists `a,b`, month and
/// day names (`JAN`, `MON`), 7 as Sunday, and the macros `@hourly`, `@daily` (`@midnight`), `@weekly`,
/// `@monthly`, `@yearly` (`@annually`).
///
/// When both day fields are restricted, a day matches if either does (cron's rule: `0 0 1 * MON` is the
/// first of the month and every Monday).
public struct CronExpression: Sendable, Hashable, CustomStringConvertible {
    public let minutes: Set<Int>
    public let hours: Set<Int>
    public let daysOfMonth: Set<Int>
    public let months: Set<Int>
    /// 0 = Sunday ... 6 = Saturday.
    public let daysOfWeek: Set<Int>
    let domRestricted: Bool
    let dowRestricted: Bool
    /// The expression as written.
    public let description: String

    static let macros = [
        "@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@weekly": "0 0 * * 0",
        "@monthly": "0 0 1 * *", "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *",
    ]
    static let monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    static let dayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]

    /// - Throws: `CronError` naming the field and what it allows.
    public init(_ text: String) throws(CronError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        description = trimmed
        var expanded = trimmed
        if trimmed.hasPrefix("@") {
            guard let macro = Self.macros[trimmed.lowercased()] else {
                throw CronError("\(trimmed): unknown macro; use one of \(Self.macros.keys.sorted().joined(separator: ", "))")
            }
            expanded = macro
        }
        let fields = expanded.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw CronError("'\(trimmed)': a cron expression has 5 fields (minute hour day-of-month month day-of-week), found \(fields.count); e.g. \"0 2 * * *\" is 02:00 every day")
        }
        minutes = try Self.field(fields[0], name: "minute", range: 0...59, names: [])
        hours = try Self.field(fields[1], name: "hour", range: 0...23, names: [])
        daysOfMonth = try Self.field(fields[2], name: "day of month", range: 1...31, names: [])
        months = try Self.field(fields[3], name: "month", range: 1...12, names: Self.monthNames, nameBase: 1)
        let dow = try Self.field(fields[4], name: "day of week", range: 0...7, names: Self.dayNames)
        daysOfWeek = Set(dow.map { $0 == 7 ? 0 : $0 })
        domRestricted = !fields[2].hasPrefix("*")
        dowRestricted = !fields[4].hasPrefix("*")
    }

    static func field(_ text: String, name: String, range: ClosedRange<Int>, names: [String], nameBase: Int = 0)
        throws(CronError) -> Set<Int>
    {
        let allowed = "\(name) takes \(range.lowerBound)-\(range.upperBound)"
            + (names.isEmpty ? "" : " or \(names.first!)-\(names.last!)") + ", *, ranges a-b, steps */n and lists a,b"
        func value(_ token: String) throws(CronError) -> Int {
            if let number = Int(token), range.contains(number) { return number }
            if let index = names.firstIndex(of: token.uppercased()) { return index + nameBase }
            throw CronError("\(name) '\(token)' is out of range: \(allowed)")
        }
        var result = Set<Int>()
        for part in text.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            guard !part.isEmpty else { throw CronError("\(name) '\(text)': an empty list item; \(allowed)") }
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard pieces.count <= 2 else { throw CronError("\(name) '\(part)': more than one /; \(allowed)") }
            var step = 1
            if pieces.count == 2 {
                guard let n = Int(pieces[1]), n >= 1 else { throw CronError("\(name) '\(part)': the step must be a whole number >= 1") }
                step = n
            }
            let lower: Int, upper: Int
            if pieces[0] == "*" {
                (lower, upper) = (range.lowerBound, range.upperBound == 7 ? 6 : range.upperBound)
            } else if let dash = pieces[0].firstIndex(of: "-") {
                lower = try value(String(pieces[0][..<dash]))
                upper = try value(String(pieces[0][pieces[0].index(after: dash)...]))
                guard lower <= upper else { throw CronError("\(name) '\(part)': the range runs backwards (\(lower) > \(upper))") }
            } else {
                lower = try value(pieces[0])
                upper = pieces.count == 2 ? (range.upperBound == 7 ? 6 : range.upperBound) : lower  // `5/15` = 5-max/15
            }
            for v in stride(from: lower, through: upper, by: step) { result.insert(v) }
        }
        return result
    }

    /// Whether the wall-clock date `components` (year, month, day, weekday from 1 = Sunday) is a firing day.
    func matchesDay(month: Int, day: Int, weekday: Int) -> Bool {
        guard months.contains(month) else { return false }
        let dom = daysOfMonth.contains(day), dow = daysOfWeek.contains(weekday - 1)
        if domRestricted && dowRestricted { return dom || dow }
        if domRestricted { return dom }
        if dowRestricted { return dow }
        return true
    }

    /// The first firing strictly after `date`, on the wall clock of `timeZone`.
    ///
    /// Daylight-saving changes: a wall-clock time that does not exist (the hour skipped in spring) fires at
    /// the end of the gap, once; a time that happens twice (the hour repeated in autumn) fires at its first
    /// occurrence only. Nil when no date within 8 years matches (`0 0 30 2 *`).
    public func next(after date: Date, in timeZone: TimeZone) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        // Work on the wall clock as if it were UTC ("local seconds"), then map back to instants.
        let localStart = date.addingTimeInterval(TimeInterval(timeZone.secondsFromGMT(for: date)))
        var day = calendar.startOfDay(for: localStart)
        let sortedHours = hours.sorted(), sortedMinutes = minutes.sorted()
        for _ in 0..<(366 * 8 + 2) {
            let parts = calendar.dateComponents([.month, .day, .weekday], from: day)
            if matchesDay(month: parts.month!, day: parts.day!, weekday: parts.weekday!) {
                for hour in sortedHours {
                    for minute in sortedMinutes {
                        let local = day.addingTimeInterval(TimeInterval(hour * 3600 + minute * 60))
                        guard let instant = Self.instant(forLocal: local, in: timeZone), instant > date else { continue }
                        // A gap can map two wall times to one instant; any instant after `date` is the answer.
                        return instant
                    }
                }
            }
            day = calendar.date(byAdding: .day, value: 1, to: day)!
        }
        return nil
    }

    /// The instant at which the wall clock of `timeZone` shows `local` (wall time encoded as UTC): the first
    /// of two when the time repeats, the end of the gap when it is skipped.
    static func instant(forLocal local: Date, in timeZone: TimeZone) -> Date? {
        let before = TimeInterval(timeZone.secondsFromGMT(for: local.addingTimeInterval(-86_400)))
        let after = TimeInterval(timeZone.secondsFromGMT(for: local.addingTimeInterval(86_400)))
        let candidates = [local.addingTimeInterval(-max(before, after)), local.addingTimeInterval(-min(before, after))]
        let valid = candidates.filter { TimeInterval(timeZone.secondsFromGMT(for: $0)) == local.timeIntervalSince($0) }
        if let first = valid.min() { return first }
        // Skipped (spring forward): the wall clock jumps over `local`; fire when the jump happens.
        return timeZone.nextDaylightSavingTimeTransition(after: local.addingTimeInterval(-before - 86_400))
    }
}

/// What is wrong with a cron expression.
public struct CronError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
