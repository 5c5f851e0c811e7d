import Foundation

/// A job's settings as resolved at intake (defaults filled in): what the queue keeps (`jobs.settings_json`),
/// what `spoolctl status` reads, and the `settings` of `job.json`.
public struct ResolvedSettings: Codable, Sendable, Equatable {
    public struct DataPath: Codable, Sendable, Equatable {
        public var path: String
    }

    /// The sweep as resolved: the algorithm, the policy, each branch's distributions in the string form.
    public struct Sweep: Codable, Sendable, Equatable {
        public struct Policy: Codable, Sendable, Equatable {
            public var type: String
            public var evaluationInterval: Int
            public var delayEvaluation: Int

            enum CodingKeys: String, CodingKey {
                case type, evaluationInterval = "evaluation_interval", delayEvaluation = "delay_evaluation"
            }
        }

        public var samplingAlgorithm: String
        public var earlyTermination: Policy?
        public var searchSpace: [[String: String]]?
        /// True when the space is AutoMode's (max_trials > 1 and no search space given).
        public var autoMode: Bool?

        enum CodingKeys: String, CodingKey {
            case samplingAlgorithm = "sampling_algorithm", earlyTermination = "early_termination"
            case searchSpace = "search_space", autoMode = "auto_mode"
        }
    }

    public var task: ImageTask
    public var primaryMetric: String
    public var trainingData: DataPath
    public var validationData: DataPath?
    public var limits: JobLimits
    public var trainingParameters: TrainingParameters
    public var sweep: Sweep

    enum CodingKeys: String, CodingKey {
        case task, primaryMetric = "primary_metric", trainingData = "training_data", validationData = "validation_data"
        case limits, trainingParameters = "training_parameters", sweep
    }

    public init(settings: JobSettings, parameters: TrainingParameters) {
        task = settings.task
        primaryMetric = settings.primaryMetric
        trainingData = DataPath(path: settings.trainingDataPath)
        validationData = settings.validationDataPath.map(DataPath.init(path:))
        limits = settings.limits
        trainingParameters = parameters
        var sweep = Sweep(samplingAlgorithm: settings.sweep.samplingAlgorithm.rawValue)
        if let policy = settings.sweep.earlyTermination {
            sweep.earlyTermination = .init(type: policy.typeName, evaluationInterval: policy.schedule.evaluationInterval,
                                           delayEvaluation: policy.schedule.delayEvaluation)
        }
        if let space = settings.effectiveSearchSpace {
            sweep.searchSpace = space.branches.map { $0.parameters.mapValues(\.description) }
            sweep.autoMode = settings.sweep.searchSpace == nil
        }
        self.sweep = sweep
    }

    /// The compact JSON the queue keeps.
    public func jsonString() throws -> String {
        String(decoding: try ContractCoding.encoder(pretty: false).encode(self), as: UTF8.self)
    }

    /// Reads the queue's JSON; nil for a document this version cannot read (a job queued by an older Spool).
    public static func decode(_ json: String) -> ResolvedSettings? {
        try? ContractCoding.decoder().decode(ResolvedSettings.self, from: Data(json.utf8))
    }
}

/// `job.json` in the outbox: what the job was, how it ended, and what the outbox holds.
public struct JobDocument: Codable, Sendable, ContractDocument {
    public struct SweepSummary: Codable, Sendable, Equatable {
        public var samplingAlgorithm: String
        public var maxTrials: Int
        public var maxConcurrentTrials: Int
        public var varying: [String]
        public var trialsRun: Int
        public var autoMode: Bool

        public init(samplingAlgorithm: String, maxTrials: Int, maxConcurrentTrials: Int, varying: [String], trialsRun: Int,
                    autoMode: Bool) {
            self.samplingAlgorithm = samplingAlgorithm
            self.maxTrials = maxTrials
            self.maxConcurrentTrials = maxConcurrentTrials
            self.varying = varying
            self.trialsRun = trialsRun
            self.autoMode = autoMode
        }

        enum CodingKeys: String, CodingKey {
            case samplingAlgorithm = "sampling_algorithm", maxTrials = "max_trials", maxConcurrentTrials = "max_concurrent_trials"
            case varying, trialsRun = "trials_run", autoMode = "auto_mode"
        }
    }

    public var id: String
    public var name: String
    public var task: ImageTask
    public var state: String
    public var reason: String
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date
    public var attempts: Int
    /// Nil for a job queued by a Spool older than this document.
    public var settings: ResolvedSettings?
    public var sweep: SweepSummary?
    public var bestTrial: Int?
    public var best: ModelManifest.PrimaryMetric?
    public var comparison: ModelComparison?
    public var outboxFiles: [String]

    public init(id: String, name: String, task: ImageTask, state: String, reason: String, createdAt: Date, startedAt: Date?,
                finishedAt: Date, attempts: Int, settings: ResolvedSettings?, sweep: SweepSummary?, bestTrial: Int?,
                best: ModelManifest.PrimaryMetric?, comparison: ModelComparison?, outboxFiles: [String]) {
        self.id = id
        self.name = name
        self.task = task
        self.state = state
        self.reason = reason
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.attempts = attempts
        self.settings = settings
        self.sweep = sweep
        self.bestTrial = bestTrial
        self.best = best
        self.comparison = comparison
        self.outboxFiles = outboxFiles
    }

    enum CodingKeys: String, CodingKey {
        case id, name, task, state, reason, createdAt = "created_at", startedAt = "started_at", finishedAt = "finished_at"
        case attempts, settings, sweep, bestTrial = "best_trial", best, comparison, outboxFiles = "outbox_files"
    }

    public static let fileName = "job.json"

    public static func read(from url: URL) throws -> JobDocument {
        try ContractCoding.decoder().decode(JobDocument.self, from: Data(contentsOf: url))
    }
}

/// `NAME.error.json` beside a drop kept in `failed/`: why it was refused, and each problem with its place.
public struct RejectionDocument: Codable, Sendable, ContractDocument, Equatable {
    /// The drop's name in `incoming/`.
    public var drop: String
    public var reason: String
    public var at: Date
    public var sha256: String?
    /// Every problem found, each a line of `spoolctl validate`'s output.
    public var problems: [String]
    public var warnings: [String]
    /// For an archive refused while unpacking: the entry, the limit it broke, and the value.
    public var entry: String?
    public var limit: String?
    public var value: Int64?
    /// A machine-readable cause where there is one: `extraction:<code>`, `validation`, `duplicate`.
    public var code: String?
    /// The job this drop duplicates.
    public var job: String?

    public init(drop: String, reason: String, at: Date, sha256: String? = nil, problems: [String] = [], warnings: [String] = [],
                entry: String? = nil, limit: String? = nil, value: Int64? = nil, code: String? = nil, job: String? = nil) {
        self.drop = drop
        self.reason = reason
        self.at = at
        self.sha256 = sha256
        self.problems = problems
        self.warnings = warnings
        self.entry = entry
        self.limit = limit
        self.value = value
        self.code = code
        self.job = job
    }

    public static let suffix = ".error.json"

    public static func read(from url: URL) throws -> RejectionDocument {
        try ContractCoding.decoder().decode(RejectionDocument.self, from: Data(contentsOf: url))
    }
}

/// `spoolctl evaluate`'s result: a model's metrics on a labelled JSONL.
public struct EvaluationDocument: Codable, Sendable, ContractDocument {
    public var model: String
    public var data: String
    public var images: Int
    public var primaryMetric: ModelManifest.PrimaryMetric
    public var report: TaskReport
    /// The predictions file written beside it (JSONL, one line per image), when one was asked for.
    public var predictions: String?

    public init(model: String, data: String, images: Int, primaryMetric: ModelManifest.PrimaryMetric, report: TaskReport,
                predictions: String?) {
        self.model = model
        self.data = data
        self.images = images
        self.primaryMetric = primaryMetric
        self.report = report
        self.predictions = predictions
    }

    enum CodingKeys: String, CodingKey {
        case model, data, images, primaryMetric = "primary_metric", report, predictions
    }
}

/// A document Spool writes for people and programs (status --json, job.json, trials.json, NAME.error.json, ...).
public protocol ContractDocument: Encodable {}

extension ContractDocument {
    /// The document in Spool's one JSON style. Encoding fails only on a fault in a document's `encode(to:)`: that is
    /// thrown to the writer, never written as an empty document.
    public func jsonData() throws -> Data { try ContractCoding.encoder().encode(self) }
}

/// The one JSON style of Spool's documents: sorted keys, dates in ISO 8601, non-finite numbers as strings.
public enum ContractCoding {
    public static func encoder(pretty: Bool = true) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }
}
