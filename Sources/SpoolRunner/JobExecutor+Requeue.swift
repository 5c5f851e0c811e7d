import Foundation
import SpoolCore
import SpoolStore

extension JobExecutor {
    /// A requeued job (`spoolctl requeue`, without `--restart`) continues the job it requeues: that job's
    /// finished trials (completed, or stopped by the policy) are its own, their folders linked; its other trials
    /// resume from their checkpoints (PENDING, their folders linked, their logs copied); a trial without a
    /// checkpoint runs its configuration anew.
    func adoptTrials(of earlier: String, into job: Job) {
        let trials = ((try? store.trials(jobID: earlier)) ?? []).sorted { $0.number < $1.number }
        guard !trials.isEmpty else { return }
        var resumed = 0, kept = 0, anew = 0
        for trial in trials {
            let source = trialDirectory(earlier, trial.number), target = trialDirectory(job.id, trial.number)
            let finished = trial.state == .completed || trial.reason.hasPrefix("early termination")
            let resumable = !finished && Self.hasResumeCheckpoint(source)
            let state: JobState, reason: String
            if finished {
                (state, reason) = (trial.state, trial.reason)
                kept += 1
            } else if resumable {
                (state, reason) = (.pending, "requeued from \(earlier) (\(trial.state.rawValue): \(trial.reason)); it resumes from its last checkpoint")
                resumed += 1
            } else {
                // No checkpoint to continue from: its configuration runs again as a new trial.
                (state, reason) = (.cancelled, "interrupted: \(trial.state.rawValue) in \(earlier) before any checkpoint; its configuration runs again")
                anew += 1
            }
            do {
                if finished || resumable {
                    try? FileManager.default.removeItem(at: target)
                    try Self.share(source, to: target)
                    let log = "\(trial.number).log"
                    let logs = (source.deletingLastPathComponent().appendingPathComponent(log), target.deletingLastPathComponent().appendingPathComponent(log))
                    if FileManager.default.fileExists(atPath: logs.0.path) {
                        try? FileManager.default.removeItem(at: logs.1)
                        try FileManager.default.copyItem(at: logs.0, to: logs.1)
                    }
                }
                try store.adoptTrial(trial, into: job.id, owner: options.owner, state: state, reason: reason)
            } catch {
                log(job.id, "trial \(trial.number) of \(earlier) cannot be taken over (\(ErrorText.describe(error))); its configuration runs again")
            }
        }
        log(job.id, "continues \(earlier): \(kept) finished trial\(kept == 1 ? "" : "s") kept, \(resumed) resume from their checkpoints"
            + (anew > 0 ? ", \(anew) run again (no checkpoint)" : "") + " (`spoolctl requeue --restart` starts over)")
    }

    /// The earlier trial's folder for the new one: weights and checkpoints (`.safetensors`, large, only ever
    /// replaced by a rename) hard-linked, everything else (logs appended to, images rewritten in place) copied, so
    /// that the earlier job's folder stays as it was.
    static func share(_ source: URL, to target: URL) throws {
        let fm = FileManager.default
        try fm.createDirectory(at: target, withIntermediateDirectories: true)
        for name in try fm.contentsOfDirectory(atPath: source.path) {
            let from = source.appendingPathComponent(name), to = target.appendingPathComponent(name)
            var isFolder: ObjCBool = false
            guard fm.fileExists(atPath: from.path, isDirectory: &isFolder) else { continue }
            if isFolder.boolValue {
                try share(from, to: to)
            } else if name.hasSuffix(".safetensors"), link(from.path, to.path) == 0 {
                continue
            } else {
                try fm.copyItem(at: from, to: to)
            }
        }
    }

    /// Whether a trial's folder holds a resume checkpoint (`checkpoints/resume/epoch-NNNN`); the trainer checks
    /// that it is intact when it resumes.
    static func hasResumeCheckpoint(_ trialFolder: URL) -> Bool {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: trialFolder.appendingPathComponent("checkpoints/resume").path)) ?? []
        return names.contains { $0.hasPrefix("epoch-") && !$0.contains(".") }
    }
}
