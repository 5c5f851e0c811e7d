import Foundation

/// One progress report of a running training: a line on a terminal, and one JSON object a line on a trial's
/// standard output, which is how the trial process talks to the spool daemon. The one type both sides use.
///
/// `{"type": "step"|"evaluation"|"epoch"|"checkpoint"|"finished", "epoch": 3, "epochs": 15, ...}`; an epoch
/// event carries the epoch's record (losses and metrics) for the daemon to store.
public struct ProgressEvent: Codable, Sendable, Equatable {
    /// `resumed`: the run continued from its checkpoint at the end of `epoch`; the epochs done are reported
    /// again after it (a supervisor recognises those it has).
    public enum Kind: String, Sendable, Codable { case step, evaluation, epoch, checkpoint, finished, resumed }

    public var kind: Kind
    public var epoch: Int          // 1-based
    public var epochs: Int
    public var step: Int           // 1-based within the epoch
    public var steps: Int
    public var loss: Double
    public var learningRate: Double
    public var imagesPerSecond: Double
    /// Seconds left at the current pace, over every epoch still to run.
    public var etaSeconds: Double
    public var metricName: String?
    public var metricValue: Double?
    /// For `.epoch`: what the epoch did (losses, and metrics when it was evaluated).
    public var record: EpochRecord?
    /// For `.step`: every loss of the step by name (detection's four, classification's one).
    public var losses: [String: Double]?

    public init(kind: Kind, epoch: Int, epochs: Int, step: Int, steps: Int, loss: Double, learningRate: Double,
                imagesPerSecond: Double, etaSeconds: Double, metricName: String? = nil, metricValue: Double? = nil,
                record: EpochRecord? = nil, losses: [String: Double]? = nil) {
        self.kind = kind
        self.epoch = epoch
        self.epochs = epochs
        self.step = step
        self.steps = steps
        self.loss = loss
        self.learningRate = learningRate
        self.imagesPerSecond = imagesPerSecond
        self.etaSeconds = etaSeconds
        self.metricName = metricName
        self.metricValue = metricValue
        self.record = record
        self.losses = losses
    }

    enum CodingKeys: String, CodingKey {
        case kind = "type", epoch, epochs, step, steps, loss, learningRate = "lr", imagesPerSecond = "images_per_second"
        case etaSeconds = "eta_seconds", metricName = "metric_name", metricValue = "metric_value", record, losses
    }

    /// One line for a terminal: `epoch 3/15  step 12/40  loss 0.4321  lr 0.00930  312.5 img/s  ETA 1m20s`.
    public var line: String {
        switch kind {
        case .step:
            return "epoch \(epoch)/\(epochs)  step \(step)/\(steps)  loss \(Self.fmt(loss, 4))  lr \(Self.fmt(learningRate, 5))  "
                + "\(Self.fmt(imagesPerSecond, 1)) img/s  ETA \(Self.duration(etaSeconds))"
        case .evaluation:
            return "epoch \(epoch)/\(epochs)  validation loss \(Self.fmt(loss, 4))  \(metricName ?? "metric") \(Self.fmt(metricValue ?? .nan, 4))"
        case .epoch:
            return "epoch \(epoch)/\(epochs) done  train loss \(Self.fmt(record?.trainLoss ?? .nan, 4))"
        case .checkpoint:
            return "epoch \(epoch)/\(epochs)  checkpoint saved"
        case .resumed:
            return "resumed after epoch \(epoch)/\(epochs)"
        case .finished:
            return "finished after \(epoch) epochs: best \(metricName ?? "metric") \(Self.fmt(metricValue ?? .nan, 4))"
        }
    }

    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let s = Int(seconds.rounded())
        if s >= 3600 { return "\(s / 3600)h\(String(format: "%02d", (s % 3600) / 60))m" }
        if s >= 60 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
        return "\(s)s"
    }

    static func fmt(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }

    /// The JSON line (non-finite numbers as null), without a newline.
    public func jsonLine() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return (try? encoder.encode(self)) ?? Data("{}".utf8)
    }

    /// Reads one line a trial printed; nil for anything that is not a progress event.
    public static func parse(_ line: Data) -> ProgressEvent? {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try? decoder.decode(ProgressEvent.self, from: line)
    }
}

/// What one epoch did: its training loss, and its validation when it was an evaluation epoch.
public struct EpochRecord: Codable, Sendable, Equatable {
    public var epoch: Int
    public var trainLoss: Double
    public var learningRate: Double
    public var imagesPerSecond: Double
    public var seconds: Double
    public var validationLoss: Double?
    /// Every metric of the task at this epoch (the primary one included).
    public var metrics: [String: Double]?
    /// Every training loss by name, averaged over the epoch (detection's four; classification's one).
    public var losses: [String: Double]?

    public init(epoch: Int, trainLoss: Double, learningRate: Double, imagesPerSecond: Double, seconds: Double,
                validationLoss: Double? = nil, metrics: [String: Double]? = nil, losses: [String: Double]? = nil) {
        self.epoch = epoch
        self.trainLoss = trainLoss
        self.learningRate = learningRate
        self.imagesPerSecond = imagesPerSecond
        self.seconds = seconds
        self.validationLoss = validationLoss
        self.metrics = metrics
        self.losses = losses
    }

    enum CodingKeys: String, CodingKey {
        case epoch, trainLoss = "train_loss", learningRate = "learning_rate"
        case imagesPerSecond = "images_per_second", seconds, validationLoss = "validation_loss", metrics, losses
    }
}
