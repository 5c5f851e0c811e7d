/// What an early-termination policy knows about one trial: its primary metric at each interval so far.
public struct TrialProgress: Sendable, Hashable {
    /// The trial's number in the sweep.
    public var number: Int
    /// The primary metric at intervals 1, 2, ... (`metrics[0]` is interval 1). Higher is better.
    public var metrics: [Double]
    /// Whether the trial has ended (completed, or stopped): truncation's `exclude_finished_jobs` skips these.
    public var isFinished: Bool

    public init(number: Int, metrics: [Double], isFinished: Bool = false) {
        self.number = number
        self.metrics = metrics
        self.isFinished = isFinished
    }

    /// The metric at `interval` (from 1), if the trial reported it.
    public func metric(at interval: Int) -> Double? {
        interval >= 1 && interval <= metrics.count ? metrics[interval - 1] : nil
    }

    /// The best metric over intervals 1...`interval`.
    public func best(through interval: Int) -> Double? {
        metrics.prefix(max(0, interval)).max()
    }

    /// The mean over intervals 1...`interval` (fewer when the trial reported fewer).
    public func runningAverage(through interval: Int) -> Double? {
        let values = metrics.prefix(max(0, interval))
        return values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }
}
