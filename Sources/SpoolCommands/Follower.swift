import Foundation
import SpoolRunner
import SpoolStore

/// Follows a submitted drop to its end, for `spoolctl submit --wait`.
struct Follower {
    let layout: SpoolLayout

    /// Exit codes, documented in `submit --help`.
    static func exitCode(_ state: JobState) -> Int32 {
        switch state {
        case .completed: 0
        case .failed: 10
        case .timeout: 11
        case .cancelled: 12
        case .outOfMemory: 13
        case .pending, .running: 1
        }
    }

    func waitForOutcome(of dropName: String, sha256: String, timeout: Double?) throws -> Int32 {
        let started = Date()
        var lastState: JobState?
        var announced = false
        while true {
            let errorFile = layout.failed.appendingPathComponent(dropName + ".error.json")
            if let data = FileManager.default.contents(atPath: errorFile.path),
               let report = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
                let reason = report["reason"] as? String ?? "rejected"
                FileHandle.standardError.write(Data("\(dropName): \(reason)\n".utf8))
                for problem in report["problems"] as? [String] ?? [] {
                    FileHandle.standardError.write(Data("  \(problem)\n".utf8))
                }
                return (report["code"] as? String) == "duplicate" ? 15 : 14
            }
            if FileManager.default.fileExists(atPath: layout.database.path),
               let store = try? JobStore.openForReading(path: layout.database.path),
               let summary = try? store.status(limit: 500).jobs.first(where: { $0.job.bundleSHA256 == sha256 }) {
                let job = summary.job
                if !announced {
                    print("job \(job.id)")
                    announced = true
                }
                if job.state != lastState {
                    print("\(job.id): \(job.state.rawValue): \(summary.displayReason)")
                    lastState = job.state
                }
                if job.state.isFinal {
                    if let best = summary.bestMetric { print("\(job.id): best \(job.task.primaryMetric) \(String(format: "%.4f", best))") }
                    if let outbox = job.outboxPath { print("\(job.id): outbox \(outbox)") }
                    return Self.exitCode(job.state)
                }
            }
            if let timeout, Date().timeIntervalSince(started) > timeout {
                FileHandle.standardError.write(Data("\(dropName): still not finished after \(Int(timeout)) s\n".utf8))
                return 1
            }
            Thread.sleep(forTimeInterval: 0.5)
        }
    }
}
