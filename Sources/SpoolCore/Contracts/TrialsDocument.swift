import Foundation

/// `trials.json` in the outbox: every trial of the job with its sampled hyperparameters, state, reason and
/// primary metric at each evaluation, the best marked (`trials.csv` holds the same as a table). A value a
/// trial does not have is written as null, never left out.
public struct TrialsDocument: Codable, Sendable, ContractDocument, Equatable {
    /// One evaluation of a trial: the primary metric under its own name (`"accuracy": 0.91`).
    public struct Evaluation: Codable, Sendable, Equatable {
        /// 1 for the trial's first evaluation.
        public var interval: Int
        public var epoch: Int
        /// The primary metric's name (the document's `primary_metric`): the key its value is written under.
        public var metric: String
        public var value: Double
        public var trainLoss: Double?
        public var validationLoss: Double?

        public init(interval: Int, epoch: Int, metric: String, value: Double, trainLoss: Double?, validationLoss: Double?) {
            self.interval = interval
            self.epoch = epoch
            self.metric = metric
            self.value = value
            self.trainLoss = trainLoss
            self.validationLoss = validationLoss
        }

        static let fixedKeys: Set = ["interval", "epoch", "train_loss", "validation_loss"]

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: AnyCodingKey.self)
            interval = try c.decode(Int.self, forKey: AnyCodingKey("interval"))
            epoch = try c.decode(Int.self, forKey: AnyCodingKey("epoch"))
            trainLoss = try c.decodeIfPresent(Double.self, forKey: AnyCodingKey("train_loss"))
            validationLoss = try c.decodeIfPresent(Double.self, forKey: AnyCodingKey("validation_loss"))
            guard let key = c.allKeys.first(where: { !Self.fixedKeys.contains($0.stringValue) }) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                        debugDescription: "an evaluation without its primary metric"))
            }
            metric = key.stringValue
            value = try c.decode(Double.self, forKey: key)
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: AnyCodingKey.self)
            try c.encode(interval, forKey: AnyCodingKey("interval"))
            try c.encode(epoch, forKey: AnyCodingKey("epoch"))
            try c.encode(value, forKey: AnyCodingKey(metric))
            try c.encode(trainLoss, forKey: AnyCodingKey("train_loss"))
            try c.encode(validationLoss, forKey: AnyCodingKey("validation_loss"))
        }
    }

    public struct Trial: Codable, Sendable, Equatable {
        public var number: Int
        /// Slurm's state names, as the job's.
        public var state: String
        public var reason: String
        /// True for the job's best trial.
        public var best: Bool
        /// Its sampled values by parameter name, and any a retry changed (`training_batch_size`).
        public var hyperparameters: [String: SettingValue]
        /// The search space's branch and the grid's configuration it was sampled from.
        public var branch: Int?
        public var configurationIndex: Int?
        /// The trial this one retries.
        public var retryOf: Int?
        /// Its best primary metric.
        public var bestMetric: Double?
        public var epochsDone: Int
        public var device: String?
        public var startedAt: Date?
        public var finishedAt: Date?
        /// Its evaluations in order (epochs without a primary metric left out).
        public var evaluations: [Evaluation]

        public init(number: Int, state: String, reason: String, best: Bool, hyperparameters: [String: SettingValue], branch: Int?,
                    configurationIndex: Int?, retryOf: Int?, bestMetric: Double?, epochsDone: Int, device: String?,
                    startedAt: Date?, finishedAt: Date?, evaluations: [Evaluation]) {
            self.number = number
            self.state = state
            self.reason = reason
            self.best = best
            self.hyperparameters = hyperparameters
            self.branch = branch
            self.configurationIndex = configurationIndex
            self.retryOf = retryOf
            self.bestMetric = bestMetric
            self.epochsDone = epochsDone
            self.device = device
            self.startedAt = startedAt
            self.finishedAt = finishedAt
            self.evaluations = evaluations
        }

        enum CodingKeys: String, CodingKey {
            case number, state, reason, best, hyperparameters, branch, configurationIndex = "configuration_index"
            case retryOf = "retry_of", bestMetric = "best_metric", epochsDone = "epochs_done", device
            case startedAt = "started_at", finishedAt = "finished_at", evaluations
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(number, forKey: .number)
            try c.encode(state, forKey: .state)
            try c.encode(reason, forKey: .reason)
            try c.encode(best, forKey: .best)
            try c.encode(hyperparameters, forKey: .hyperparameters)
            try c.encode(branch, forKey: .branch)
            try c.encode(configurationIndex, forKey: .configurationIndex)
            try c.encode(retryOf, forKey: .retryOf)
            try c.encode(bestMetric, forKey: .bestMetric)
            try c.encode(epochsDone, forKey: .epochsDone)
            try c.encode(device, forKey: .device)
            try c.encode(startedAt, forKey: .startedAt)
            try c.encode(finishedAt, forKey: .finishedAt)
            try c.encode(evaluations, forKey: .evaluations)
        }
    }

    /// The job's primary metric: the key of each evaluation's value.
    public var primaryMetric: String
    /// The best trial's number; null when no trial has a metric.
    public var bestTrial: Int?
    /// The hyperparameters the trials vary, sorted.
    public var varying: [String]
    /// In trial number order.
    public var trials: [Trial]

    public init(primaryMetric: String, bestTrial: Int?, varying: [String], trials: [Trial]) {
        self.primaryMetric = primaryMetric
        self.bestTrial = bestTrial
        self.varying = varying
        self.trials = trials
    }

    enum CodingKeys: String, CodingKey {
        case primaryMetric = "primary_metric", bestTrial = "best_trial", varying, trials
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(primaryMetric, forKey: .primaryMetric)
        try c.encode(bestTrial, forKey: .bestTrial)
        try c.encode(varying, forKey: .varying)
        try c.encode(trials, forKey: .trials)
    }

    public static let fileName = "trials.json"

    public static func read(from url: URL) throws -> TrialsDocument {
        try ContractCoding.decoder().decode(TrialsDocument.self, from: Data(contentsOf: url))
    }
}
