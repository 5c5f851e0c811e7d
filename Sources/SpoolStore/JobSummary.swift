import Foundation

/// A job as `spoolctl status` lists it: the row, its trials at a glance, and its place in the queue.
public struct JobSummary: Sendable, Hashable {
    public var job: Job
    public var trialCount: Int
    /// The best primary metric over the job's trials so far.
    public var bestTrialMetric: Double?
    /// For a PENDING job, how many pending jobs will be claimed before it; nil otherwise.
    public var jobsAhead: Int?

    public init(job: Job, trialCount: Int, bestTrialMetric: Double?, jobsAhead: Int?) {
        self.job = job
        self.trialCount = trialCount
        self.bestTrialMetric = bestTrialMetric
        self.jobsAhead = jobsAhead
    }

    /// The job's recorded best, or else the best of its trials so far.
    public var bestMetric: Double? { job.bestMetricValue ?? bestTrialMetric }

    /// The reason, with a pending job's place in line: "queued (2 jobs ahead)".
    public var displayReason: String {
        guard let ahead = jobsAhead else { return job.reason }
        let place = ahead == 0 ? "next in line" : ahead == 1 ? "1 job ahead" : "\(ahead) jobs ahead"
        return "\(job.reason) (\(place))"
    }
}

/// Everything `spoolctl status` shows, read from one snapshot so that the counts and the list agree.
public struct QueueStatus: Sendable, Hashable {
    /// Jobs per state; every state is present, zero when no job is in it.
    public var counts: [JobState: Int]
    /// The newest jobs first.
    public var jobs: [JobSummary]

    public var total: Int { counts.values.reduce(0, +) }
}
