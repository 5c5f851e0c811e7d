import Foundation
import Logging
import SpoolCore
import SpoolStore

/// Runs one claimed job to its end: its trial in a child process, progress into the store, the lease kept
/// alive, the budget and cancellation enforced, the outbox published, the final state recorded.
public final class JobExecutor: @unchecked Sendable {
    public struct Options: Sendable {
        public var trainer: URL
        public var owner: String
        public var leaseSeconds: Double = 60
        public var graceSeconds: Double = 10
        public var pollSeconds: Double = 0.5
        public var device = "cpu"
        /// Threads for each trial (nil: libtorch's default, every core).
        public var threads: Int?
        /// An operator's cap on any job's budget, whatever its timeout_minutes (like Slurm's MaxTime).
        public var maxJobSeconds: Int?
        public init(trainer: URL, owner: String) {
            self.trainer = trainer
            self.owner = owner
        }
    }

    let layout: SpoolLayout
    let store: JobStore
    let options: Options
    let logger: Logger
    let now: @Sendable () -> Date
    private let lock = NSLock()
    private var shuttingDown = false
    private var current: TrialProcess?

    public init(layout: SpoolLayout, store: JobStore, options: Options, logger: Logger,
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.layout = layout
        self.store = store
        self.options = options
        self.logger = logger
        self.now = now
    }

    /// Stops the running trial so that its job is requeued (daemon shutdown).
    public func shutdown() {
        lock.lock()
        shuttingDown = true
        let trial = current
        lock.unlock()
        trial?.stop(.shutdown, grace: options.graceSeconds)
    }

    func log(_ jobID: String, _ line: String) {
        JobLog.append(layout.jobLog(jobID), jobID: jobID, line)
        logger.info("job \(jobID): \(line)")
    }

    /// Runs the job (blocking) and returns its final state.
    @discardableResult
    public func run(_ job: Job) -> JobState {
        let jobDir = layout.job(job.id)
        let trialNumber = (try? store.trials(jobID: job.id).count) ?? 0
        let trialDir = jobDir.appendingPathComponent("trials/\(trialNumber)")
        let trialLog = jobDir.appendingPathComponent("trials/\(trialNumber).log")
        try? FileManager.default.removeItem(at: trialDir)
        try? FileManager.default.createDirectory(at: trialDir.deletingLastPathComponent(), withIntermediateDirectories: true)
        let settings = (try? JSONSerialization.jsonObject(with: Data(job.settingsJSON.utf8))) as? [String: Any] ?? [:]
        let parameters = settings["training_parameters"] as? [String: Any] ?? [:]
        let seed = (parameters["seed"] as? Int) ?? 0

        var arguments = ["train", layout.bundle(job.id).path, "--out", trialDir.path, "--progress-json", "--quiet",
                         "--seed", "\(seed)", "--device", options.device]
        if let threads = options.threads { arguments += ["--threads", "\(threads)"] }
        var environment = TrainerEnvironment.apply(to: ProcessInfo.processInfo.environment)
        environment["SPOOL_PARENT_PID"] = "\(getpid())"  // the trial dies with the daemon
        let trialProcess = TrialProcess(.init(executable: options.trainer, arguments: arguments,
                                              environment: environment, logFile: trialLog))
        let hyper = (try? JSONSerialization.data(withJSONObject: parameters, options: [.sortedKeys]))
            .map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        let trial: Trial
        do {
            trial = try store.startTrial(jobID: job.id, owner: options.owner, number: trialNumber,
                                         hyperparametersJSON: hyper, device: options.device)
        } catch {
            log(job.id, "cannot record the trial: \(error)")
            return finish(job, state: .failed, reason: "cannot record the trial: \(error)", trialDir: nil)
        }
        let store = self.store
        let jobID = job.id
        do {
            try trialProcess.start { line in
                guard line["type"] as? String == "epoch", let record = line["record"] as? [String: Any],
                      let epoch = record["epoch"] as? Int else { return }
                let metrics = record["metrics"] as? [String: Any]
                let metricsJSON = metrics.flatMap { try? JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]) }
                    .map { String(decoding: $0, as: UTF8.self) }
                let primary = line["metric_value"] as? Double
                _ = try? store.recordEpoch(trialID: trial.id, epoch: epoch, trainLoss: record["train_loss"] as? Double,
                                           validationLoss: record["validation_loss"] as? Double,
                                           primaryMetric: metrics == nil ? nil : primary, metricsJSON: metricsJSON ?? "{}")
                if metrics != nil, let primary {
                    JobLog.append(self.layout.jobLog(jobID), jobID: jobID,
                                  "trial \(trialNumber) epoch \(epoch): \(line["metric_name"] as? String ?? "metric") \(String(format: "%.4f", primary))")
                }
            }
        } catch {
            _ = try? store.finishTrial(trialID: trial.id, state: .failed, reason: "cannot start the trainer: \(error)")
            return finish(job, state: .failed, reason: "cannot start \(options.trainer.path): \(error)", trialDir: nil)
        }
        lock.lock()
        current = trialProcess
        let alreadyStopping = shuttingDown
        lock.unlock()
        if alreadyStopping { trialProcess.stop(.shutdown, grace: options.graceSeconds) }
        log(job.id, "trial \(trialNumber) started (pid \(trialProcess.pid), budget \(job.budgetSeconds) s)")

        // Supervise: heartbeat, budget, cancellation.
        let started = job.startedAt ?? now()
        let budget = min(job.budgetSeconds, options.maxJobSeconds ?? Int.max)
        let deadline = started.addingTimeInterval(TimeInterval(budget))
        while trialProcess.isRunning {
            Thread.sleep(forTimeInterval: options.pollSeconds)
            if (try? store.heartbeat(jobID: job.id, owner: options.owner, leaseSeconds: options.leaseSeconds)) == nil {
                log(job.id, "lost the lease; stopping the trial")
                trialProcess.stop(.shutdown, grace: options.graceSeconds)
            }
            if now() >= deadline { trialProcess.stop(.timeout, grace: options.graceSeconds) }
            if let current = try? store.job(id: job.id), current.cancelRequested {
                trialProcess.stop(.cancel, grace: options.graceSeconds)
            }
        }
        let outcome = trialProcess.wait()
        lock.lock()
        current = nil
        lock.unlock()

        let hasModel = FileManager.default.fileExists(atPath: trialDir.appendingPathComponent("model/model.json").path)
        switch outcome {
        case .completed:
            _ = try? store.finishTrial(trialID: trial.id, state: .completed, reason: "finished")
            return finish(job, state: .completed, reason: "finished", trialDir: trialDir)
        case .timedOut:
            let reason = (budget < job.budgetSeconds ? "the daemon's cap of \(budget) s (--max-job-seconds) ran out"
                : "the budget of \(budget / 60) min (timeout_minutes) ran out") + (hasModel ? "; the best epoch so far is the result" : " before any evaluation")
            _ = try? store.finishTrial(trialID: trial.id, state: .timeout, reason: reason)
            return finish(job, state: .timeout, reason: reason, trialDir: hasModel ? trialDir : nil)
        case .cancelled:
            _ = try? store.finishTrial(trialID: trial.id, state: .cancelled, reason: "cancelled by the user")
            return finish(job, state: .cancelled, reason: "cancelled by the user (spoolctl cancel)", trialDir: hasModel ? trialDir : nil)
        case .outOfMemory(let why):
            _ = try? store.finishTrial(trialID: trial.id, state: .outOfMemory, reason: why)
            return finish(job, state: .outOfMemory, reason: why, trialDir: nil)
        case .failed(let why):
            _ = try? store.finishTrial(trialID: trial.id, state: .failed, reason: why)
            return finish(job, state: .failed, reason: why, trialDir: nil)
        case .interrupted:
            _ = try? store.finishTrial(trialID: trial.id, state: .cancelled, reason: "interrupted: the daemon stopped")
            _ = try? store.release(jobID: job.id, owner: options.owner, reason: "requeued: the daemon was stopped while it ran")
            log(job.id, "interrupted by the daemon's shutdown; requeued")
            return .pending
        }
    }

    func finish(_ job: Job, state: JobState, reason: String, trialDir: URL?) -> JobState {
        var outboxPath: String?
        var best: (String, Double)?
        if let trialDir, let data = FileManager.default.contents(atPath: trialDir.appendingPathComponent("metrics.json").path),
           let metrics = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           let primary = metrics["primary_metric"] as? [String: Any],
           let name = primary["name"] as? String, let value = primary["value"] as? Double {
            best = (name, value)
        }
        if trialDir != nil || state != .completed {
            log(job.id, "\(state.rawValue): \(reason)")
        }
        // Publish what there is: the model and metrics when a trial produced them, the logs always.
        let settings = (try? JSONSerialization.jsonObject(with: Data(job.settingsJSON.utf8))) ?? [:]
        let stamp = ISO8601DateFormatter()
        let document: [String: Any] = [
            "id": job.id, "name": job.name, "task": job.task.rawValue, "state": state.rawValue, "reason": reason,
            "created_at": stamp.string(from: job.createdAt), "task_settings": job.task.rawValue,
            "started_at": job.startedAt.map { stamp.string(from: $0) } ?? "",
            "finished_at": stamp.string(from: now()),
            "attempts": job.attempts,
            "settings": settings,
            "best": best.map { ["name": $0.0, "value": $0.1] as [String: Any] } ?? NSNull(),
            "outbox_files": ["model/ (weights.safetensors, model.json)", "metrics.json", "job.json", "job.log", "train.log"],
        ]
        let documentData = (try? JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        do {
            let trialLogs = (try? FileManager.default.contentsOfDirectory(at: layout.job(job.id).appendingPathComponent("trials"),
                                                                          includingPropertiesForKeys: nil)) ?? []
            let url = try OutboxWriter(layout: layout).publish(
                jobID: job.id,
                contents: .init(trialOutput: trialDir, jobDocument: documentData,
                                logs: [layout.jobLog(job.id)] + trialLogs.filter { $0.pathExtension == "log" }.sorted { $0.path < $1.path }))
            outboxPath = url.path
        } catch {
            log(job.id, "cannot write the outbox: \(error)")
        }
        do {
            try store.finish(jobID: job.id, owner: options.owner, state: state, reason: reason,
                             best: best.map { BestMetric(name: $0.0, value: $0.1) }, outbox: outboxPath)
        } catch {
            logger.error("job \(job.id): cannot record the final state \(state.rawValue): \(error)")
        }
        log(job.id, "\(state.rawValue)\(best.map { ": \($0.0) \(String(format: "%.4f", $0.1))" } ?? ""); outbox \(outboxPath ?? "none")")
        return state
    }
}
