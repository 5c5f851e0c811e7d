import Foundation

/// `spoolctl schedules --json` (and `schedule list --json`): each schedule with its last and next run, and the
/// schedule files that could not be read. A time a schedule does not have is written as null, never left out.
public struct ScheduleListDocument: Codable, Sendable, ContractDocument, Equatable {
    public struct Schedule: Codable, Sendable, Equatable {
        public var name: String
        /// The cron expression (`0 2 * * *`, `@daily`).
        public var schedule: String
        /// The wall clock the expression reads (`Europe/Berlin`).
        public var timeZone: String
        /// `Allow`, `Forbid` or `Replace` (Kubernetes CronJob's).
        public var concurrencyPolicy: String
        public var suspend: Bool
        /// When it last fired, and the slot that firing was for.
        public var lastRun: Date?
        public var lastSlot: Date?
        /// Its next slot; null when suspended or when the expression has none.
        public var nextRun: Date?
        /// What its last firing did, and how the job it queued stands (`not fired yet` before one).
        public var lastResult: String
        /// The job its last firing queued.
        public var lastJob: String?

        public init(name: String, schedule: String, timeZone: String, concurrencyPolicy: String, suspend: Bool, lastRun: Date?,
                    lastSlot: Date?, nextRun: Date?, lastResult: String, lastJob: String?) {
            self.name = name
            self.schedule = schedule
            self.timeZone = timeZone
            self.concurrencyPolicy = concurrencyPolicy
            self.suspend = suspend
            self.lastRun = lastRun
            self.lastSlot = lastSlot
            self.nextRun = nextRun
            self.lastResult = lastResult
            self.lastJob = lastJob
        }

        enum CodingKeys: String, CodingKey {
            case name, schedule, timeZone = "time_zone", concurrencyPolicy = "concurrency_policy", suspend
            case lastRun = "last_run", lastSlot = "last_slot", nextRun = "next_run", lastResult = "last_result", lastJob = "last_job"
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(name, forKey: .name)
            try c.encode(schedule, forKey: .schedule)
            try c.encode(timeZone, forKey: .timeZone)
            try c.encode(concurrencyPolicy, forKey: .concurrencyPolicy)
            try c.encode(suspend, forKey: .suspend)
            try c.encode(lastRun, forKey: .lastRun)
            try c.encode(lastSlot, forKey: .lastSlot)
            try c.encode(nextRun, forKey: .nextRun)
            try c.encode(lastResult, forKey: .lastResult)
            try c.encode(lastJob, forKey: .lastJob)
        }
    }

    /// A schedule file that is not run, and why.
    public struct Problem: Codable, Sendable, Equatable {
        public var name: String
        public var problem: String

        public init(name: String, problem: String) {
            self.name = name
            self.problem = problem
        }
    }

    /// By name.
    public var schedules: [Schedule]
    public var problems: [Problem]

    public init(schedules: [Schedule], problems: [Problem]) {
        self.schedules = schedules
        self.problems = problems
    }

    public static func decode(_ data: Data) throws -> ScheduleListDocument {
        try ContractCoding.decoder().decode(ScheduleListDocument.self, from: data)
    }
}
