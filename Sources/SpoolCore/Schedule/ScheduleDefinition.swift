import Foundation

/// One schedule: `spool/schedules/NAME.yaml` (or `spoolctl schedule add`).
///
/// ```yaml
/// schedule: "0 2 * * *"            # cron, five fields or @hourly/@daily/@weekly/@monthly
/// time_zone: Europe/Berlin         # the wall clock the expression reads (default UTC)
/// source: {folder: /data/fridge}   # a folder with a bundle's files that another process refreshes,
///                                  # or {bundle: fridge}: the newest bundle submitted under that name
/// concurrency_policy: Forbid       # Allow | Forbid | Replace (Kubernetes CronJob's)
/// starting_deadline_seconds: 3600  # a missed firing later than this after its slot is skipped
/// warm_start: true                 # start from the model in use (outbox/NAME/latest)
/// promote: better                  # better | always: when outbox/NAME/latest moves to the new model
/// suspend: false
/// ```
public struct ScheduleDefinition: Sendable, Hashable {
    public enum Source: Sendable, Hashable {
        case folder(String)
        case bundle(String)
    }

    public enum ConcurrencyPolicy: String, Sendable, Hashable, CaseIterable {
        /// Fire even while an earlier firing's job is queued or running.
        case allow = "Allow"
        /// Skip a firing while an earlier one's job is queued or running.
        case forbid = "Forbid"
        /// Cancel the earlier firing's job and fire.
        case replace = "Replace"
    }

    public enum Promotion: String, Sendable, Hashable, CaseIterable {
        /// Move `latest` only when the new model beats the one in use on the new validation set.
        case better
        /// Move it after every completed job.
        case always
    }

    public var name: String
    public var cron: CronExpression
    public var timeZone: TimeZone
    public var source: Source
    public var concurrencyPolicy: ConcurrencyPolicy
    public var startingDeadlineSeconds: Int?
    public var warmStart: Bool
    public var promote: Promotion
    public var suspend: Bool

    public init(name: String, cron: CronExpression, timeZone: TimeZone = TimeZone(identifier: "UTC")!, source: Source,
                concurrencyPolicy: ConcurrencyPolicy = .forbid, startingDeadlineSeconds: Int? = nil,
                warmStart: Bool = true, promote: Promotion = .better, suspend: Bool = false) {
        self.name = name
        self.cron = cron
        self.timeZone = timeZone
        self.source = source
        self.concurrencyPolicy = concurrencyPolicy
        self.startingDeadlineSeconds = startingDeadlineSeconds
        self.warmStart = warmStart
        self.promote = promote
        self.suspend = suspend
    }

    static let keys = ["schedule", "cron", "time_zone", "timezone", "source", "concurrency_policy",
                       "starting_deadline_seconds", "warm_start", "promote", "suspend"]

    /// A schedule's name: what its jobs, its `outbox/NAME/latest` and its file are called.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64 && !name.hasPrefix(".") && !name.hasPrefix("j-")
            && name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." } && name.unicodeScalars.allSatisfy(\.isASCII)
    }

    /// Reads a schedule file, every problem at once with its line.
    public static func parse(_ text: String, name: String, file: String) throws(SettingsError) -> ScheduleDefinition {
        let document = try SettingsDocument.parse(text, file: file, json: false)
        var problems = document.problems
        func report(_ key: String, _ value: SettingValue?, _ message: String) {
            problems.append(SettingsProblem(key: key, value: value, message: message, location: document.location(key)))
        }
        if !isValidName(name) {
            problems.append(SettingsProblem(key: "", value: .string(name), message: "a schedule's name is letters, digits, -, _ and . (up to 64, not starting with . or j-)",
                                            location: SettingsLocation(file: file)))
        }
        guard case let .map(root) = document.root else {
            throw SettingsError(problems: problems + [SettingsProblem(key: "", value: nil, message: "must be a mapping: schedule:, source:, ...",
                                                                      location: SettingsLocation(file: file, line: 1))])
        }
        for key in root.keys.sorted() where !keys.contains(key) {
            report(key, root[key], "unknown setting" + Suggestion.phrase(for: key, among: keys))
        }
        var cron: CronExpression?
        let cronKey = root["schedule"] != nil ? "schedule" : "cron"
        if let text = root[cronKey]?.stringValue {
            do { cron = try CronExpression(text) } catch { report(cronKey, root[cronKey], error.description) }
        } else {
            report(cronKey, root[cronKey], #"required: a cron expression such as "0 2 * * *" (02:00 daily) or @daily"#)
        }
        var zone = TimeZone(identifier: "UTC")!
        let zoneKey = root["time_zone"] != nil ? "time_zone" : "timezone"
        if let given = root[zoneKey], !given.isNull {
            if let id = given.stringValue, let found = TimeZone(identifier: id) {
                zone = found
            } else {
                report(zoneKey, given, "must be an IANA time zone such as Europe/Berlin or America/New_York")
            }
        }
        var source: Source?
        switch root["source"] {
        case let .map(entries)?:
            if let folder = entries["folder"]?.stringValue, entries.count == 1 {
                if folder.hasPrefix("/") { source = .folder(folder) } else { report("source.folder", entries["folder"], "must be an absolute path") }
            } else if let bundle = entries["bundle"]?.stringValue, entries.count == 1 {
                source = .bundle(bundle)
            } else {
                report("source", root["source"], "must be {folder: /absolute/path} or {bundle: NAME}, one of them")
            }
        default:
            report("source", root["source"], "required: {folder: /path/to/bundle} (refreshed by another process) or {bundle: NAME} (the newest submitted under NAME)")
        }
        var policy = ConcurrencyPolicy.forbid
        if let given = root["concurrency_policy"], !given.isNull {
            if let text = given.stringValue, let found = ConcurrencyPolicy.allCases.first(where: { $0.rawValue.lowercased() == text.lowercased() }) {
                policy = found
            } else {
                report("concurrency_policy", given, "must be Allow, Forbid or Replace")
            }
        }
        var deadline: Int?
        if let given = root["starting_deadline_seconds"], !given.isNull {
            if let seconds = given.coercedInt, seconds >= 1 { deadline = seconds } else {
                report("starting_deadline_seconds", given, "must be a whole number of seconds >= 1")
            }
        }
        func flag(_ key: String, _ fallback: Bool) -> Bool {
            guard let given = root[key], !given.isNull else { return fallback }
            if let value = given.coercedBool { return value }
            report(key, given, "must be true or false")
            return fallback
        }
        let warm = flag("warm_start", true), suspend = flag("suspend", false)
        var promote = Promotion.better
        if let given = root["promote"], !given.isNull {
            if let text = given.stringValue, let found = Promotion(rawValue: text.lowercased()) { promote = found } else {
                report("promote", given, "must be better or always")
            }
        }
        guard problems.isEmpty, let cron, let source else { throw SettingsError(problems: SettingsError.sortedByLine(problems)) }
        return ScheduleDefinition(name: name, cron: cron, timeZone: zone, source: source, concurrencyPolicy: policy,
                                  startingDeadlineSeconds: deadline, warmStart: warm, promote: promote, suspend: suspend)
    }

    /// The file `spoolctl schedule add` writes.
    public var yaml: String {
        var lines = ["schedule: \"\(cron.description)\"", "time_zone: \(timeZone.identifier)"]
        switch source {
        case let .folder(path): lines.append("source: {folder: \"\(path)\"}")
        case let .bundle(name): lines.append("source: {bundle: \"\(name)\"}")
        }
        lines.append("concurrency_policy: \(concurrencyPolicy.rawValue)")
        if let startingDeadlineSeconds { lines.append("starting_deadline_seconds: \(startingDeadlineSeconds)") }
        lines += ["warm_start: \(warmStart)", "promote: \(promote.rawValue)", "suspend: \(suspend)"]
        return lines.joined(separator: "\n") + "\n"
    }
}
