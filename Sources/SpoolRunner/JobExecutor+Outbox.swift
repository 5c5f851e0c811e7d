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
        let bestDirectory = best.map { trialDirectory(job.id, $0.number) }
        let metricsURL = bestDirectory?.appendingPathComponent(MetricsDocument.fileName)
        let metrics = metricsURL.flatMap { try? MetricsDocument.read(from: $0) }
        let bestMetric = metrics.map { (name: $0.primaryMetric.name, value: $0.primaryMetric.value) }
        log(job.id, "\(state.rawValue): \(reason)")
        var epochs: [Int64: [EpochMetric]] = [:]
        for trial in trials { epochs[trial.id] = (try? store.epochs(trialID: trial.id)) ?? [] }
        let report = TrialsReport(metricName: job.task.primaryMetric, varying: plan?.varyingNames ?? [], trials: trials,
                                  epochs: { epochs[$0] ?? [] }, best: best?.number)
        var finished = job
        (finished.state, finished.reason, finished.finishedAt) = (state, reason, now())
        let page = JobReport(job: finished, trials: trials, epochs: epochs, varying: plan?.varyingNames ?? [],
                             bestTrial: best?.number, bestMetrics: metrics, bestDirectory: bestDirectory,
                             outboxDirectory: layout.outbox(job.id), trialDirectory: { self.trialDirectory(job.id, $0) },
                             generatedAt: now())
        var files = ["model/ (weights.safetensors, model.json, score.py, spool_scoring/)", "metrics.json", "trials.csv", "trials.json", "report.html",
                     "job.json", "job.log", "train.log"]
        if best == nil { files.removeAll { $0.hasPrefix("model/") || $0 == "metrics.json" || $0 == "train.log" } }
        if comparison != nil { files.append("comparison.json") }
        let sweep = plan.map { plan in
            JobDocument.SweepSummary(samplingAlgorithm: plan.algorithm.rawValue, maxTrials: plan.maxTrials,
                                     maxConcurrentTrials: plan.maxConcurrentTrials, varying: plan.varyingNames, trialsRun: trials.count,
                                     autoMode: plan.space?.branches.first?.keyPath.hasPrefix("AutoMode") == true)
        }
        let document = JobDocument(
            id: job.id, name: job.name, task: job.task, state: state.rawValue, reason: reason, createdAt: job.createdAt,
            startedAt: job.startedAt, finishedAt: now(), attempts: job.attempts, settings: ResolvedSettings.decode(job.settingsJSON),
            sweep: sweep, bestTrial: best?.number, best: metrics?.primaryMetric, comparison: comparison, outboxFiles: files)
        var outboxPath: String?
        do {
            let documentData = try document.jsonData()
            var extraFiles = ["trials.csv": report.csv(), TrialsDocument.fileName: try report.json(), "report.html": page.data()]
            if let comparison { extraFiles["comparison.json"] = try ContractCoding.encoder().encode(comparison) }
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
        do { try OutboxIndex(layout: layout).write(store: store, generatedAt: now()) } catch { log(job.id, "cannot write outbox/index.html: \(error)") }
        log(job.id, "\(state.rawValue)\(bestMetric.map { ": \($0.0) \(String(format: "%.4f", $0.1))" } ?? "")"
            + (best.map { " (trial \($0.number))" } ?? "") + "; outbox \(outboxPath ?? "none")")
        return state
    }
}
