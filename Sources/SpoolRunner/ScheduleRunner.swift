import Foundation
import Logging
import SpoolCore
import SpoolStore
import Synchronization

/// Runs the schedules in `spool/schedules/*.yaml`: on each tick, every due schedule fires once (missed slots
/// folded into one firing, slots past `starting_deadline_seconds` recorded as missed), its concurrency
/// policy applied; a firing copies the source into a bundle marked with its slot's key (`JobOrigin`) and queues
/// it through the usual intake, so a double firing is queued once.
///
/// The clock is injected: tests and `serve --now` drive it; nothing here sleeps.
public final class ScheduleRunner: Sendable {
    let layout: SpoolLayout
    let store: JobStore
    let logger: Logger
    let now: @Sendable () -> Date
    /// Queues a drop in `incoming/` now and returns its job (the daemon's intake); nil leaves it for the daemon.
    let intake: (@Sendable (String) -> Intake.Result)?
    /// The problem last logged for each unreadable schedule file (logged again only when it changes).
    private let reported = Mutex<[String: String]>([:])

    public init(layout: SpoolLayout, store: JobStore, logger: Logger, now: @escaping @Sendable () -> Date = { Date() },
                intake: (@Sendable (String) -> Intake.Result)? = nil) {
        self.layout = layout
        self.store = store
        self.logger = logger
        self.now = now
        self.intake = intake
    }

    /// Every schedule file, read; those that cannot be read come back with their problems.
    public func definitions() -> (schedules: [ScheduleDefinition], problems: [(name: String, message: String)]) {
        Self.readOnly(layout)
    }

    /// Fires what is due. Returns one line per schedule that did something.
    @discardableResult
    public func tick() -> [String] {
        let (schedules, problems) = definitions()
        let fresh = reported.withLock { reported in
            problems.filter { problem in
                defer { reported[problem.name] = problem.message }
                return reported[problem.name] != problem.message
            }
        }
        for problem in fresh {
            logger.error("schedule \(problem.name): not run: \(problem.message)")
        }
        var lines: [String] = []
        for schedule in schedules where !schedule.suspend {
            do {
                if let line = try tick(schedule) { lines.append(line) }
            } catch {
                logger.error("schedule \(schedule.name): \(error)")
            }
        }
        return lines
    }

    func tick(_ schedule: ScheduleDefinition) throws -> String? {
        let state = try store.scheduleState(name: schedule.name, at: now())
        switch ScheduleDecision.decide(schedule, lastSlot: state.lastSlot, since: state.firstSeenAt, now: now()) {
        case .idle:
            return nil
        case let .missed(slot, skipped):
            let late = Int(now().timeIntervalSince(slot))
            let result = "missed the \(Self.stamp(slot)) slot\(skipped > 0 ? " (and \(skipped) before it)" : ""): "
                + "\(late) s late, beyond starting_deadline_seconds \(schedule.startingDeadlineSeconds ?? 0)"
            try store.recordSchedule(name: schedule.name, slot: slot, jobID: nil, result: result, at: now())
            logger.warning("schedule \(schedule.name): \(result)")
            return "\(schedule.name): \(result)"
        case let .fire(slot, skipped):
            let result = try fire(schedule, key: ScheduleDecision.key(name: schedule.name, slot: slot),
                                  note: "schedule \(schedule.name), slot \(Self.stamp(slot))"
                                      + (skipped > 0 ? " (catching up: \(skipped) missed slot(s) folded in)" : ""))
            try store.recordSchedule(name: schedule.name, slot: slot, jobID: result.jobID, result: result.text, at: now())
            logger.notice("schedule \(schedule.name): \(result.text)")
            return "\(schedule.name): \(result.text)"
        }
    }

    /// Fires `schedule` now under `key`, applying its concurrency policy.
    public func fire(_ schedule: ScheduleDefinition, key: String, note: String) throws -> (jobID: String?, text: String) {
        let unfinished = try store.unfinishedJobs(scheduleName: schedule.name)
        if !unfinished.isEmpty {
            let list = unfinished.map { "\($0.id) (\($0.state.rawValue))" }.joined(separator: ", ")
            switch schedule.concurrencyPolicy {
            case .forbid:
                return (nil, "skipped: \(list) has not finished (concurrency_policy Forbid)")
            case .replace:
                for job in unfinished { _ = try store.requestCancel(jobID: job.id) }
                logger.notice("schedule \(schedule.name): cancelling \(list) (concurrency_policy Replace)")
            case .allow:
                break
            }
        }
        let drop = try makeDrop(schedule, key: key, note: note)
        guard let intake else { return (nil, "fired: \(drop) dropped into incoming/") }
        switch intake(drop) {
        case let .queued(jobID): return (jobID, "fired: queued job \(jobID)")
        case let .duplicate(existing): return (existing, "already fired: \(key) is job \(existing); not trained twice")
        case let .rejected(reason): return (nil, "fired, but the bundle was rejected: \(reason)")
        case .gone: return (nil, "fired: \(drop) was taken by another intake")
        }
    }

    /// Copies the schedule's source into `tmp/`, marks it, and moves it into `incoming/` (atomically).
    func makeDrop(_ schedule: ScheduleDefinition, key: String, note: String) throws -> String {
        let fm = FileManager.default
        let source: URL
        switch schedule.source {
        case let .folder(path):
            source = URL(fileURLWithPath: path)
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw RunnerError("source folder \(path) does not exist (or is not a folder)")
            }
        case let .bundle(name):
            guard let job = try store.newestJob(named: name) else {
                throw RunnerError("source bundle: no job named \(name) has been submitted")
            }
            source = layout.bundle(job.id).resolvingSymlinksInPath()
        }
        let stamp = key.replacingOccurrences(of: ":", with: "").replacingOccurrences(of: "-", with: "")
        let dropName = "\(stamp.replacingOccurrences(of: "@", with: "@"))-\(UUID().uuidString.prefix(8))"
        let staging = layout.tmp.appendingPathComponent(dropName)
        try fm.createDirectory(at: layout.tmp, withIntermediateDirectories: true)
        try fm.copyItem(at: source, to: staging)
        try? fm.removeItem(at: staging.appendingPathComponent(JobOrigin.fileName))
        let latest = layout.latest(schedule.name)
        let warm = schedule.warmStart && fm.fileExists(atPath: latest.appendingPathComponent("model.json").path)
        try JobOrigin(scheduleKey: key, name: schedule.name, lineage: schedule.name,
                      warmStartFrom: warm ? latest.resolvingSymlinksInPath().path : nil,
                      promote: schedule.promote.rawValue, note: note + (warm ? "; warm start from the model in use" : ""))
            .write(in: staging)
        try fm.moveItem(at: staging, to: layout.incoming.appendingPathComponent(dropName))
        return dropName
    }

    static func stamp(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }
}

extension ScheduleRunner {
    /// The schedule files of a spool without a queue yet (nothing has run).
    public static func readOnly(_ layout: SpoolLayout) -> (schedules: [ScheduleDefinition], problems: [(name: String, message: String)]) {
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: layout.schedules.path)) ?? [])
            .filter { ($0.hasSuffix(".yaml") || $0.hasSuffix(".yml")) && !$0.hasPrefix(".") }.sorted()
        var schedules: [ScheduleDefinition] = [], problems: [(String, String)] = []
        for file in files {
            let name = (file as NSString).deletingPathExtension
            do {
                let text = try String(contentsOf: layout.schedules.appendingPathComponent(file), encoding: .utf8)
                schedules.append(try ScheduleDefinition.parse(text, name: name, file: "schedules/\(file)"))
            } catch {
                problems.append((name, "\(error)"))
            }
        }
        return (schedules, problems)
    }
}
