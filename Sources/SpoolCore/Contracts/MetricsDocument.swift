import Foundation

/// `metrics.json`: the outcome of a training run, written by the trainer and read by the daemon (the report,
/// the outbox) and by `spoolctl`. The one type both sides use.
public struct MetricsDocument: Codable, Sendable {
    public var primaryMetric: ModelManifest.PrimaryMetric
    public var bestEpoch: Int
    public var epochsRun: Int
    public var stoppedEarly: Bool
    /// False while the run goes on (or when it was stopped): the outputs are the best epoch so far.
    public var complete: Bool
    public var history: [EpochRecord]
    /// The full report at the best epoch: per-class table, averages, curves (classification); mAP, per-label
    /// AP, precision and recall (detection).
    public var bestReport: TaskReport
    public var task: ImageTask
    public var modelName: ModelName
    public var classes: [String]
    public var trainImages: Int
    public var validationImages: Int
    public var seconds: Double
    public var pretrainedWeights: String?
    public var parameters: TrainingParameters
    /// The memory format training used, and why (a measurement).
    public var memoryFormat: String?
    /// Where it trained (`cpu`, `cuda:0`) and with which libtorch (`2.1.2`); absent in older files.
    public var device: String?
    public var libtorchVersion: String?
    /// Training and validation examples per class; absent in older files.
    public var classCounts: ClassCounts?
    /// How the validation images were chosen; absent in older files.
    public var split: SplitDescription?
    /// What a model reaches without looking at the images (classification); absent in older files.
    public var chanceLevel: ChanceLevel?

    public init(primaryMetric: ModelManifest.PrimaryMetric, bestEpoch: Int, epochsRun: Int, stoppedEarly: Bool,
                complete: Bool, history: [EpochRecord], bestReport: TaskReport, task: ImageTask, modelName: ModelName,
                classes: [String], trainImages: Int, validationImages: Int, seconds: Double, pretrainedWeights: String?,
                parameters: TrainingParameters, memoryFormat: String? = nil) {
        self.primaryMetric = primaryMetric
        self.bestEpoch = bestEpoch
        self.epochsRun = epochsRun
        self.stoppedEarly = stoppedEarly
        self.complete = complete
        self.history = history
        self.bestReport = bestReport
        self.task = task
        self.modelName = modelName
        self.classes = classes
        self.trainImages = trainImages
        self.validationImages = validationImages
        self.seconds = seconds
        self.pretrainedWeights = pretrainedWeights
        self.parameters = parameters
        self.memoryFormat = memoryFormat
    }

    enum CodingKeys: String, CodingKey {
        case primaryMetric = "primary_metric", bestEpoch = "best_epoch", epochsRun = "epochs_run"
        case stoppedEarly = "stopped_early", complete, history, bestReport = "best_epoch_report", task
        case modelName = "model_name", classes, trainImages = "train_images", validationImages = "validation_images"
        case seconds, pretrainedWeights = "pretrained_weights", parameters = "training_parameters"
        case memoryFormat = "memory_format", device, libtorchVersion = "libtorch_version", classCounts = "class_counts"
        case split, chanceLevel = "chance_level"
    }

    public static let fileName = "metrics.json"

    public func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        try encoder.encode(self).write(to: url, options: .atomic)
    }

    public static func read(from url: URL) throws -> MetricsDocument {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try decoder.decode(MetricsDocument.self, from: Data(contentsOf: url))
    }
}
