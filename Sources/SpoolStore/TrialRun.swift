import Foundation
import GRDB

/// One run of a trial: its first start, or a resume after the daemon died or stopped under it.
public struct TrialRun: Sendable, Hashable, Codable, FetchableRecord {
    /// The trial's number within its job.
    public var trial: Int
    /// 1 for the first run, then 2, 3... for each resume.
    public var run: Int
    public var startedAt: Date
    public var finishedAt: Date?
    /// The epoch the run continued after (its trainer's resume checkpoint); nil when it started from the beginning.
    public var resumedAfter: Int?
    /// How it ended ("COMPLETED: finished", "interrupted: the daemon stopped while it ran"); nil while it runs.
    public var outcome: String?

    enum CodingKeys: String, CodingKey {
        case trial, run, startedAt = "started_at", finishedAt = "finished_at", resumedAfter = "resumed_after", outcome
    }

    /// "run 2: resumed after epoch 3, COMPLETED: finished".
    public var summary: String {
        let start = resumedAfter.map { "resumed after epoch \($0)" } ?? (run == 1 ? "started" : "started over (no checkpoint)")
        return "run \(run): \(start), " + (outcome ?? "running")
    }
}
