import Foundation
import SpoolCore

/// What `JobStore.enqueue` needs to queue a job; the store fills in the id, the state and the times.
public struct NewJob: Sendable, Hashable {
    public var name: String
    public var task: ImageTask
    public var bundlePath: String
    public var settingsJSON: String
    public var budgetSeconds: Int
    public var priority: Int
    public var maxAttempts: Int
    public var bundleSHA256: String?
    public var scheduleKey: String?

    public init(
        name: String, task: ImageTask, bundlePath: String, settingsJSON: String = "{}",
        budgetSeconds: Int = JobLimits.defaultTimeoutMinutes * 60, priority: Int = 0, maxAttempts: Int = 3,
        bundleSHA256: String? = nil, scheduleKey: String? = nil
    ) {
        self.name = name
        self.task = task
        self.bundlePath = bundlePath
        self.settingsJSON = settingsJSON
        self.budgetSeconds = budgetSeconds
        self.priority = priority
        self.maxAttempts = maxAttempts
        self.bundleSHA256 = bundleSHA256
        self.scheduleKey = scheduleKey
    }
}

/// What `enqueue` did: queued a new job, or found the same bundle (or schedule slot) already queued.
public enum EnqueueResult: Sendable, Hashable {
    case queued(Job)
    /// The bundle's SHA-256 or the schedule key is already a job's: nothing was queued.
    case duplicate(existing: Job)

    /// The new job, or the one that was already there.
    public var job: Job {
        switch self {
        case .queued(let job), .duplicate(let job): job
        }
    }

    public var isDuplicate: Bool {
        if case .duplicate = self { return true }
        return false
    }
}
