import Foundation
import SpoolCore
import SpoolRunner
import SpoolStore

/// Follows one submitted drop to its end, for `spoolctl submit --wait`: by its name and SHA-256 after the
/// queue's drop cursor taken before the hand-over, never by the name alone (an earlier drop of the same name
/// may have left its `failed/NAME.error.json`) nor by the digest alone (a duplicate shares the earlier job's).
struct Follower {
    let layout: SpoolLayout
    /// JSON mode: print nothing while following.
    var quiet = false

    /// Exit codes, documented in `submit --help`.
    static func exitCode(_ state: JobState) -> Int32 {
        switch state {
        case .completed: 0
        case .failed: 10
        case .timeout: 11
        case .cancelled: 12
        case .outOfMemory: 13
        case .pending, .running: 1
        }
    }

    func say(_ text: String) { if !quiet { print(text) } }
    func warn(_ text: String) { if !quiet { FileHandle.standardError.write(Data((text + "\n").utf8)) } }

    func follow(_ drop: Dropper.Drop, after cursor: Int64, timeout: Double?, outcome: SubmitOutcome) throws -> SubmitOutcome {
        var outcome = outcome
        let started = Date()
        var record: DropRecord?
        var lastState: JobState?
        while true {
            if let store = try? JobStore.openForReading(path: layout.database.path) {
                if record == nil, let found = try? store.drop(named: drop.name, sha256: drop.sha256, after: cursor) {
                    record = found
                    outcome.outcome = found.outcome.rawValue
                    outcome.job = found.jobID
                    switch found.outcome {
                    case .queued:
                        say("\(drop.name): queued as job \(found.jobID ?? "?")")
                    case .rejected:
                        outcome.reason = found.reason
                        outcome.problems = Self.problems(besides: found.failedPath)
                        outcome.exitCode = 14
                        warn("\(drop.name): rejected: \(found.reason)")
                        outcome.problems.forEach { warn("  \($0)") }
                        if let kept = found.failedPath { warn("  the bundle is kept in \(kept) (reason in \(kept).error.json)") }
                        return outcome
                    case .duplicate:
                        outcome.reason = found.reason
                        outcome.exitCode = 15
                        warn("\(drop.name): \(found.reason)")
                        return outcome
                    }
                }
                if let id = record?.jobID, let job = try? store.job(id: id) {
                    if job.state != lastState {
                        let summary = try? store.status(limit: 500).jobs.first { $0.job.id == id }
                        say("\(job.id): \(job.state.rawValue): \(summary?.displayReason ?? job.reason)")
                        lastState = job.state
                    }
                    if job.state.isFinal {
                        outcome.state = job.state.rawValue
                        outcome.reason = job.reason
                        outcome.best = job.bestMetricValue
                        outcome.outbox = job.outboxPath
                        outcome.exitCode = Self.exitCode(job.state)
                        if let best = job.bestMetricValue { say("\(job.id): best \(job.task.primaryMetric) \(String(format: "%.4f", best))") }
                        if let outbox = job.outboxPath { say("\(job.id): outbox \(outbox)") }
                        return outcome
                    }
                }
            }
            if let timeout, Date().timeIntervalSince(started) > timeout {
                warn("\(drop.name): still not finished after \(Int(timeout)) s")
                outcome.reason = "still not finished after \(Int(timeout)) s"
                outcome.exitCode = 1
                return outcome
            }
            Thread.sleep(forTimeInterval: 0.5)
        }
    }

    /// The problems listed in a rejected drop's `.error.json` (none where it cannot be read).
    static func problems(besides failedPath: String?) -> [String] {
        guard let failedPath else { return [] }
        let url = URL(fileURLWithPath: failedPath + RejectionDocument.suffix)
        return (try? RejectionDocument.read(from: url))?.problems ?? []
    }
}
