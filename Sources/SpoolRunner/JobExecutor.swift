import Foundation
import Logging
import SpoolCore
import SpoolStore
import SpoolSweep
import Synchronization

/// Runs one claimed job to its end: a sweep of trials (one when the settings have no search space), each in a
/// child process; progress into the store; the early-termination policy applied after every evaluation; the
/// lease kept alive; the job's budget, the trials' budgets and cancellation enforced; the best trial's model
/// published to the outbox with `trials.csv` and `trials.json`; the final state recorded.
///
/// Up to `max_concurrent_trials` trials run at once, each on the units it took from the daemon's
/// `DevicePool` (a GPU, or its share of the cores). One trial failing does not fail the job; a trial that
/// runs out of memory is retried once with half the batch size.
public final class JobExecutor: Sendable {
    public struct Options: Sendable {
        public var trainer: URL
        public var owner: String
        public var leaseSeconds: Double = 60
        public var graceSeconds: Double = 10
        /// How often a trial's step progress is logged (its epochs always are).
        public var progressLogSeconds: Double = 30
        public var pollSeconds: Double = 0.5
        /// The clock the supervision loop waits on between two looks at the trials (a test's own clock).
        public var clock: any Clock<Duration> = ContinuousClock()
        public var device = "cpu"
        /// A cap on each trial's threads (nil: the trial's share of the cores).
        public var threads: Int?
        /// An operator's cap on any job's budget, whatever its timeout_minutes (like Slurm's MaxTime).
        public var maxJobSeconds: Int?
        /// Folders of reference weights every trial searches (`serve --weights-dir`; `spool/weights`).
        public var weightsDirectories: [String] = []
        /// Where trials run: nil, as child processes of the daemon; set, as Slurm batch jobs (`serve --executor
        /// slurm`).
        public var slurm: SlurmExecutorSettings?
        /// Follows the Slurm trials of every job (the daemon's one); nil, each executor has one of its own.
        public var slurmFollower: SlurmFollower?
        public init(trainer: URL, owner: String) {
            self.trainer = trainer
            self.owner = owner
        }
    }

    let layout: SpoolLayout
    let store: JobStore
    let options: Options
    let logger: Logger
    let pool: DevicePool
    /// The job's place in the daemon's first-in-first-out order for the pool's units.
    let order: Int
    let now: @Sendable () -> Date
    /// Follows this job's Slurm trials (with the daemon's other ones when the daemon gave one).
    let slurmFollower: SlurmFollower?
    /// What the supervising task and the trials' progress callbacks (reader threads) share, behind one lock.
    struct Shared {
        var shuttingDown = false
        /// Trials running now, by trial number.
        var active: [Int: RunningTrial] = [:]
        /// Lease renewals that failed in a row with a transient error.
        var heartbeatFailures = 0
        /// The primary metric of every trial of the job at each evaluation, by trial number (policy input).
        var progress: [Int: TrialProgress] = [:]
        var startFrom: String?
        var origin: JobOrigin?
        var deadline: Date?
        var trialBudget: TimeInterval?
        var submitPausedUntil: Date?
        var submitRefusals = 0
    }
    let shared = Mutex(Shared())
    /// Lease renewals that failed in a row with a transient error.
    var heartbeatFailures: Int {
        get { shared.withLock { $0.heartbeatFailures } }
        set { shared.withLock { $0.heartbeatFailures = newValue } }
    }
    /// A model folder every trial starts from (a warm start, or `checkpoint_run_id` naming a job).
    var startFrom: String? {
        get { shared.withLock { $0.startFrom } }
        set { shared.withLock { $0.startFrom = newValue } }
    }
    /// Set when Spool made the job's bundle (a schedule, a retrain).
    var origin: JobOrigin? {
        get { shared.withLock { $0.origin } }
        set { shared.withLock { $0.origin = newValue } }
    }
    /// The job's deadline and each trial's own budget, while it runs (a Slurm trial's `--time`).
    var deadline: Date? {
        get { shared.withLock { $0.deadline } }
        set { shared.withLock { $0.deadline = newValue } }
    }
    var trialBudget: TimeInterval? {
        get { shared.withLock { $0.trialBudget } }
        set { shared.withLock { $0.trialBudget = newValue } }
    }
    /// Slurm refused a submission (a controller that timed out, a limit on queued jobs): no trial is submitted
    /// before this time. `submitRefusals` counts the refusals in a row.
    var submitPausedUntil: Date? {
        get { shared.withLock { $0.submitPausedUntil } }
        set { shared.withLock { $0.submitPausedUntil = newValue } }
    }
    var submitRefusals: Int {
        get { shared.withLock { $0.submitRefusals } }
        set { shared.withLock { $0.submitRefusals = newValue } }
    }

    public init(layout: SpoolLayout, store: JobStore, options: Options, logger: Logger, pool: DevicePool? = nil,
                order: Int = 0, now: @escaping @Sendable () -> Date = { Date() }) {
        self.layout = layout
        self.store = store
        self.options = options
        self.logger = logger
        self.pool = pool ?? JobExecutor.defaultPool(device: options.device, slurm: options.slurm)
        self.order = order
        self.now = now
        self.slurmFollower = options.slurmFollower ?? options.slurm.map {
            SlurmFollower(client: SlurmClient(environment: $0.environment), pollSeconds: $0.pollSeconds, clock: options.clock)
        }
    }

    /// The pool a daemon makes for `device`: the cores, the visible GPUs, or the one GPU `cuda:N` names; under
    /// Slurm, one place per trial the daemon may keep there.
    public static func defaultPool(device: String, slurm: SlurmExecutorSettings? = nil,
                                   environment: [String: String] = ProcessInfo.processInfo.environment) -> DevicePool
    {
        if let slurm { return DevicePool(kind: .cpu, units: (0..<max(1, slurm.maxTrials)).map { "slurm\($0)" }) }
        if device.hasPrefix("cuda:") { return DevicePool(kind: .gpu, units: [String(device.dropFirst(5))]) }
        if device == "cuda" { return .gpus(visible: environment["CUDA_VISIBLE_DEVICES"]) }
        return .cpu()
    }

    /// Stops the running trials so that the job is requeued (daemon shutdown). Trials in Slurm go on: the
    /// next daemon re-attaches to them.
    public func shutdown() {
        let trials = shared.withLock { shared in
            shared.shuttingDown = true
            return Array(shared.active.values)
        }
        guard options.slurm == nil else { return }
        trials.forEach { $0.process.stop(.shutdown, grace: options.graceSeconds) }
    }

    var isShuttingDown: Bool { shared.withLock { $0.shuttingDown } }

    func log(_ jobID: String, _ line: String) {
        JobLog.append(layout.jobLog(jobID), jobID: jobID, line)
        logger.info("job \(jobID): \(line)")
    }

    /// Runs the job and returns its final state. Cancelling the calling task stops the trials as `shutdown()`
    /// does: the job is requeued once they have ended.
    @discardableResult
    public func run(_ job: Job) async -> JobState {
        await withTaskCancellationHandler {
            await self.supervise(job)
        } onCancel: {
            self.shutdown()
        }
    }

    /// Waits one poll interval on the options' clock. The wait is not cut short by cancellation: a cancelled
    /// job still waits between looks while its trials stop.
    func pause() async {
        let clock = options.clock, interval = Duration.milliseconds(Int64(options.pollSeconds * 1000))
        _ = await Task { try? await clock.sleep(for: interval) }.value
    }

    func supervise(_ job: Job) async -> JobState {
        defer { pool.setWaiting(order: order, false) }
        let settings: JobSettings
        let plan: SweepPlan
        let seed: Int
        do {
            settings = try loadSettings(job)
            seed = (try settings.firstTrialParameters()).seed ?? 0
            plan = try SweepPlan(settings: settings, seed: UInt64(truncatingIfNeeded: seed))
        } catch {
            return finish(job, state: .failed, reason: "the job's settings cannot be run: \(error)", plan: nil)
        }
        origin = JobOrigin.read(in: layout.bundle(job.id))
        startFrom = resolveStartingModel(settings: settings)
        if let startFrom { log(job.id, "every trial starts from \(startFrom)") }
        if let earlier = origin?.requeueOf, origin?.restart != true, (try? store.trials(jobID: job.id))?.isEmpty ?? false {
            adoptTrials(of: earlier, into: job)
        }
        var sweep = SweepState(plan: plan)
        sweep.resume(from: (try? store.trials(jobID: job.id)) ?? [], epochs: { try? self.store.epochs(trialID: $0) })
        let progress = sweep.progress
        shared.withLock { $0.progress = progress }
        reattach(job, settings: settings, sweep: &sweep)
        if sweep.launched > 0 {
            log(job.id, "resuming the sweep: \(sweep.launched) of \(plan.maxTrials) configurations already tried")
        }
        if plan.space != nil {
            log(job.id, "sweep: \(plan.algorithm.rawValue) sampling, up to \(plan.maxTrials) trials, \(plan.maxConcurrentTrials) at once"
                + (settings.sweep.earlyTermination.map { ", early termination \($0.typeName)" } ?? "")
                + (settings.sweep.searchSpace == nil ? " (AutoMode's space: docs/sweeps.md)" : ""))
        }

        let started = job.startedAt ?? now()
        let budget = min(job.budgetSeconds, options.maxJobSeconds ?? Int.max)
        try? store.setBudgetCap(jobID: job.id, seconds: options.maxJobSeconds)  // what `status` shows as the budget
        let deadline = started.addingTimeInterval(TimeInterval(budget))
        let trialBudget = settings.limits.trialTimeoutMinutes.map { TimeInterval($0 * 60) }
        (self.deadline, self.trialBudget) = (deadline, trialBudget)
        // Under Slurm every trial takes one place: the cores are Slurm's to share.
        let unitsPerTrial = options.slurm == nil ? pool.unitsPerTrial(concurrent: plan.maxConcurrentTrials) : 1
        let concurrency = pool.maxTrials(concurrent: plan.maxConcurrentTrials)
        var stopping: TrialProcess.StopReason?

        while true {
            // Start trials while there is room, in the pool and in the sweep.
            while stopping == nil, !isShuttingDown, runningCount < concurrency, sweep.hasMoreToLaunch, now() < deadline,
                  submitPausedUntil.map({ now() >= $0 }) ?? true {
                guard let units = pool.tryAcquire(order: order, count: unitsPerTrial) else { break }
                guard let next = sweep.next() else {
                    pool.release(units)
                    log(job.id, "the search space is exhausted after \(sweep.launched) configurations")
                    break
                }
                launch(job, next, settings: settings, seed: seed, units: units, sweep: &sweep)
            }
            let wantsMore = stopping == nil && runningCount < concurrency && sweep.hasMoreToLaunch && now() < deadline
            pool.setWaiting(order: order, wantsMore)
            if runningCount == 0 && (!wantsMore || isShuttingDown) { break }
            // Slurm's trials outlive the daemon: it leaves them to the next one.
            if isShuttingDown && options.slurm != nil { break }

            await pause()
            if stopping == nil {
                if isShuttingDown {
                    stopping = .shutdown
                } else if let lost = renewLease(job) {
                    log(job.id, "lost the lease (\(lost)); stopping the trials")
                    stopping = .shutdown
                } else if now() >= deadline {
                    stopping = .timeout
                } else if let current = try? store.job(id: job.id), current.cancelRequested {
                    stopping = .cancel
                }
                if let stopping { stopAll(stopping) }
            }
            // Slurm keeps a trial's budget itself (its --time counts from the start, not from the submission).
            if let trialBudget, options.slurm == nil {
                for trial in runningTrials where now().timeIntervalSince(trial.started) >= trialBudget {
                    trial.process.stop(.trialTimeout, grace: options.graceSeconds)
                }
            }
            for trial in runningTrials where !trial.process.isRunning {
                reap(job, trial, sweep: &sweep, budget: budget, trialBudget: trialBudget)
            }
        }
        // The deadline came between trials: configurations were left untried, so the budget ended the job.
        if stopping == nil, sweep.hasMoreToLaunch, now() >= deadline { stopping = .timeout }
        if stopping == .shutdown || isShuttingDown {
            _ = try? store.release(jobID: job.id, owner: options.owner, reason: "requeued: the daemon was stopped while it ran")
            log(job.id, "interrupted by the daemon's shutdown; requeued (finished trials are kept)")
            return .pending
        }
        return conclude(job, plan: plan, stopping: stopping, budget: budget)
    }

    /// Extends the job's lease. Returns why the lease is lost, or nil while it is held: only the store's word
    /// that the job is someone else's (or finished) loses it. A transient error (SQLITE_BUSY, a full disk for a
    /// moment) is logged and retried on the next turn; the lease itself lasts `leaseSeconds`, and should it
    /// lapse meanwhile, the next renewal is refused with `leaseLost`.
    func renewLease(_ job: Job) -> String? {
        let result = Self.leaseCheck { try store.heartbeat(jobID: job.id, owner: options.owner, leaseSeconds: options.leaseSeconds) }
        switch result {
        case .held:
            heartbeatFailures = 0
            return nil
        case let .lost(why):
            return why
        case let .retry(why):
            heartbeatFailures += 1
            if heartbeatFailures == 1 || heartbeatFailures % 20 == 0 { log(job.id, "cannot renew the lease (\(why)); retrying") }
            return nil
        }
    }

    enum LeaseCheck: Equatable { case held, lost(String), retry(String) }

    /// What a lease renewal's outcome means: lost only when the store says the job is someone else's (or
    /// gone, or finished); any other error is transient.
    static func leaseCheck(_ renew: () throws -> Void) -> LeaseCheck {
        do {
            try renew()
            return .held
        } catch let error as JobStoreError where [.leaseLost, .alreadyFinished, .notFound].contains(error.code) {
            return .lost(error.message)
        } catch {
            return .retry(ErrorText.describe(error))
        }
    }

    var runningCount: Int { shared.withLock { $0.active.count } }
    var runningTrials: [RunningTrial] { shared.withLock { $0.active.values.sorted { $0.trial.number < $1.trial.number } } }

    func stopAll(_ reason: TrialProcess.StopReason) {
        // A daemon that stops (or lost the job) leaves Slurm's trials running for the next one.
        if reason == .shutdown && options.slurm != nil { return }
        for trial in runningTrials { trial.process.stop(reason, grace: options.graceSeconds) }
    }

    func loadSettings(_ job: Job) throws -> JobSettings {
        let bundle = layout.bundle(job.id)
        guard let url = JobBundle.settingsNames.map({ bundle.appendingPathComponent($0) })
            .first(where: { FileManager.default.fileExists(atPath: $0.path) })
        else {
            throw RunnerError("\(bundle.path): the bundle's settings.yaml is missing")
        }
        return try JobSettings.load(from: url)
    }

    /// The final state: the best trial so far wins, whatever stopped the sweep.
    func conclude(_ job: Job, plan: SweepPlan, stopping: TrialProcess.StopReason?, budget: Int) -> JobState {
        let trials = (try? store.trials(jobID: job.id)) ?? []
        let withModels = trials.filter { hasModel(job, $0) }
        let best = Trial.best(of: withModels)
        let bestNote = best.map { "; the best is trial \($0.number)" } ?? ""
        switch stopping {
        case .cancel?:
            return finish(job, state: .cancelled, reason: "cancelled by the user (spoolctl cancel)" + bestNote, plan: plan, best: best)
        case .timeout?:
            let what = budget < job.budgetSeconds ? "the daemon's cap of \(budget) s (--max-job-seconds) ran out"
                : "the budget of \(budget / 60) min (timeout_minutes) ran out"
            return finish(job, state: .timeout,
                          reason: what + (best.map { " after \(trials.count) trials; the best so far (trial \($0.number)) is the result" }
                              ?? " before any evaluation"), plan: plan, best: best)
        default:
            if let best {
                let failed = trials.filter { $0.state == .failed || $0.state == .outOfMemory }.count
                var note = trials.count > 1 ? "\(trials.count) trials, the best is trial \(best.number)"
                    + (failed > 0 ? " (\(failed) failed)" : "") : "finished"
                var comparison: ModelComparison?
                if let origin, let lineage = origin.lineage, let value = best.bestMetricValue {
                    let result = compare(job, origin: origin, lineage: lineage, newValue: value)
                    comparison = result
                    note += "; \(result.reason)"
                }
                return finish(job, state: .completed, reason: note, plan: plan, best: best, comparison: comparison)
            }
            let ended = trials.filter { !$0.reason.hasPrefix("interrupted") }
            let allOOM = !ended.isEmpty && ended.allSatisfy { $0.state == .outOfMemory }
            let first = ended.first.map { "trial \($0.number): \($0.reason)" } ?? "no trial ran"
            let reason = ended.count > 1 ? "every trial failed; \(first)" : (ended.first?.reason ?? "no trial ran")
            return finish(job, state: allOOM ? .outOfMemory : .failed, reason: reason, plan: plan, best: nil)
        }
    }

    /// The model every trial starts from: `checkpoint_run_id` naming an earlier job (its outbox model), or the
    /// warm start a schedule or retrain asked for, unless the settings name their own starting weights.
    func resolveStartingModel(settings: JobSettings) -> String? {
        let given = settings.trainingParameterValues.first { TrainingParameters.canonicalName($0.key) == "checkpoint_run_id" }?
            .value.stringValue
        if let given, given.hasPrefix("j-") {
            let model = layout.outbox(given).appendingPathComponent("model")
            return FileManager.default.fileExists(atPath: model.appendingPathComponent("model.json").path) ? model.path : nil
        }
        let ownWeights = settings.trainingParameterValues.keys.contains {
            ["checkpoint_run_id", "pretrained_weights"].contains(TrainingParameters.canonicalName($0))
        }
        return ownWeights ? nil : origin?.warmStartFrom
    }

    func trialDirectory(_ jobID: String, _ number: Int) -> URL {
        layout.job(jobID).appendingPathComponent("trials/\(number)")
    }

    func hasModel(_ job: Job, _ trial: Trial) -> Bool {
        FileManager.default.fileExists(atPath: trialDirectory(job.id, trial.number).appendingPathComponent("model/model.json").path)
    }
}
