import Foundation
import SpoolCore
import SpoolStore

/// Chooses and removes finished jobs (`spoolctl prune`, and `serve --retain-days/--retain-per-name` after each
/// job): their folders (`jobs/<id>/`, `outbox/<id>/`), their rows (job, trials, epoch metrics, events), and
/// rejected drops in `failed/` by the same age rule.
///
/// Never removed: a PENDING or RUNNING job; a job whose model a line's `outbox/LINE/latest` points at (the
/// model in use of a schedule or a retrained line); the newest job of a name a schedule takes its bundle from
/// (`source: {bundle: NAME}`). The clock is a parameter: `plan(_:now:)` decides against the `now` it is given.
public struct Pruner: Sendable {
    public let layout: SpoolLayout
    public let store: JobStore

    public init(layout: SpoolLayout, store: JobStore) {
        self.layout = layout
        self.store = store
    }

    /// What to remove.
    public struct Rules: Sendable, Equatable {
        /// Only jobs that finished (and failed drops rejected) more than this long before `now`.
        public var olderThan: TimeInterval?
        /// Only jobs in these final states.
        public var states: Set<JobState>
        /// Keep the newest N jobs of each name among those `states` selects.
        public var keepPerName: Int?

        public init(olderThan: TimeInterval? = nil, states: Set<JobState> = Set(JobState.finalStates), keepPerName: Int? = nil) {
            self.olderThan = olderThan
            self.states = states.filter(\.isFinal)
            self.keepPerName = keepPerName
        }
    }

    /// A job to remove.
    public struct Removal: Sendable, Equatable, Encodable {
        public var id: String
        public var name: String
        public var state: String
        public var finishedAt: Date?
        /// Bytes freed (a file hard-linked from the trial and the outbox counts once).
        public var bytes: Int64
        public var paths: [String]

        enum CodingKeys: String, CodingKey { case id, name, state, finishedAt = "finished_at", bytes, paths }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(name, forKey: .name)
            try container.encode(state, forKey: .state)
            try container.encodeIfPresent(finishedAt.map(Pruner.stamp), forKey: .finishedAt)
            try container.encode(bytes, forKey: .bytes)
            try container.encode(paths, forKey: .paths)
        }
    }

    /// A rejected drop in `failed/` (with its NAME.error.json) to remove.
    public struct FailedDrop: Sendable, Equatable, Encodable {
        public var name: String
        public var rejectedAt: Date
        public var bytes: Int64
        public var paths: [String]

        enum CodingKeys: String, CodingKey { case name, rejectedAt = "rejected_at", bytes, paths }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(Pruner.stamp(rejectedAt), forKey: .rejectedAt)
            try container.encode(bytes, forKey: .bytes)
            try container.encode(paths, forKey: .paths)
        }
    }

    /// A job the rules chose but that is kept, and why.
    public struct Kept: Sendable, Equatable, Encodable {
        public var id: String
        public var name: String
        public var reason: String
    }

    public struct Plan: Sendable, Equatable, Encodable {
        public var jobs: [Removal] = []
        public var failedDrops: [FailedDrop] = []
        public var kept: [Kept] = []
        public var bytes: Int64 { jobs.reduce(0) { $0 + $1.bytes } + failedDrops.reduce(0) { $0 + $1.bytes } }
        public var isEmpty: Bool { jobs.isEmpty && failedDrops.isEmpty }

        enum CodingKeys: String, CodingKey { case jobs, failedDrops = "failed_drops", kept, bytes }
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(jobs, forKey: .jobs)
            try container.encode(failedDrops, forKey: .failedDrops)
            try container.encode(kept, forKey: .kept)
            try container.encode(bytes, forKey: .bytes)
        }
    }

    /// Decides what `rules` remove at `now`; removes nothing.
    public func plan(_ rules: Rules, now: Date) throws -> Plan {
        var plan = Plan()
        let protected = protectedJobs()
        let cutoff = rules.olderThan.map { now.addingTimeInterval(-$0) }
        var seenPerName: [String: Int] = [:]
        var counted = Set<[UInt64]>()
        // Newest first, so the first N of a name are the ones --keep keeps.
        for job in try store.finishedJobs() where rules.states.contains(job.state) {
            let rank = seenPerName[job.name, default: 0]
            seenPerName[job.name] = rank + 1
            if let keep = rules.keepPerName, rank < keep { continue }
            if let cutoff, (job.finishedAt ?? now) >= cutoff { continue }
            if let why = protected[job.id] {
                plan.kept.append(Kept(id: job.id, name: job.name, reason: why))
                continue
            }
            let paths = jobPaths(job.id)
            plan.jobs.append(Removal(id: job.id, name: job.name, state: job.state.rawValue, finishedAt: job.finishedAt,
                                     bytes: paths.reduce(0) { $0 + Self.bytes(of: $1, counted: &counted) }, paths: paths))
        }
        if let cutoff {
            for drop in failedDrops() where drop.rejectedAt < cutoff {
                var drop = drop
                drop.bytes = drop.paths.reduce(0) { $0 + Self.bytes(of: $1, counted: &counted) }
                plan.failedDrops.append(drop)
            }
        }
        return plan
    }

    /// Removes what `plan` lists: each job's folders, then its rows; each failed drop and its record; then
    /// rewrites `outbox/index.html` (dated `now`) when there is one. Returns the problems met (a job that
    /// cannot be removed is skipped, the rest go on).
    @discardableResult
    public func apply(_ plan: Plan, now: Date) -> [String] {
        let fm = FileManager.default
        var problems: [String] = []
        for job in plan.jobs {
            do {
                // Checked again: the job's state cannot have changed, but a line may have moved to it since.
                if let why = protectedJobs()[job.id] { throw RunnerError("kept: \(why)") }
                for path in job.paths where fm.fileExists(atPath: path) || Self.isLink(path) {
                    try fm.removeItem(atPath: path)
                }
                try store.deleteFinishedJob(id: job.id)
            } catch {
                problems.append("job \(job.id): \(ErrorText.describe(error))")
            }
        }
        for drop in plan.failedDrops {
            do {
                for path in drop.paths where fm.fileExists(atPath: path) || Self.isLink(path) {
                    try fm.removeItem(atPath: path)
                }
                try store.deleteDropRecords(failedPath: drop.paths[0])
            } catch {
                problems.append("failed/\(drop.name): \(ErrorText.describe(error))")
            }
        }
        let index = layout.outbox.appendingPathComponent(OutboxIndex.fileName)
        if !plan.jobs.isEmpty, fm.fileExists(atPath: index.path) {
            do {
                try OutboxIndex(layout: layout).write(store: store, generatedAt: now)
            } catch {
                problems.append("cannot rewrite \(index.path): \(ErrorText.describe(error))")
            }
        }
        return problems
    }

    /// The jobs that must stay, with why: the models lines use (`outbox/LINE/latest`), and the newest job of
    /// each name a schedule takes its bundle from.
    public func protectedJobs() -> [String: String] {
        let fm = FileManager.default
        var protected: [String: String] = [:]
        for line in ((try? fm.contentsOfDirectory(atPath: layout.outbox.path)) ?? []).sorted() {
            let latest = layout.latest(line)
            guard let target = try? fm.destinationOfSymbolicLink(atPath: latest.path) else { continue }
            let model = URL(fileURLWithPath: target, relativeTo: latest.deletingLastPathComponent()).standardizedFileURL
            let jobFolder = model.deletingLastPathComponent()
            guard jobFolder.deletingLastPathComponent().path == layout.outbox.standardizedFileURL.path else { continue }
            protected[jobFolder.lastPathComponent] = "outbox/\(line)/latest points at its model (the model in use)"
        }
        for schedule in ScheduleRunner.readOnly(layout).schedules {
            guard case let .bundle(name) = schedule.source, let job = try? store.newestJob(named: name) else { continue }
            protected[job.id] = protected[job.id] ?? "schedule \(schedule.name) takes its bundle from the newest job named \(name)"
        }
        return protected
    }

    /// `jobs/<id>`, `outbox/<id>` and the outboxes it replaced (`outbox/<id>.previous-N`), those that exist.
    func jobPaths(_ id: String) -> [String] {
        let fm = FileManager.default
        var paths = [layout.job(id).path, layout.outbox(id).path].filter { fm.fileExists(atPath: $0) || Self.isLink($0) }
        for name in ((try? fm.contentsOfDirectory(atPath: layout.outbox.path)) ?? []).sorted()
            where name.hasPrefix("\(id).previous-") {
            paths.append(layout.outbox.appendingPathComponent(name).path)
        }
        return paths
    }

    /// The drops in `failed/`, each with its NAME.error.json, dated by the error file (else the drop).
    func failedDrops() -> [FailedDrop] {
        let fm = FileManager.default
        let names = Set((try? fm.contentsOfDirectory(atPath: layout.failed.path)) ?? [])
        var drops: [FailedDrop] = []
        for name in names.sorted() {
            let isError = name.hasSuffix(RejectionDocument.suffix)
            let base = isError ? String(name.dropLast(RejectionDocument.suffix.count)) : name
            // An error file is handled with its drop, unless the drop is gone.
            if isError, names.contains(base) { continue }
            let drop = layout.failed.appendingPathComponent(base).path
            let error = drop + RejectionDocument.suffix
            let paths = [drop, error].filter { names.contains(($0 as NSString).lastPathComponent) }
            guard let dated = names.contains(base + RejectionDocument.suffix) ? error : paths.first,
                  let at = Self.modified(dated) else { continue }
            drops.append(FailedDrop(name: base, rejectedAt: at, bytes: 0, paths: paths))
        }
        return drops
    }

    static func modified(_ path: String) -> Date? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(info.st_mtim.tv_sec) + TimeInterval(info.st_mtim.tv_nsec) / 1e9)
    }

    static func isLink(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK
    }

    /// The bytes of the files under `path`, each inode counted once across calls sharing `counted`.
    static func bytes(of path: String, counted: inout Set<[UInt64]>) -> Int64 {
        var info = stat()
        guard lstat(path, &info) == 0 else { return 0 }
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            return names.reduce(0) { $0 + bytes(of: path + "/" + $1, counted: &counted) }
        case S_IFREG:
            return counted.insert([UInt64(info.st_dev), UInt64(info.st_ino)]).inserted ? Int64(info.st_size) : 0
        default:
            return 0
        }
    }

    /// A time as ISO 8601 (UTC, whole seconds), as the outbox's documents write it.
    public static func stamp(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }

    /// An age as `30d`, `12h`, `90m`, `45s` or `2w`; nil when it is not one.
    public static func parseAge(_ text: String) -> TimeInterval? {
        let text = text.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [Character: TimeInterval] = ["s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800]
        guard let unit = text.last, let scale = units[unit], let value = Double(text.dropLast()), value >= 0,
              value.isFinite else { return nil }
        return value * scale
    }

    /// `1.2 GB`, `45.0 MB`, `812 B`.
    public static func formatBytes(_ bytes: Int64) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = Double(bytes), unit = 0
        while value >= 1000, unit < units.count - 1 { value /= 1000; unit += 1 }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f", value) + " " + units[unit]
    }
}
