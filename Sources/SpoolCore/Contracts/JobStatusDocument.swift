import Foundation

/// One job as `spoolctl status --json` shows it: a row of the queue (`jobs[]`), and with its trials' detail
/// `spoolctl status JOB --json`.
///
/// A value the job does not have yet is written as null, never left out (scripts read every key); the detail's
/// keys (`best_trial`, `varying`, `trials_detail`, `files`, `log`) are only in `status JOB --json`.
public struct JobStatusDocument: Codable, Sendable, ContractDocument, Equatable {
    public struct TrialCount: Codable, Sendable, Equatable {
        /// The trials the job runs: the most of those started and its `max_trials`.
        public var total: Int
        /// Those that have ended.
        public var done: Int

        public init(total: Int, done: Int) {
            self.total = total
            self.done = done
        }
    }

    /// A running trial's latest progress event, as the trainer reported it.
    public struct Progress: Codable, Sendable, Equatable {
        /// The trial's number; only in a queue row's list (the trial detail holds its own).
        public var trial: Int?
        public var epoch: Int
        public var epochs: Int
        public var step: Int
        public var steps: Int
        /// Null when the trainer has no measure yet (not finite).
        public var imagesPerSecond: Double?
        public var etaSeconds: Double?
        public var loss: Double?
        /// The event's kind: `step`, `evaluation`, `epoch`, `checkpoint`, `finished`, `resumed`.
        public var event: String

        public init(_ event: ProgressEvent, trial: Int? = nil) {
            func finite(_ x: Double) -> Double? { x.isFinite ? x : nil }
            self.trial = trial
            epoch = event.epoch
            epochs = event.epochs
            step = event.step
            steps = event.steps
            imagesPerSecond = finite(event.imagesPerSecond)
            etaSeconds = finite(event.etaSeconds)
            loss = finite(event.loss)
            self.event = event.kind.rawValue
        }

        enum CodingKeys: String, CodingKey {
            case trial, epoch, epochs, step, steps, imagesPerSecond = "images_per_second", etaSeconds = "eta_seconds", loss, event
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encodeIfPresent(trial, forKey: .trial)
            try c.encode(epoch, forKey: .epoch)
            try c.encode(epochs, forKey: .epochs)
            try c.encode(step, forKey: .step)
            try c.encode(steps, forKey: .steps)
            try c.encode(imagesPerSecond, forKey: .imagesPerSecond)
            try c.encode(etaSeconds, forKey: .etaSeconds)
            try c.encode(loss, forKey: .loss)
            try c.encode(event, forKey: .event)
        }
    }

    /// One trial of the job, in `status JOB --json`'s `trials_detail`.
    public struct Trial: Codable, Sendable, Equatable {
        /// One run of the trial: its first, and one per resume after the daemon died or stopped under it.
        public struct Run: Codable, Sendable, Equatable {
            public var run: Int
            /// The epoch whose checkpoint the run continued from; null for a first run.
            public var resumedAfterEpoch: Int?
            /// How the run ended (`COMPLETED: 2 epochs`); null while it runs.
            public var outcome: String?

            public init(run: Int, resumedAfterEpoch: Int?, outcome: String?) {
                self.run = run
                self.resumedAfterEpoch = resumedAfterEpoch
                self.outcome = outcome
            }

            enum CodingKeys: String, CodingKey { case run, resumedAfterEpoch = "resumed_after_epoch", outcome }

            public func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(run, forKey: .run)
                try c.encode(resumedAfterEpoch, forKey: .resumedAfterEpoch)
                try c.encode(outcome, forKey: .outcome)
            }
        }

        /// One epoch as the store recorded it; a loss or metric not measured that epoch is null.
        public struct Epoch: Codable, Sendable, Equatable {
            public var epoch: Int
            public var trainLoss: Double?
            public var validationLoss: Double?
            public var primaryMetric: Double?

            public init(epoch: Int, trainLoss: Double?, validationLoss: Double?, primaryMetric: Double?) {
                self.epoch = epoch
                self.trainLoss = trainLoss
                self.validationLoss = validationLoss
                self.primaryMetric = primaryMetric
            }

            enum CodingKeys: String, CodingKey {
                case epoch, trainLoss = "train_loss", validationLoss = "validation_loss", primaryMetric = "primary_metric"
            }

            public func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(epoch, forKey: .epoch)
                try c.encode(trainLoss, forKey: .trainLoss)
                try c.encode(validationLoss, forKey: .validationLoss)
                try c.encode(primaryMetric, forKey: .primaryMetric)
            }
        }

        public var number: Int
        public var state: String
        public var reason: String
        public var epochsDone: Int
        /// The trial's best primary metric so far.
        public var best: Double?
        /// True for the job's best trial (its model is the job's result).
        public var isBest: Bool
        /// The model it trains: its sampled `model_name`, else the job's.
        public var model: String?
        /// The search space's branch and the grid's configuration it was sampled from.
        public var branch: Int?
        public var configurationIndex: Int?
        /// The trial this one retries (with a smaller batch, after running out of memory).
        public var retryOf: Int?
        /// Where it ran (`cpu`, `cuda:0`).
        public var device: String?
        public var slurmJobID: String?
        /// The nodes a running Slurm trial runs on, as `squeue` says.
        public var slurmNodes: String?
        public var progress: Progress?
        public var runs: [Run]
        /// Its sampled values by parameter name (empty for a job without a sweep).
        public var hyperparameters: [String: SettingValue]
        public var epochs: [Epoch]

        public init(number: Int, state: String, reason: String, epochsDone: Int, best: Double?, isBest: Bool, model: String?,
                    branch: Int?, configurationIndex: Int?, retryOf: Int?, device: String?, slurmJobID: String?,
                    slurmNodes: String?, progress: Progress?, runs: [Run], hyperparameters: [String: SettingValue],
                    epochs: [Epoch]) {
            self.number = number
            self.state = state
            self.reason = reason
            self.epochsDone = epochsDone
            self.best = best
            self.isBest = isBest
            self.model = model
            self.branch = branch
            self.configurationIndex = configurationIndex
            self.retryOf = retryOf
            self.device = device
            self.slurmJobID = slurmJobID
            self.slurmNodes = slurmNodes
            self.progress = progress
            self.runs = runs
            self.hyperparameters = hyperparameters
            self.epochs = epochs
        }

        enum CodingKeys: String, CodingKey {
            case number, state, reason, epochsDone = "epochs_done", best, isBest = "is_best", model, branch
            case configurationIndex = "configuration_index", retryOf = "retry_of", device, slurmJobID = "slurm_job_id"
            case slurmNodes = "slurm_nodes", progress, runs, hyperparameters, epochs
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(number, forKey: .number)
            try c.encode(state, forKey: .state)
            try c.encode(reason, forKey: .reason)
            try c.encode(epochsDone, forKey: .epochsDone)
            try c.encode(best, forKey: .best)
            try c.encode(isBest, forKey: .isBest)
            try c.encode(model, forKey: .model)
            try c.encode(branch, forKey: .branch)
            try c.encode(configurationIndex, forKey: .configurationIndex)
            try c.encode(retryOf, forKey: .retryOf)
            try c.encode(device, forKey: .device)
            try c.encode(slurmJobID, forKey: .slurmJobID)
            try c.encode(slurmNodes, forKey: .slurmNodes)
            try c.encode(progress, forKey: .progress)
            try c.encode(runs, forKey: .runs)
            try c.encode(hyperparameters, forKey: .hyperparameters)
            try c.encode(epochs, forKey: .epochs)
        }
    }

    /// What `status JOB --json` adds to the row.
    public struct Detail: Sendable, Equatable {
        /// The number of the job's best trial; null until a trial has a metric.
        public var bestTrial: Int?
        /// The hyperparameters its trials vary (`model_name` aside), sorted.
        public var varying: [String]
        public var trials: [Trial]
        /// The outbox's files and folders, sorted (empty until the job has an outbox).
        public var files: [String]
        /// The job's log file.
        public var log: String

        public init(bestTrial: Int?, varying: [String], trials: [Trial], files: [String], log: String) {
            self.bestTrial = bestTrial
            self.varying = varying
            self.trials = trials
            self.files = files
            self.log = log
        }
    }

    public var id: String
    public var name: String
    public var task: ImageTask
    /// Slurm's state names: `PENDING`, `RUNNING`, `COMPLETED`, `FAILED`, `TIMEOUT`, `CANCELLED`, `OUT_OF_MEMORY`.
    public var state: String
    /// Why it is in its state (a pending job: why it waits).
    public var reason: String
    public var trials: TrialCount
    /// Its best primary metric; null until a trial has one.
    public var best: ModelManifest.PrimaryMetric?
    public var outbox: String?
    public var attempts: Int
    /// Times the daemon stopped under it (not counted as attempts).
    public var interruptions: Int
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    /// Seconds from its start to its end (or to now while it runs); null before it starts.
    public var elapsedSeconds: Double?
    /// The budget it runs under: its `timeout_minutes`, or the daemon's `--max-job-seconds` when lower.
    public var budgetSeconds: Int
    /// The daemon's cap, when it is below the job's own budget.
    public var budgetCapSeconds: Int?
    /// Its running trials' latest progress (empty unless it runs).
    public var progress: [Progress]
    /// Only in `status JOB --json`.
    public var detail: Detail?

    public init(id: String, name: String, task: ImageTask, state: String, reason: String, trials: TrialCount,
                best: ModelManifest.PrimaryMetric?, outbox: String?, attempts: Int, interruptions: Int, createdAt: Date,
                startedAt: Date?, finishedAt: Date?, elapsedSeconds: Double?, budgetSeconds: Int, budgetCapSeconds: Int?,
                progress: [Progress], detail: Detail? = nil) {
        self.id = id
        self.name = name
        self.task = task
        self.state = state
        self.reason = reason
        self.trials = trials
        self.best = best
        self.outbox = outbox
        self.attempts = attempts
        self.interruptions = interruptions
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.elapsedSeconds = elapsedSeconds
        self.budgetSeconds = budgetSeconds
        self.budgetCapSeconds = budgetCapSeconds
        self.progress = progress
        self.detail = detail
    }

    enum CodingKeys: String, CodingKey {
        case id, name, task, state, reason, trials, best, outbox, attempts, interruptions, createdAt = "created_at"
        case startedAt = "started_at", finishedAt = "finished_at", elapsedSeconds = "elapsed_seconds"
        case budgetSeconds = "budget_seconds", budgetCapSeconds = "budget_cap_seconds", progress
        case bestTrial = "best_trial", varying, trialsDetail = "trials_detail", files, log
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        name = try c.decode(String.self, forKey: .name)
        task = try c.decode(ImageTask.self, forKey: .task)
        state = try c.decode(String.self, forKey: .state)
        reason = try c.decode(String.self, forKey: .reason)
        trials = try c.decode(TrialCount.self, forKey: .trials)
        best = try c.decodeIfPresent(ModelManifest.PrimaryMetric.self, forKey: .best)
        outbox = try c.decodeIfPresent(String.self, forKey: .outbox)
        attempts = try c.decode(Int.self, forKey: .attempts)
        interruptions = try c.decode(Int.self, forKey: .interruptions)
        createdAt = try c.decode(Date.self, forKey: .createdAt)
        startedAt = try c.decodeIfPresent(Date.self, forKey: .startedAt)
        finishedAt = try c.decodeIfPresent(Date.self, forKey: .finishedAt)
        elapsedSeconds = try c.decodeIfPresent(Double.self, forKey: .elapsedSeconds)
        budgetSeconds = try c.decode(Int.self, forKey: .budgetSeconds)
        budgetCapSeconds = try c.decodeIfPresent(Int.self, forKey: .budgetCapSeconds)
        progress = try c.decode([Progress].self, forKey: .progress)
        if let trials = try c.decodeIfPresent([Trial].self, forKey: .trialsDetail) {
            detail = Detail(bestTrial: try c.decodeIfPresent(Int.self, forKey: .bestTrial),
                            varying: try c.decode([String].self, forKey: .varying), trials: trials,
                            files: try c.decode([String].self, forKey: .files), log: try c.decode(String.self, forKey: .log))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(task, forKey: .task)
        try c.encode(state, forKey: .state)
        try c.encode(reason, forKey: .reason)
        try c.encode(trials, forKey: .trials)
        try c.encode(best, forKey: .best)
        try c.encode(outbox, forKey: .outbox)
        try c.encode(attempts, forKey: .attempts)
        try c.encode(interruptions, forKey: .interruptions)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(startedAt, forKey: .startedAt)
        try c.encode(finishedAt, forKey: .finishedAt)
        try c.encode(elapsedSeconds, forKey: .elapsedSeconds)
        try c.encode(budgetSeconds, forKey: .budgetSeconds)
        try c.encode(budgetCapSeconds, forKey: .budgetCapSeconds)
        try c.encode(progress, forKey: .progress)
        if let detail {
            try c.encode(detail.bestTrial, forKey: .bestTrial)
            try c.encode(detail.varying, forKey: .varying)
            try c.encode(detail.trials, forKey: .trialsDetail)
            try c.encode(detail.files, forKey: .files)
            try c.encode(detail.log, forKey: .log)
        }
    }

    /// Reads `spoolctl status JOB --json`'s output.
    public static func decode(_ data: Data) throws -> JobStatusDocument {
        try ContractCoding.decoder().decode(JobStatusDocument.self, from: data)
    }
}
