import Foundation
import SpoolCore
@testable import SpoolStore

/// A clock that moves only when a test says so.
final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    /// 29 November 2026, 09:00 UTC.
    static let start = Date(timeIntervalSince1970: 1_795_942_800)

    init(_ start: Date = ManualClock.start) {
        current = start
    }

    var now: Date {
        lock.withLock { current }
    }

    func advance(_ seconds: TimeInterval) {
        lock.withLock { current += seconds }
    }

    /// The closure a `JobStore` takes.
    var function: @Sendable () -> Date {
        { [self] in now }
    }
}

/// A fresh folder playing the spool root, removed when the test ends.
final class TempSpool {
    let root: URL
    var databasePath: String { root.appendingPathComponent("queue.sqlite").path }

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("spool-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: root)
    }

    /// The daemon's store on this spool.
    func store(_ clock: ManualClock) throws -> JobStore {
        try JobStore(path: databasePath, now: clock.function)
    }
}

/// A job for tests: only what a scenario cares about.
func newJob(
    _ name: String, priority: Int = 0, sha: String? = nil, maxAttempts: Int = 3, scheduleKey: String? = nil
) -> NewJob {
    NewJob(name: name, task: .imageClassification, bundlePath: "/spool/jobs/\(name)", settingsJSON: #"{"task":"image_classification"}"#,
           budgetSeconds: 3600, priority: priority, maxAttempts: maxAttempts, bundleSHA256: sha, scheduleKey: scheduleKey)
}

extension JobStore {
    /// Queues a job that must not be a duplicate.
    @discardableResult
    func add(_ job: NewJob) throws -> Job {
        let result = try enqueue(job: job)
        guard case .queued(let queued) = result else {
            throw JobStoreError(.invalidArgument, "test setup: \(job.name) was a duplicate")
        }
        return queued
    }
}

/// A value shared between threads.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) {
        self.value = value
    }

    func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        try lock.withLock { try body(&value) }
    }

    var current: Value { lock.withLock { value } }
}
