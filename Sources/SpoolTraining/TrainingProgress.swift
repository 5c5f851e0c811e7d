import Foundation

/// A progress report from a running training, for a terminal, a log or a parent process.
public struct TrainingProgress: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable { case step, evaluation, epoch, checkpoint, finished }

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

    /// One line for a terminal: `epoch 3/15  step 12/40  loss 0.4321  lr 0.00930  312.5 img/s  ETA 1m20s`.
    public var line: String {
        switch kind {
        case .step:
            return "epoch \(epoch)/\(epochs)  step \(step)/\(steps)  loss \(fmt(loss, 4))  lr \(fmt(learningRate, 5))  "
                + "\(fmt(imagesPerSecond, 1)) img/s  ETA \(Self.duration(etaSeconds))"
        case .evaluation:
            return "epoch \(epoch)/\(epochs)  validation loss \(fmt(loss, 4))  \(metricName ?? "metric") \(fmt(metricValue ?? .nan, 4))"
        case .epoch:
            return "epoch \(epoch)/\(epochs) done  train loss \(fmt(record?.trainLoss ?? .nan, 4))"
        case .checkpoint:
            return "epoch \(epoch)/\(epochs)  checkpoint saved"
        case .finished:
            return "finished after \(epoch) epochs: best \(metricName ?? "metric") \(fmt(metricValue ?? .nan, 4))"
        }
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let s = Int(seconds.rounded())
        if s >= 3600 { return "\(s / 3600)h\(String(format: "%02d", (s % 3600) / 60))m" }
        if s >= 60 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
        return "\(s)s"
    }
}

func fmt(_ value: Double, _ digits: Int) -> String {
    String(format: "%.\(digits)f", value)
}
