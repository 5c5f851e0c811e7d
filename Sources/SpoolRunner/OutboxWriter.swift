import Foundation

/// Publishes a finished job's results to `outbox/<id>/`, whole or not at all.
///
/// Everything is assembled in `outbox/.staging-<id>` (same filesystem) and renamed into place, so a reader of
/// the outbox never sees half a result, and a crash leaves only a staging folder that the next run removes.
/// The model's files are hard links to the best trial's (`jobs/<id>/trials/N/model`): one copy on disk; a
/// copy only where the outbox is on another filesystem, which the job's log says.
public struct OutboxWriter: Sendable {
    public let layout: SpoolLayout

    public init(layout: SpoolLayout) { self.layout = layout }

    public struct Contents: Sendable {
        /// The trial's output folder (holding `model/`, `metrics.json`, `train.log`).
        public var trialOutput: URL?
        /// `job.json` (serialised): the settings as resolved, timings and final state.
        public var jobDocument: Data
        /// Logs to copy in (job.log first).
        public var logs: [URL]
        /// More files by name (`trials.csv`, `trials.json`).
        public var extraFiles: [String: Data]

        public init(trialOutput: URL?, jobDocument: Data, logs: [URL], extraFiles: [String: Data] = [:]) {
            self.trialOutput = trialOutput
            self.jobDocument = jobDocument
            self.logs = logs
            self.extraFiles = extraFiles
        }
    }

    /// Writes the outbox folder of `jobID` and returns it. An earlier outbox of the same job is kept aside
    /// as `<id>.previous-N` rather than overwritten.
    @discardableResult
    public func publish(jobID: String, contents: Contents) throws -> URL {
        let fm = FileManager.default
        try fm.createDirectory(at: layout.outbox, withIntermediateDirectories: true)
        let staging = layout.outbox.appendingPathComponent(".staging-\(jobID)")
        if fm.fileExists(atPath: staging.path) { try fm.removeItem(at: staging) }
        try fm.createDirectory(at: staging, withIntermediateDirectories: true)
        if let trial = contents.trialOutput {
            // The model and checkpoints are hard links to the trial's files: one copy on disk, shown twice. The
            // resume checkpoints (checkpoints/resume/, the training state) stay with the trial.
            var linking = TreeLinker.Outcome()
            let checkpoints = ((try? fm.contentsOfDirectory(atPath: trial.appendingPathComponent("checkpoints").path)) ?? [])
                .filter { $0 != "resume" }.sorted().map { "checkpoints/\($0)" }
            if !checkpoints.isEmpty {
                try fm.createDirectory(at: staging.appendingPathComponent("checkpoints"), withIntermediateDirectories: true)
            }
            for name in ["model"] + checkpoints {
                let source = trial.appendingPathComponent(name)
                if fm.fileExists(atPath: source.path) {
                    let outcome = try TreeLinker.link(source, to: staging.appendingPathComponent(name))
                    linking.linked += outcome.linked
                    linking.copied += outcome.copied
                    linking.copyReason = linking.copyReason ?? outcome.copyReason
                }
            }
            if linking.copied > 0 {
                JobLog.append(layout.jobLog(jobID), jobID: jobID,
                              "outbox: \(linking.copied) model file(s) copied, not hard-linked: \(linking.copyReason ?? "")")
            }
            let metrics = trial.appendingPathComponent("metrics.json")
            if fm.fileExists(atPath: metrics.path) {
                try fm.copyItem(at: metrics, to: staging.appendingPathComponent("metrics.json"))
            }
            let trainLog = trial.appendingPathComponent("train.log")
            if fm.fileExists(atPath: trainLog.path) {
                try fm.copyItem(at: trainLog, to: staging.appendingPathComponent("train.log"))
            }
        }
        try contents.jobDocument.write(to: staging.appendingPathComponent("job.json"))
        for (name, data) in contents.extraFiles {
            try data.write(to: staging.appendingPathComponent(name))
        }
        var log = Data()
        for url in contents.logs {
            if let part = fm.contents(atPath: url.path) { log.append(part) }
        }
        try log.write(to: staging.appendingPathComponent("job.log"))
        let final = layout.outbox(jobID)
        if fm.fileExists(atPath: final.path) {
            var n = 1
            while fm.fileExists(atPath: final.path + ".previous-\(n)") { n += 1 }
            try fm.moveItem(atPath: final.path, toPath: final.path + ".previous-\(n)")
        }
        try fm.moveItem(at: staging, to: final)
        return final
    }

    /// Removes staging folders a crash left behind.
    public func removeStaleStaging() {
        let fm = FileManager.default
        for name in (try? fm.contentsOfDirectory(atPath: layout.outbox.path)) ?? [] where name.hasPrefix(".staging-") {
            try? fm.removeItem(at: layout.outbox.appendingPathComponent(name))
        }
    }
}
