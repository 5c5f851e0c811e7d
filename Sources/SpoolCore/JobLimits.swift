/// The budget of a job (settings `limits:`, spec section 6).
public struct JobLimits: Sendable, Hashable, Codable {
    /// Seven days: Azure's default experiment timeout.
    public static let defaultTimeoutMinutes = 7 * 24 * 60
    /// Sixty days: Azure's maximum experiment timeout.
    public static let maximumTimeoutMinutes = 60 * 24 * 60

    /// The whole job's budget (`timeout_minutes`, v1 `experiment_timeout_hours`).
    public var timeoutMinutes: Int
    /// How many configurations to try, 1...1000 (`max_trials`, v1 `iterations`).
    public var maxTrials: Int
    /// How many trials run at once, 1...100 and at most `maxTrials` (`max_concurrent_trials`,
    /// v1 `max_concurrent_iterations`).
    public var maxConcurrentTrials: Int
    /// The budget of one trial (`trial_timeout_minutes`); nil leaves only the job's budget.
    public var trialTimeoutMinutes: Int?

    public init(
        timeoutMinutes: Int = JobLimits.defaultTimeoutMinutes, maxTrials: Int = 1,
        maxConcurrentTrials: Int = 1, trialTimeoutMinutes: Int? = nil
    ) {
        self.timeoutMinutes = timeoutMinutes
        self.maxTrials = maxTrials
        self.maxConcurrentTrials = maxConcurrentTrials
        self.trialTimeoutMinutes = trialTimeoutMinutes
    }

    enum CodingKeys: String, CodingKey {
        case timeoutMinutes = "timeout_minutes"
        case maxTrials = "max_trials"
        case maxConcurrentTrials = "max_concurrent_trials"
        case trialTimeoutMinutes = "trial_timeout_minutes"
    }
}
