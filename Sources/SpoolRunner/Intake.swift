import Foundation
import Logging
import SpoolCore
import SpoolIngest
import SpoolStore

/// Takes one drop from `incoming/` to a PENDING job, or to `failed/` with the reason beside it.
///
/// Claim (rename into `processing/`), fingerprint (SHA-256: a duplicate is reported, not trained twice),
/// unpack safely, validate, queue, and keep the original under the job. Nothing the user dropped is lost:
/// whatever goes wrong, the drop ends in `jobs/<id>/original/` or in `failed/`.
public struct Intake: Sendable {
    public let layout: SpoolLayout
    public let store: JobStore
    public let validator: BundleValidator
    public var limits = ExtractionLimits()
    /// The clock of the records and documents it writes.
    public var now: @Sendable () -> Date = { Date() }
    let logger: Logger

    public init(layout: SpoolLayout, store: JobStore, validator: BundleValidator, logger: Logger) {
        self.layout = layout
        self.store = store
        self.validator = validator
        self.logger = logger
    }

    public enum Result: Sendable, Equatable {
        case queued(jobID: String)
        case duplicate(of: String)
        case rejected(reason: String)
        /// Someone else claimed it first (or it vanished).
        case gone
    }

    @discardableResult
    public func process(dropNamed name: String) -> Result {
        let fm = FileManager.default
        let incoming = layout.incoming.appendingPathComponent(name)
        let claimed = layout.processing.appendingPathComponent(name)
        guard rename(incoming.path, claimed.path) == 0 else { return .gone }
        logger.info("drop \(name): claimed")

        let sha: String
        do {
            sha = try BundleFingerprint.sha256(of: claimed)
        } catch {
            return reject(claimed, name: name, sha: nil, reason: "cannot read the drop: \(ErrorText.describe(error))")
        }
        // Unpack (archives) next to the claimed drop; a folder drop is its own bundle.
        var isDir: ObjCBool = false
        _ = fm.fileExists(atPath: claimed.path, isDirectory: &isDir)
        // A bundle Spool made itself (a schedule's firing, a retrain) says so; it is keyed by its slot, not by
        // its content, since the same data may well be trained again on purpose.
        let origin = isDir.boolValue ? JobOrigin.read(in: claimed) : nil
        let unpacked = layout.processing.appendingPathComponent("\(name).unpacked")
        let bundleRoot: URL
        do {
            if isDir.boolValue {
                // A folder is its own bundle; an images archive inside it is unpacked in place.
                bundleRoot = claimed
                _ = try ArchiveExtractor().extractNestedImages(inBundleAt: claimed, limits: limits)
            } else {
                bundleRoot = try ArchiveExtractor().extractBundle(at: claimed, into: unpacked, limits: limits)
            }
        } catch {
            // The extractor removes what it wrote; the error names the entry and the limit.
            return reject(claimed, name: name, sha: sha, reason: error.description,
                          document: RejectionDocument(drop: name, reason: error.description, at: now(), entry: error.entry,
                                                      limit: error.limit, value: error.value, code: "extraction:\(error.code.rawValue)"))
        }

        let report = validator.validate(bundleRoot: bundleRoot, displayName: name)
        guard report.isValid, let bundle = report.bundle, let parameters = report.parameters else {
            try? fm.removeItem(at: unpacked)
            return reject(claimed, name: name, sha: sha, reason: "the bundle is not valid: \(report.problems.count) problem(s)",
                          document: RejectionDocument(drop: name, reason: "", at: now(), problems: report.problems,
                                                      warnings: report.warnings, code: "validation"))
        }
        for warning in report.warnings { logger.warning("drop \(name): \(warning)") }

        // Queue it, then move the files under the job. The daemon claims jobs on the thread that runs intake,
        // so a job is never claimed before its files are in place.
        let job: Job
        do {
            let settingsJSON = try ResolvedSettings(settings: bundle.settings, parameters: parameters).jsonString()
            let result = try store.enqueue(job: NewJob(
                name: origin?.name ?? Self.jobName(for: name), task: bundle.settings.task, bundlePath: name,
                settingsJSON: settingsJSON, budgetSeconds: bundle.settings.limits.timeoutMinutes * 60,
                bundleSHA256: origin == nil ? sha : nil, scheduleKey: origin?.scheduleKey))
            switch result {
            case .queued(let j): job = j
            case .duplicate(let existing):
                try? fm.removeItem(at: unpacked)
                if let key = origin?.scheduleKey {
                    // A double firing: Spool's own copy, dropped quietly.
                    try? fm.removeItem(at: claimed)
                    logger.notice("drop \(name): \(key) already queued as job \(existing.id); not trained twice")
                    record(DropRecord(name: name, sha256: sha, takenAt: now(), outcome: .duplicate, jobID: existing.id,
                                      reason: "\(key) was already queued as job \(existing.id)"))
                    return .duplicate(of: existing.id)
                }
                return duplicate(claimed, name: name, sha: sha, of: existing)
            }
        } catch {
            try? fm.removeItem(at: unpacked)
            return reject(claimed, name: name, sha: sha, reason: "cannot queue: \(ErrorText.describe(error))")
        }
        let jobDir = layout.job(job.id)
        do {
            try fm.createDirectory(at: jobDir.appendingPathComponent("original"), withIntermediateDirectories: true)
            let finalBundle = layout.bundle(job.id)
            if isDir.boolValue {
                try fm.moveItem(at: claimed, to: finalBundle)
                try Data("The drop was a folder: it is bundle/ itself.\n".utf8)
                    .write(to: jobDir.appendingPathComponent("original/README"))
            } else {
                // The bundle root may be a single top folder inside the unpacked tree.
                let relative = String(bundleRoot.path.dropFirst(unpacked.path.count))
                try fm.moveItem(at: unpacked, to: jobDir.appendingPathComponent("unpacked"))
                let root = jobDir.appendingPathComponent("unpacked").path + relative
                try fm.createSymbolicLink(atPath: finalBundle.path, withDestinationPath: root)
                try fm.moveItem(at: claimed, to: jobDir.appendingPathComponent("original").appendingPathComponent(name))
            }
        } catch {
            let reason = "cannot move the drop under the job: \(ErrorText.describe(error))"
            logger.error("job \(job.id): \(reason)")
            _ = try? store.requestCancel(jobID: job.id)
            record(DropRecord(name: name, sha256: sha, takenAt: now(), outcome: .rejected, jobID: job.id, reason: reason))
            return .rejected(reason: reason)
        }
        record(DropRecord(name: name, sha256: sha, takenAt: now(), outcome: .queued, jobID: job.id, reason: "queued"))
        appendJobLog(job.id, "queued from drop \(name) (sha256 \(sha.prefix(12)))" + (origin.map { "; \($0.note)" } ?? "")
            + "; \(report.warnings.count) warning(s)")
        for warning in report.warnings { appendJobLog(job.id, "warning: \(warning)") }
        logger.info("drop \(name): queued as job \(job.id)")
        return .queued(jobID: job.id)
    }

    func duplicate(_ claimed: URL, name: String, sha: String, of existing: Job) -> Result {
        let reason = "duplicate: the same bundle (sha256) was already taken as job \(existing.id) (\(existing.state.rawValue)); not trained again"
        _ = reject(claimed, name: name, sha: sha, reason: reason,
                   document: RejectionDocument(drop: name, reason: reason, at: now(), code: "duplicate", job: existing.id),
                   outcome: .duplicate, jobID: existing.id)
        return .duplicate(of: existing.id)
    }

    /// Records the drop's outcome; the queue being unwritable must not lose the drop itself.
    func record(_ drop: DropRecord) {
        do {
            try store.recordDrop(drop)
        } catch {
            logger.error("drop \(drop.name): cannot record its outcome (\(drop.outcome.rawValue)): \(ErrorText.describe(error))")
        }
    }

    /// Moves the drop to `failed/` with `NAME.error.json` beside it.
    func reject(_ claimed: URL, name: String, sha: String?, reason: String, document: RejectionDocument? = nil,
                outcome: DropRecord.Outcome = .rejected, jobID: String? = nil) -> Result {
        let fm = FileManager.default
        var target = layout.failed.appendingPathComponent(name)
        var n = 1
        while fm.fileExists(atPath: target.path) {
            target = layout.failed.appendingPathComponent("\(name).\(n)")
            n += 1
        }
        try? fm.moveItem(at: claimed, to: target)
        var document = document ?? RejectionDocument(drop: name, reason: reason, at: now())
        (document.drop, document.reason, document.sha256) = (name, reason, sha)
        do {
            try document.jsonData().write(to: URL(fileURLWithPath: target.path + RejectionDocument.suffix))
        } catch {
            logger.error("drop \(name): cannot write \(target.lastPathComponent)\(RejectionDocument.suffix): \(error)")
        }
        logger.error("drop \(name): rejected into \(target.path): \(reason)")
        record(DropRecord(name: name, sha256: sha, takenAt: now(), outcome: outcome, jobID: jobID, reason: reason,
                          failedPath: target.path))
        return .rejected(reason: reason)
    }

    func appendJobLog(_ jobID: String, _ line: String) {
        JobLog.append(layout.jobLog(jobID), jobID: jobID, line)
    }

    static func jobName(for drop: String) -> String {
        for suffix in [".tar.gz", ".tar.zst", ".tgz", ".tar", ".zip"] where drop.hasSuffix(suffix) {
            return String(drop.dropLast(suffix.count))
        }
        return drop
    }
}

/// A job's own log: `jobs/<id>/job.log`, the job id on every line.
public enum JobLog {
    static let lock = NSLock()

    public static func append(_ url: URL, jobID: String, _ line: String) {
        lock.lock()
        defer { lock.unlock() }
        let stamp = ISO8601DateFormatter().string(from: Date())
        let text = Data("\(stamp) job=\(jobID) \(line)\n".utf8)
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        if let handle = FileHandle(forWritingAtPath: url.path) {
            _ = try? handle.seekToEnd()
            handle.write(text)
            try? handle.close()
        } else {
            try? text.write(to: url)
        }
    }
}
