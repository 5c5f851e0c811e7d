import ArgumentParser
import Foundation
import Logging
import SpoolArguments
import SpoolCore
import SpoolRunner
import SpoolStore

extension Spoolctl {
    /// `spoolctl schedule add|list|remove|run-now`.
    public struct Schedule: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Manage cron-style schedules that retrain a bundle (spool/schedules/NAME.yaml).",
            discussion: """
            The daemon (`spoolctl serve`) runs the schedules: each firing copies the source (a folder another \
            process refreshes, or the newest bundle submitted under a name) into a job keyed by its slot, so a \
            double firing trains once. After downtime, missed slots run once (within \
            starting_deadline_seconds). With warm_start the job starts from the model in use \
            (outbox/NAME/latest), which moves to the new model only when it is better on the new validation set.

            Examples:
              spoolctl schedule add fridge --cron @daily --folder /data/fridge
              spoolctl schedule list
              spoolctl schedule run-now fridge
              spoolctl schedule remove fridge
            """,
            subcommands: [Add.self, List.self, Remove.self, RunNow.self])
        public init() {}

        public struct Add: ParsableCommand {
            public static let configuration = CommandConfiguration(
                abstract: "Add (or with --force replace) a schedule.",
                discussion: """
                The source is --folder (a folder another process refreshes) or --bundle (the newest bundle \
                submitted under that name). The schedule is written to spool/schedules/NAME.yaml.

                Examples:
                  spoolctl schedule add fridge --cron "0 2 * * *" --folder /data/fridge
                  spoolctl schedule add night --cron @daily --time-zone Asia/Tokyo --bundle b
                  spoolctl schedule add w --cron @daily --bundle b --concurrency-policy Allow
                """)
            @OptionGroup public var spool: SpoolOptions
            @Argument(help: "The schedule's name (letters, digits, -, _, .).") public var name: String
            @Option(help: "Five-field cron expression, or @hourly, @daily, @weekly, @monthly.") public var cron: String
            @Option(name: .customLong("time-zone"), help: "IANA time zone the expression reads.") public var timeZone = "UTC"
            @Option(help: "A folder holding a bundle's files (refreshed by another process).") public var folder: String?
            @Option(help: "The newest bundle submitted under this name.") public var bundle: String?
            @Option(name: .customLong("concurrency-policy"), help: "Allow, Forbid or Replace.") public var concurrencyPolicy = "Forbid"
            @Option(name: .customLong("starting-deadline-seconds"), help: "Skip a missed firing later than this after its slot.")
            public var startingDeadlineSeconds: Int?
            @Flag(name: .customLong("no-warm-start"), help: "Train each firing from scratch.") public var noWarmStart = false
            @Option(help: "better or always: when outbox/NAME/latest moves.") public var promote = "better"
            @Flag(help: "Replace an existing schedule of that name.") public var force = false
            public init() {}

            public func run() throws {
                let layout = spool.layout
                try layout.create()
                guard (folder == nil) != (bundle == nil) else { throw CommandError("give the source: --folder PATH or --bundle NAME (one of them)") }
                var lines = ["schedule: \"\(cron)\"", "time_zone: \(timeZone)"]
                if let folder {
                    lines.append("source: {folder: \"\(URL(fileURLWithPath: folder).standardizedFileURL.path)\"}")
                } else if let bundle {
                    lines.append("source: {bundle: \"\(bundle)\"}")
                }
                lines += ["concurrency_policy: \(concurrencyPolicy)", "warm_start: \(!noWarmStart)", "promote: \(promote)"]
                if let startingDeadlineSeconds { lines.append("starting_deadline_seconds: \(startingDeadlineSeconds)") }
                let text = lines.joined(separator: "\n") + "\n"
                let definition: ScheduleDefinition
                do {
                    definition = try ScheduleDefinition.parse(text, name: name, file: "schedules/\(name).yaml")
                } catch {
                    throw CommandError("the schedule is not valid:\n\(error.description)")
                }
                let url = layout.schedule(name)
                if FileManager.default.fileExists(atPath: url.path), !force {
                    throw CommandError("\(url.path) exists; pass --force to replace it, or `spoolctl schedule remove \(name)`")
                }
                try definition.yaml.write(to: url, atomically: true, encoding: .utf8)
                let next = definition.cron.next(after: Date(), in: definition.timeZone)
                print("schedule \(name): \(url.path); next run \(next.map(ScheduleTable.local(definition.timeZone)) ?? "never")")
            }
        }

        public struct List: ParsableCommand {
            public static let configuration = CommandConfiguration(
                abstract: "List the schedules: last and next run, last result.",
                discussion: """
                The same as `spoolctl schedules`.

                Examples:
                  spoolctl schedule list
                  spoolctl schedule list --json
                """)
            @OptionGroup public var spool: SpoolOptions
            @Flag(help: "Print JSON.") public var json = false
            @Option(help: ArgumentHelp("The time to show the next runs from, ISO 8601 (tests, replays).", visibility: .hidden))
            public var now: String?
            public init() {}
            public func run() throws { try ScheduleTable.show(spool.layout, json: json, now: try parseNow(now)) }
        }

        public struct Remove: ParsableCommand {
            public static let configuration = CommandConfiguration(
                abstract: "Remove a schedule (its jobs and models stay).",
                discussion: """
                Example:
                  spoolctl schedule remove fridge
                """)
            @OptionGroup public var spool: SpoolOptions
            @Argument(help: "The schedule's name.") public var name: String
            public init() {}
            public func run() throws {
                let layout = spool.layout
                let url = layout.schedule(name)
                guard FileManager.default.fileExists(atPath: url.path) else {
                    throw CommandError("there is no schedule \(name) (no \(url.path)); `spoolctl schedules` lists them")
                }
                try FileManager.default.removeItem(at: url)
                if FileManager.default.fileExists(atPath: layout.database.path) {
                    try openStore(layout).removeSchedule(name: name)
                }
                print("schedule \(name) removed; its jobs and outbox/\(name)/ stay")
            }
        }

        public struct RunNow: ParsableCommand {
            public static let configuration = CommandConfiguration(
                commandName: "run-now",
                abstract: "Fire a schedule now (its concurrency policy applies); the daemon trains it.",
                discussion: """
                Example:
                  spoolctl schedule run-now fridge
                """)
            @OptionGroup public var spool: SpoolOptions
            @Argument(help: "The schedule's name.") public var name: String
            public init() {}
            public func run() throws {
                let layout = spool.layout
                try layout.create()
                let store = try openStore(layout)
                let runner = ScheduleRunner(layout: layout, store: store, logger: Logger(label: "spool.schedule"))
                guard let schedule = runner.definitions().schedules.first(where: { $0.name == name }) else {
                    let problem = runner.definitions().problems.first { $0.name == name }
                    throw CommandError(problem.map { "schedule \(name) cannot be read: \($0.message)" }
                        ?? "there is no schedule \(name); `spoolctl schedules` lists them")
                }
                let now = Date()
                let key = "\(name)@manual-\(ISO8601DateFormatter().string(from: now))"
                let result = try runner.fire(schedule, key: key, note: "schedule \(name), run now by hand")
                print("schedule \(name): \(result.text)")
            }
        }
    }

    /// `spoolctl schedules`: the same as `schedule list`.
    public struct Schedules: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "List the schedules: last and next run, last result.",
            discussion: """
            The same as `spoolctl schedule list`. Add one with `spoolctl schedule add`.

            Examples:
              spoolctl schedules
              spoolctl schedules --json --spool /var/lib/spool
            """)
        @OptionGroup public var spool: SpoolOptions
        @Flag(help: "Print JSON.") public var json = false
        @Option(help: ArgumentHelp("The time to show the next runs from, ISO 8601 (tests, replays).", visibility: .hidden))
        public var now: String?
        public init() {}
        public func run() throws { try ScheduleTable.show(spool.layout, json: json, now: try parseNow(now)) }
    }
}

/// A hidden `--now` given as ISO 8601, or the system clock.
func parseNow(_ text: String?) throws -> Date {
    guard let text else { return Date() }
    guard let date = ISO8601DateFormatter().date(from: text) else {
        throw CommandError("--now \(text): expected an ISO 8601 time such as 2026-11-30T02:00:00Z")
    }
    return date
}

/// The schedules as `spoolctl schedules` shows them.
enum ScheduleTable {
    static func local(_ zone: TimeZone) -> (Date) -> String {
        { date in
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = zone
            formatter.dateFormat = "yyyy-MM-dd HH:mm zzz"
            return formatter.string(from: date)
        }
    }

    static func show(_ layout: SpoolLayout, json: Bool, now: Date = Date()) throws {
        let store: JobStore? = FileManager.default.fileExists(atPath: layout.database.path)
            ? try JobStore.openForReading(path: layout.database.path) : nil
        let runner = store.map { ScheduleRunner(layout: layout, store: $0, logger: Logger(label: "spool.schedule")) }
        let (schedules, problems) = runner?.definitions() ?? ScheduleRunner.readOnly(layout)
        let states = Dictionary(uniqueKeysWithValues: ((try? store?.scheduleStates()) ?? []).map { ($0.name, $0) })
        var rows: [ScheduleListDocument.Schedule] = []
        var table = [["NAME", "SCHEDULE", "TIME ZONE", "POLICY", "LAST RUN", "NEXT RUN", "LAST RESULT"]]
        for schedule in schedules {
            let state = states[schedule.name]
            let next = schedule.suspend ? nil : schedule.cron.next(after: max(now, state?.lastSlot ?? now), in: schedule.timeZone)
            var result = state?.lastResult ?? "not fired yet"
            if let id = state?.lastJobID, let job = try? store?.job(id: id) {
                result += "; job \(job.id) \(job.state.rawValue)" + (job.state.isFinal ? ": \(job.reason)" : "")
            }
            let format = local(schedule.timeZone)
            table.append([schedule.name, schedule.cron.description, schedule.timeZone.identifier, schedule.concurrencyPolicy.rawValue,
                          state?.lastFiredAt.map(format) ?? "-", schedule.suspend ? "suspended" : (next.map(format) ?? "never"), result])
            rows.append(.init(name: schedule.name, schedule: schedule.cron.description, timeZone: schedule.timeZone.identifier,
                              concurrencyPolicy: schedule.concurrencyPolicy.rawValue, suspend: schedule.suspend,
                              lastRun: state?.lastFiredAt, lastSlot: state?.lastSlot, nextRun: next, lastResult: result,
                              lastJob: state?.lastJobID))
        }
        if json {
            let document = ScheduleListDocument(schedules: rows, problems: problems.map { .init(name: $0.name, problem: $0.message) })
            print(String(decoding: try document.jsonData(), as: UTF8.self))
            return
        }
        if schedules.isEmpty && problems.isEmpty {
            print("no schedules in \(layout.schedules.path); `spoolctl schedule add` makes one")
            return
        }
        printTable(table)
        for problem in problems { print("schedule \(problem.name) is not run: \(problem.message)") }
    }
}
