import Foundation
import SpoolCore
import SpoolStore

extension JobExecutor {
    /// Compares the job's best model with its lineage's model in use (`outbox/LINEAGE/latest`), scoring the
    /// latter on the new job's validation set in a `spool-trainer evaluate` process.
    func compare(_ job: Job, origin: JobOrigin, lineage: String, newValue: Double) -> ModelComparison {
        let latest = layout.latest(lineage)
        let metric = job.task.primaryMetric
        guard FileManager.default.fileExists(atPath: latest.appendingPathComponent("model.json").path) else {
            return ModelComparison.decide(lineage: lineage, metric: metric, newValue: newValue, previous: nil, promote: origin.promote)
        }
        let model = latest.resolvingSymlinksInPath().path
        let threads = max(1, ProcessInfo.processInfo.activeProcessorCount)
        let (status, out, err) = Self.capture(options.trainer, ["evaluate", "--model", model, "--bundle", layout.bundle(job.id).path,
                                                               "--threads", "\(threads)", "--json"])
        var value: Double?
        var why: String?
        if status == 0, let document = try? ContractCoding.decoder().decode(EvaluationDocument.self, from: Data(out.utf8)) {
            value = document.primaryMetric.value
        } else {
            why = err.split(separator: "\n").last.map(String.init) ?? "evaluate exited with \(status)"
        }
        return ModelComparison.decide(lineage: lineage, metric: metric, newValue: newValue, previous: (model, value, why),
                                      promote: origin.promote)
    }

    /// Points `outbox/LINEAGE/latest` at the job's model (a relative link, swapped atomically) and appends to
    /// the lineage's `history.jsonl`.
    func promote(_ job: Job, lineage: String, comparison: ModelComparison) throws {
        let fm = FileManager.default
        let folder = layout.outbox.appendingPathComponent(lineage)
        try fm.createDirectory(at: folder, withIntermediateDirectories: true)
        let next = folder.appendingPathComponent(".latest-\(job.id)")
        try? fm.removeItem(at: next)
        try fm.createSymbolicLink(atPath: next.path, withDestinationPath: "../\(job.id)/model")
        guard rename(next.path, layout.latest(lineage).path) == 0 else {
            throw RunnerError("cannot move \(layout.latest(lineage).path): \(String(cString: strerror(errno)))")
        }
        let line = LineageEvent(job: job.id, at: now(), metric: comparison.metric, value: comparison.newValue,
                                previousValue: comparison.previousValue, reason: comparison.reason)
        let data = try ContractCoding.encoder(pretty: false).encode(line) + Data("\n".utf8)
        let history = folder.appendingPathComponent("history.jsonl")
        if let handle = FileHandle(forWritingAtPath: history.path) {
            defer { try? handle.close() }
            _ = try? handle.seekToEnd()
            handle.write(data)
        } else {
            try data.write(to: history)
        }
    }

    /// Runs a short child process and returns its status, standard output and standard error.
    static func capture(_ executable: URL, _ arguments: [String]) -> (Int32, String, String) {
        do {
            let output = try ChildProcess.run(executable, arguments,
                                              environment: TrainerEnvironment.apply(to: ProcessInfo.processInfo.environment),
                                              timeout: 3600)
            return (output.succeeded ? 0 : (output.status == 0 ? 1 : output.status), output.stdoutText, output.stderrText)
        } catch {
            return (-1, "", error.description)
        }
    }
}
