import Foundation
import SpoolCore
import SpoolStore
import SpoolSweep
import Synchronization

extension JobExecutor {
    /// Starts one trial on `units`: `spool-trainer train` with the configuration's values as `--set`; or resumes
    /// an interrupted one in its folder, from its checkpoint (`--resume-or-start`).
    func launch(_ job: Job, _ launch: SweepState.Launch, settings: JobSettings, seed: Int, units: [String],
                sweep: inout SweepState) {
        let number = launch.resuming?.number ?? sweep.nextNumber
        let directory = trialDirectory(job.id, number)
        let logFile = directory.deletingLastPathComponent().appendingPathComponent("\(number).log")
        if launch.resuming == nil { try? FileManager.default.removeItem(at: directory) }
        try? FileManager.default.createDirectory(at: directory.deletingLastPathComponent(), withIntermediateDirectories: true)
        let values = launch.configuration.values
        let hyper = SweepState.json(values)
        let device = options.slurm.map { $0.gpusPerTrial > 0 ? "cuda (Slurm)" : "\(options.device) (Slurm)" }
            ?? (pool.kind == .gpu ? "cuda:\(units[0])" : options.device)

        func record(_ state: JobState, _ reason: String) {
            if let trial = try? store.startTrial(jobID: job.id, owner: options.owner, number: number, hyperparametersJSON: hyper,
                                                 device: device, branch: launch.configuration.branch,
                                                 configurationIndex: launch.index, retryOf: launch.retryOf) {
                _ = try? store.finishTrial(trialID: trial.id, state: state, reason: reason)
            }
            sweep.started(launch, number: number)
            sweep.ended(launch, number: number, state: state, value: nil)
            pool.release(units)
            log(job.id, "trial \(number) \(state.rawValue): \(reason)")
        }

        // A value drawn from an unbounded distribution can fall outside the parameter's range: that trial fails.
        let parameters: TrainingParameters
        do {
            parameters = try settings.trainingParameters(overrides: values)
        } catch {
            record(.failed, "the sampled configuration is not valid: \(error.description)")
            return
        }
        // A trial's folder holds its resume checkpoints: started again (after the daemon's death, a Slurm requeue
        // or preemption), it continues from the newest; a new trial's folder is empty, so it starts.
        var arguments = ["train", layout.bundle(job.id).path, "--out", directory.path, "--resume-or-start", "--progress-json",
                         "--quiet", "--seed", "\(seed)"]
        for name in values.keys.sorted() {
            let value = values[name]!
            arguments += ["--set", "\(name)=\(value.stringValue ?? value.description)"]
        }
        if let startFrom { arguments += ["--set", "checkpoint_run_id=\(startFrom)"] }
        for folder in options.weightsDirectories { arguments += ["--weights-dir", folder] }
        var environment = TrainerEnvironment.apply(to: ProcessInfo.processInfo.environment)
        if let slurm = options.slurm {
            // Slurm places the trial; it outlives the daemon (a restart finds it there).
            // Slurm may run it again (a node failure, a preemption, `scontrol requeue`): that run resumes from the
            // checkpoint the first one left (--resume-or-start).
            arguments += ["--device", slurm.gpusPerTrial > 0 ? "cuda" : options.device, "--threads", "\(slurm.cpusPerTrial)"]
        } else {
            environment["SPOOL_PARENT_PID"] = "\(getpid())"  // the trial dies with the daemon
            switch pool.kind {
            case .cpu:
                let threads = min(units.count, options.threads ?? Int.max)
                arguments += ["--device", options.device, "--threads", "\(threads)"]
            case .gpu:
                // The trial sees its GPUs alone, from device 0; on more than one it trains data-parallel, a
                // process per GPU.
                let processes = DevicePool.processes(gpus: units.count, batchSize: parameters.trainingBatchSize)
                environment["CUDA_VISIBLE_DEVICES"] = units.prefix(processes).joined(separator: ",")
                let cores = ProcessInfo.processInfo.activeProcessorCount
                arguments += ["--device", "cuda", "--threads", "\(max(1, cores / max(1, pool.units.count)))"]
                if processes > 1 { arguments += ["--nproc", "\(processes)"] }
            }
        }
        let process = makeTrial(.init(executable: options.trainer, arguments: arguments, environment: environment,
                                      logFile: logFile), jobID: job.id, number: number, directory: directory)
        let trial: Trial
        do {
            if let resuming = launch.resuming {
                trial = try store.resumeTrial(trialID: resuming.id, owner: options.owner, device: device)
            } else {
                trial = try store.startTrial(jobID: job.id, owner: options.owner, number: number, hyperparametersJSON: hyper,
                                             device: device, branch: launch.configuration.branch,
                                             configurationIndex: launch.index, retryOf: launch.retryOf)
            }
        } catch {
            pool.release(units)
            log(job.id, "cannot record trial \(number): \(error)")
            sweep.exhausted = true
            return
        }
        sweep.started(launch, number: number)
        // A resumed trial keeps the evaluations the policy has seen; the epochs it reports again are not new.
        let evaluatedEpochs = launch.resuming == nil ? 0 : ((try? store.epochs(trialID: trial.id)) ?? [])
            .filter { $0.primaryMetric != nil }.map(\.epoch).max() ?? 0
        shared.withLock { if launch.resuming == nil || $0.progress[number] == nil { $0.progress[number] = TrialProgress(number: number, metrics: []) } }
        let running = RunningTrial(trial: trial, process: process, units: units, launch: launch,
                                   batchSize: parameters.trainingBatchSize, started: now(), evaluatedThrough: evaluatedEpochs)
        let policy = sweep.plan.policy
        do {
            try process.start { [weak self] event in self?.handle(event, of: running, jobID: job.id, policy: policy) }
        } catch {
            if refusedBySlurm(error, job: job, launch: launch, trial: trial, number: number, units: units, sweep: &sweep) { return }
            let what = process is SlurmTrial ? "cannot submit the trial to Slurm" : "cannot start the trainer"
            _ = try? store.finishTrial(trialID: trial.id, state: .failed, reason: "\(what): \(ErrorText.describe(error))")
            sweep.ended(launch, number: number, state: .failed, value: nil)
            pool.release(units)
            log(job.id, process is SlurmTrial ? "trial \(number): \(what): \(ErrorText.describe(error))"
                : "cannot start \(options.trainer.path): \(ErrorText.describe(error))")
            sweep.exhausted = true
            return
        }
        if let slurmID = (process as? SlurmTrial)?.slurmJobID {
            _ = try? store.setSlurmJobID(trialID: trial.id, slurmID)
            submitRefusals = 0
        }
        shared.withLock { $0.active[number] = running }
        let summary = values.isEmpty ? "" : " [\(launch.configuration.summary)]"
        let gpus = units.count > 1 ? " x\(units.count) GPUs, data-parallel" : ""
        let share = options.slurm.map { $0.processesPerTrial > 1 ? " \($0.processesPerTrial) processes x\($0.cpusPerTrial), data-parallel" : " x\($0.cpusPerTrial)" }
            ?? (pool.kind == .cpu ? " x\(units.count)" : gpus)
        log(job.id, "trial \(number) \(launch.resuming == nil ? "started" : "resumes") (\(process.placement), \(device)\(share))\(summary)"
            + (launch.retryOf.map { " retrying trial \($0) with training_batch_size \(parameters.trainingBatchSize)" } ?? ""))
    }

    /// Slurm refused to queue a trial (`sbatch` failed: a controller that timed out, a limit on a user's queued
    /// jobs): the trial is FAILED with Slurm's reason, its configuration is tried again, and nothing is submitted
    /// for six polls. After five refusals in a row the sweep launches no more trials. False for any other error.
    func refusedBySlurm(_ error: any Error, job: Job, launch: SweepState.Launch, trial: Trial, number: Int, units: [String],
                        sweep: inout SweepState) -> Bool {
        guard let slurm = options.slurm, let refusal = error as? SlurmError, case .refused = refusal else { return false }
        submitRefusals += 1
        guard submitRefusals < 5 else {
            log(job.id, "Slurm refused \(submitRefusals) submissions in a row: no more trials are launched")
            return false
        }
        let wait = max(1, slurm.pollSeconds * 6)
        submitPausedUntil = now().addingTimeInterval(wait)
        _ = try? store.finishTrial(trialID: trial.id, state: .failed,
                                   reason: "Slurm refused to queue it (\(refusal)); its configuration is tried again")
        sweep.ended(launch, number: number, state: .failed, value: nil)
        sweep.retries.append(SweepState.Launch(index: launch.index, configuration: launch.configuration, retryOf: nil))
        pool.release(units)
        log(job.id, "trial \(number): Slurm refused to queue it (\(refusal)); trying its configuration again in \(Int(wait)) s")
        return true
    }

    /// The trial's process: a child of the daemon, or a Slurm batch job whose time limit is what is left of the
    /// job's budget (and at most the trial's own).
    func makeTrial(_ launch: TrialProcess.Launch, jobID: String, number: Int, directory: URL) -> any TrialHandle {
        guard let slurm = options.slurm else { return TrialProcess(launch) }
        var seconds = max(60, (deadline ?? now().addingTimeInterval(86_400)).timeIntervalSince(now()))
        if let trialBudget { seconds = min(seconds, max(60, trialBudget)) }
        var minutes = Int((seconds / 60).rounded(.up))
        // No more than the partition allows: a job asking more would wait for ever (PartitionTimeLimit). A trial
        // cut short there goes on in a new batch job, from its checkpoint.
        var cut = false
        if let limit = slurm.maxTimeMinutes, limit < minutes { (minutes, cut) = (limit, true) }
        let trial = SlurmTrial(launch, jobName: "spool-\(jobID)-t\(number)", workingDirectory: directory.deletingLastPathComponent(),
                          settings: slurm, client: SlurmClient(environment: slurm.environment),
                          timeLimitMinutes: minutes,
                          // Slurm may send its warning up to a minute early: only trials of 5 minutes or more get one.
                          warningSeconds: minutes >= 5 ? 90 : nil, follower: slurmFollower)
        trial.cutByPartition = cut
        return trial
    }

    /// Follows again the trials an earlier daemon left running in Slurm (their ids are in the store): they are
    /// not submitted twice. Each takes a place in the pool and ends as any other trial.
    func reattach(_ job: Job, settings: JobSettings, sweep: inout SweepState) {
        let left = ((try? store.trials(jobID: job.id)) ?? []).filter { $0.state == .running && $0.slurmJobID != nil }
        for trial in left {
            guard let slurmID = trial.slurmJobID else { continue }
            let values = SweepState.values(trial.hyperparametersJSON)
            let launch = SweepState.Launch(index: trial.configurationIndex ?? trial.number,
                                           configuration: Configuration(branch: trial.branch ?? 0, values: values),
                                           retryOf: trial.retryOf)
            let units = pool.tryAcquire(order: order, count: 1) ?? []
            let directory = trialDirectory(job.id, trial.number)
            let logFile = directory.deletingLastPathComponent().appendingPathComponent("\(trial.number).log")
            let handle = SlurmTrial(.init(executable: options.trainer, arguments: [], environment: [:], logFile: logFile),
                                    jobName: "spool-\(job.id)-t\(trial.number)", workingDirectory: directory.deletingLastPathComponent(),
                                    settings: options.slurm ?? SlurmExecutorSettings(),
                                    client: SlurmClient(environment: options.slurm?.environment ?? [:]),
                                    timeLimitMinutes: 1, warningSeconds: nil, follower: slurmFollower)
            let batchSize = (try? settings.trainingParameters(overrides: values))?.trainingBatchSize ?? 1
            // The progress file is read again from its start: the epochs the store has are not new to the policy.
            let evaluatedEpochs = ((try? store.epochs(trialID: trial.id)) ?? []).filter { $0.primaryMetric != nil }.map(\.epoch).max() ?? 0
            let running = RunningTrial(trial: trial, process: handle, units: units, launch: launch, batchSize: batchSize,
                                       started: trial.startedAt ?? now(), evaluatedThrough: evaluatedEpochs)
            sweep.started(launch, number: trial.number)
            shared.withLock { if $0.progress[trial.number] == nil { $0.progress[trial.number] = TrialProgress(number: trial.number, metrics: []) } }
            let policy = sweep.plan.policy
            handle.attach(slurmJobID: slurmID) { [weak self] event in
                self?.handle(event, of: running, jobID: job.id, policy: policy)
            }
            shared.withLock { $0.active[trial.number] = running }
            log(job.id, "trial \(trial.number) re-attached (Slurm job \(slurmID)), left by an earlier daemon")
        }
    }

    /// One progress event of a trial: epochs go to the store; an evaluation goes to the policy.
    func handle(_ event: ProgressEvent, of running: RunningTrial, jobID: String, policy: (any EarlyTerminationPolicy)?) {
        running.latest = event
        // The latest progress goes to the store for `spoolctl status`: every epoch and evaluation, steps at most
        // once a second.
        let at = now()
        if event.kind != .step || running.progressStoredAt.map({ at.timeIntervalSince($0) >= 1 }) ?? true {
            var brief = event
            (brief.record, brief.losses) = (nil, nil)
            if (try? store.recordProgress(trialID: running.trial.id, json: String(decoding: brief.jsonLine(), as: UTF8.self))) != nil {
                running.progressStoredAt = at
            }
        }
        logProgress(event, of: running, jobID: jobID, at: at)
        if event.kind == .resumed {
            _ = try? store.recordResume(trialID: running.trial.id, afterEpoch: event.epoch)
            JobLog.append(layout.jobLog(jobID), jobID: jobID, "trial \(running.trial.number) resumed after epoch \(event.epoch) (its checkpoint)")
            return
        }
        guard event.kind == .epoch, let record = event.record else { return }
        let epoch = record.epoch
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let metricsJSON = record.metrics.flatMap { try? encoder.encode($0) }.map { String(decoding: $0, as: UTF8.self) }
        let primary = record.metrics == nil ? nil : event.metricValue
        _ = try? store.recordEpoch(trialID: running.trial.id, epoch: epoch, trainLoss: record.trainLoss.isFinite ? record.trainLoss : nil,
                                   validationLoss: record.validationLoss, primaryMetric: primary,
                                   metricsJSON: metricsJSON ?? "{}")
        guard let primary else { return }
        let number = running.trial.number
        // An epoch reported again (a resumed run repeats those its checkpoint holds) is stored again, the same
        // values, but the policy sees each evaluation once.
        guard running.isNewEvaluation(epoch: epoch) else { return }
        JobLog.append(layout.jobLog(jobID), jobID: jobID,
                      "trial \(number) epoch \(epoch): \(event.metricName ?? "metric") \(String(format: "%.4f", primary))")
        let decision: String? = shared.withLock { shared in
            shared.progress[number, default: TrialProgress(number: number, metrics: [])].metrics.append(primary)
            guard let policy, let mine = shared.progress[number] else { return nil }
            return policy.shouldStop(trial: mine, at: mine.metrics.count, among: Array(shared.progress.values))
        }
        if let decision {
            running.stoppedBecause = decision
            JobLog.append(layout.jobLog(jobID), jobID: jobID, "trial \(number) stopped early: \(decision)")
            running.process.stop(.policy, grace: options.graceSeconds)
        }
    }

    /// What a person watching the daemon (`serve --once` in a terminal, or its log) sees of a trial while it
    /// trains: every epoch's losses and metric, and its steps at most every `progressLogSeconds`.
    func logProgress(_ event: ProgressEvent, of running: RunningTrial, jobID: String, at: Date) {
        let trial = "trial \(running.trial.number)"
        switch event.kind {
        case .epoch:
            guard let record = event.record else { return }
            var line = "\(trial) epoch \(event.epoch)/\(event.epochs): train loss \(String(format: "%.4f", record.trainLoss))"
            if let loss = record.validationLoss { line += ", validation loss \(String(format: "%.4f", loss))" }
            if let name = event.metricName, let value = event.metricValue, record.metrics != nil {
                line += ", \(name) \(String(format: "%.4f", value))"
            }
            logger.info("job \(jobID): \(line)")
            running.progressLoggedAt = at
        case .step:
            guard running.progressLoggedAt.map({ at.timeIntervalSince($0) >= options.progressLogSeconds }) ?? true else { return }
            running.progressLoggedAt = at
            let eta = event.etaSeconds.isFinite && event.etaSeconds > 0 ? ", ETA \(Self.duration(event.etaSeconds))" : ""
            let line = "\(trial) epoch \(event.epoch)/\(event.epochs) step \(event.step)/\(event.steps): loss "
                + "\(String(format: "%.4f", event.loss)), \(String(format: "%.1f", event.imagesPerSecond)) img/s\(eta)"
            logger.info("job \(jobID): \(line)")
        default: return
        }
    }

    static func duration(_ seconds: Double) -> String {
        seconds < 90 ? "\(Int(seconds.rounded())) s" : "\(Int((seconds / 60).rounded())) min"
    }

    /// A trial whose process has ended: its final state, its units back to the pool, a retry if it ran out
    /// of memory.
    func reap(_ job: Job, _ running: RunningTrial, sweep: inout SweepState, budget: Int, trialBudget: TimeInterval?) {
        let outcome = running.process.wait()
        let number = running.trial.number
        let state: JobState
        let reason: String
        switch outcome {
        case .completed: (state, reason) = (.completed, "finished")
        case .earlyTerminated:
            (state, reason) = (.cancelled, "early termination: " + (running.stoppedBecause ?? "stopped by the policy"))
        case .timedOut: (state, reason) = (.timeout, "the job's budget ran out while it trained")
        case .trialTimedOut where (running.process as? SlurmTrial)?.cutByPartition == true && now() < (deadline ?? .distantPast):
            // The partition's limit, not the job's budget: the trial resumes in a new batch job.
            (state, reason) = (.pending, "its Slurm time limit (the partition's MaxTime of \((running.process as! SlurmTrial).request.timeLimitMinutes) min) came before the job's budget; it resumes in a new batch job")
        case .trialTimedOut:
            if let slurm = running.process as? SlurmTrial {
                (state, reason) = (.timeout, "its Slurm time limit of \(slurm.request.timeLimitMinutes) min came (--time: "
                    + "what was left of the job's budget, at most trial_timeout_minutes and the partition's limit)")
            } else {
                (state, reason) = (.timeout, "its budget of \(Int((trialBudget ?? 0) / 60)) min (trial_timeout_minutes) ran out")
            }
        case .cancelled: (state, reason) = (.cancelled, "cancelled by the user")
        case .interrupted: (state, reason) = (.pending, "the daemon was stopped")
        case .outOfMemory(let why): (state, reason) = (.outOfMemory, why)
        case .failed(let why): (state, reason) = (.failed, why)
        }
        // Stopped by the daemon's shutdown: it waits to resume from its checkpoint when the job runs again.
        let finished = state == .pending ? (try? store.interruptTrial(trialID: running.trial.id, reason: reason)).map { running.trial }
            : try? store.finishTrial(trialID: running.trial.id, state: state, reason: reason)
        shared.withLock { shared in
            shared.active[number] = nil
            shared.progress[number]?.isFinished = true
        }
        pool.release(running.units)
        if state == .pending {
            // Not an observation: the trial resumes (now if the job goes on, else when it runs again).
            if !isShuttingDown, let trial = try? store.trial(id: running.trial.id) {
                sweep.resumes.append(.init(index: running.launch.index, configuration: running.launch.configuration,
                                           retryOf: running.launch.retryOf, resuming: (trial.number, trial.id)))
            }
        } else {
            sweep.ended(running.launch, number: number, state: state, value: finished?.bestMetricValue)
        }
        let metric = finished?.bestMetricValue.map { String(format: " (best %.4f)", $0) } ?? ""
        log(job.id, "trial \(number) \(state.rawValue)\(metric): \(reason)")
        if state == .outOfMemory, running.launch.retryOf == nil, running.batchSize > 1, !isShuttingDown {
            var values = running.launch.configuration.values
            values["training_batch_size"] = .int(running.batchSize / 2)
            sweep.retries.append(.init(index: running.launch.index,
                                       configuration: Configuration(branch: running.launch.configuration.branch, values: values),
                                       retryOf: number))
            log(job.id, "trial \(number) ran out of memory: retrying once with training_batch_size \(running.batchSize / 2)")
        }
    }
}
