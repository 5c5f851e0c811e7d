import Foundation

/// The spool's folders and database, under one root.
///
/// ```
/// spool/
///   incoming/     drops (write elsewhere or in tmp/, then rename in)
///   tmp/          producers write here first; same filesystem as incoming/, so rename(2) is atomic
///   processing/   a drop being unpacked and validated (claimed by renaming it here)
///   jobs/<id>/    per job: original/ (the drop, kept), bundle/ (unpacked), trials/, job.log
///   outbox/<id>/  results, appearing whole (built in outbox/.staging-<id>, then renamed)
///   failed/       rejected drops, each with NAME.error.json beside it
///   spool.sqlite  the queue
/// ```
public struct SpoolLayout: Sendable, Equatable {
    public let root: URL

    public init(root: URL) { self.root = root.standardizedFileURL }

    /// `--spool`, else `SPOOL_ROOT`, else `./spool`.
    public static func resolve(option: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> SpoolLayout {
        if let option, !option.isEmpty { return SpoolLayout(root: URL(fileURLWithPath: option)) }
        if let env = environment["SPOOL_ROOT"], !env.isEmpty { return SpoolLayout(root: URL(fileURLWithPath: env)) }
        return SpoolLayout(root: URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("spool"))
    }

    public var incoming: URL { root.appendingPathComponent("incoming") }
    /// Reference weight files (`spoolctl weights pull`), searched by every trial.
    public var weights: URL { root.appendingPathComponent("weights") }
    public var tmp: URL { root.appendingPathComponent("tmp") }
    public var processing: URL { root.appendingPathComponent("processing") }
    public var jobs: URL { root.appendingPathComponent("jobs") }
    public var outbox: URL { root.appendingPathComponent("outbox") }
    public var failed: URL { root.appendingPathComponent("failed") }
    public var database: URL { root.appendingPathComponent("spool.sqlite") }
    public var daemonLog: URL { root.appendingPathComponent("spool.log") }

    public func job(_ id: String) -> URL { jobs.appendingPathComponent(id) }
    /// The unpacked bundle a job trains on (a folder, or a link to the bundle's root inside `unpacked/`).
    public func bundle(_ id: String) -> URL { job(id).appendingPathComponent("bundle") }
    public func jobLog(_ id: String) -> URL { job(id).appendingPathComponent("job.log") }
    public func outbox(_ id: String) -> URL { outbox.appendingPathComponent(id) }
    /// `schedules/NAME.yaml`: the schedules the daemon runs.
    public var schedules: URL { root.appendingPathComponent("schedules") }
    public func schedule(_ name: String) -> URL { schedules.appendingPathComponent("\(name).yaml") }
    /// `outbox/LINEAGE/latest`: the model in use for a schedule (or a retrained job's line).
    public func latest(_ lineage: String) -> URL { outbox.appendingPathComponent(lineage).appendingPathComponent("latest") }

    /// Creates every folder (idempotent).
    public func create() throws {
        for url in [incoming, tmp, processing, jobs, outbox, failed, schedules] {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        }
    }
}
