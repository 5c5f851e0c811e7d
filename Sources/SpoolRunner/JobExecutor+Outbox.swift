import Foundation
import SpoolCore
import SpoolStore
import SpoolSweep

extension JobExecutor {
    /// Publishes the outbox (the best trial's model and metrics, trials.csv and trials.json, report.html,
    /// job.json, the logs) and records the final state.
    func finish(_ job: Job, state: JobState, reason: String, plan: SweepPlan?, best: Trial? = nil,
                comparison: ModelComparison? = nil) -> JobState {
        let trials = (try? store.trials(jobID: job.id)) ?? []
        var bestMetric: (String, Double)?
        let bestDirectory = best.map { trialDirectory(job.id, $0.number) }
        let metricsData = bestDirectory.flatMap { FileManager.default.contents(atPath: $0.appendingPathComponent("metrics.json").path) }
        if let data = metricsData,
           let metrics = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           let primary = metrics["primary_metric"] as? [String: Any],
           let name = primary["name"] as? String, let value = primary["value"] as? Double {
            bestMetric = (name, value)
        }
        log(job.id, "\(state.rawValue): \(reason)")
        var epochs: [Int64: [EpochMetric]] = [:]
        for trial in trials { epochs[trial.id] = (try? store.epochs(trialID: trial.id)) ?? [] }
        let report = TrialsReport(metricName: job.task.primaryMetric, varying: plan?.varyingNames ?? [], trials: trials,
                                  epochs: { epochs[$0] ?? [] }, best: best?.number)
        var finished = job
        (finished.state, finished.reason, finished.finishedAt) = (state, reason, now())
        let page = JobReport(job: finished, trials: trials, epochs: epochs, varying: plan?.varyingNames ?? [],
                             bestTrial: best?.number, bestMetrics: metricsData)
        let settings = (try? JSONSerialization.jsonObject(with: Data(job.settingsJSON.utf8))) ?? [:]
        let stamp = ISO8601DateFormatter()
        var files = ["model/ (weights.safetensors, model.json, score.py)", "metrics.json", "trials.csv", "trials.json", "report.html",
                     "job.json", "job.log", "train.log"]
        if best == nil { files.removeAll { $0.hasPrefix("model/") || $0 == "metrics.json" || $0 == "train.log" } }
        if comparison != nil { files.append("comparison.json") }
        let document: [String: Any] = [
            "id": job.id, "name": job.name, "task": job.task.rawValue, "state": state.rawValue, "reason": reason,
            "created_at": stamp.string(from: job.createdAt),
            "started_at": job.startedAt.map { stamp.string(from: $0) } ?? "",
            "finished_at": stamp.string(from: now()),
            "attempts": job.attempts,
            "settings": settings,
            "sweep": plan.map { plan -> [String: Any] in
                ["sampling_algorithm": plan.algorithm.rawValue, "max_trials": plan.maxTrials,
                 "max_concurrent_trials": plan.maxConcurrentTrials, "varying": plan.varyingNames,
                 "trials_run": trials.count, "auto_mode": plan.space != nil && plan.space?.branches.first?.keyPath.hasPrefix("AutoMode") == true]
            } ?? NSNull(),
            "best_trial": best?.number as Any? ?? NSNull(),
            "comparison": comparison.flatMap { try? JSONSerialization.jsonObject(with: JSONEncoder().encode($0)) } ?? NSNull(),
            "best": bestMetric.map { ["name": $0.0, "value": $0.1] as [String: Any] } ?? NSNull(),
            "outbox_files": files,
        ]
        let documentData = (try? JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        var outboxPath: String?
        var extraFiles = ["trials.csv": report.csv(), "trials.json": report.json(), "report.html": page.data()]
        if let comparison {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            extraFiles["comparison.json"] = try? encoder.encode(comparison)
        }
        do {
            let trialLogs = (try? FileManager.default.contentsOfDirectory(at: layout.job(job.id).appendingPathComponent("trials"),
                                                                          includingPropertiesForKeys: nil)) ?? []
            let logs = trialLogs.filter { $0.pathExtension == "log" }
                .sorted { (Int($0.deletingPathExtension().lastPathComponent) ?? 0) < (Int($1.deletingPathExtension().lastPathComponent) ?? 0) }
            let url = try OutboxWriter(layout: layout).publish(
                jobID: job.id,
                contents: .init(trialOutput: bestDirectory, jobDocument: documentData, logs: [layout.jobLog(job.id)] + logs,
                                extraFiles: extraFiles))
            outboxPath = url.path
            if let comparison, comparison.promoted {
                try promote(job, lineage: comparison.lineage, comparison: comparison)
                log(job.id, "outbox/\(comparison.lineage)/latest now points at this job's model")
            }
        } catch {
            log(job.id, "cannot write the outbox: \(error)")
        }
        do {
            try store.finish(jobID: job.id, owner: options.owner, state: state, reason: reason,
                             best: bestMetric.map { BestMetric(name: $0.0, value: $0.1) }, outbox: outboxPath)
        } catch {
            logger.error("job \(job.id): cannot record the final state \(state.rawValue): \(error)")
        }
        log(job.id, "\(state.rawValue)\(bestMetric.map { ": \($0.0) \(String(format: "%.4f", $0.1))" } ?? "")"
            + (best.map { " (trial \($0.number))" } ?? "") + "; outbox \(outboxPath ?? "none")")
        return state
    }
}
