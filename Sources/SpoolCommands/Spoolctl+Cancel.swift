import ArgumentParser
import Foundation
import SpoolStore

extension Spoolctl {
    /// `spoolctl cancel JOB`.
    public struct Cancel: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Cancel a job: a pending one at once; a running one is stopped by the daemon within a second or so.",
            discussion: "A running trial gets SIGTERM, then SIGKILL after the daemon's grace period; the job ends CANCELLED.")
        @OptionGroup public var spool: SpoolOptions
        @Argument(help: "The job id (or a unique prefix).")
        public var job: String
        public init() {}

        public func run() throws {
            let store = try openStore(spool.layout)
            guard let found = try store.job(id: job) else { throw CommandError("there is no job '\(job)'") }
            switch try store.requestCancel(jobID: found.id) {
            case .cancelled(let j): print("\(j.id): CANCELLED")
            case .requested(let j): print("\(j.id): cancellation requested; the daemon stops it shortly")
            case .alreadyFinished(let j): print("\(j.id): already \(j.state.rawValue); nothing to cancel")
            }
        }
    }

    /// `spoolctl logs JOB [--follow]`.
    public struct Logs: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Print a job's log (jobs/<id>/job.log and its trials' logs); --follow keeps printing until it ends.")
        @OptionGroup public var spool: SpoolOptions
        @Argument(help: "The job id (or a unique prefix).")
        public var job: String
        @Flag(help: "Keep printing new lines until the job ends.")
        public var follow = false
        public init() {}

        public func run() throws {
            let layout = spool.layout
            let store = try JobStore.openForReading(path: layout.database.path)
            guard let found = try store.job(id: job) else { throw CommandError("there is no job '\(job)'") }
            let url = layout.jobLog(found.id)
            var offset: UInt64 = 0
            func printNew() {
                guard let handle = FileHandle(forReadingAtPath: url.path) else { return }
                defer { try? handle.close() }
                try? handle.seek(toOffset: offset)
                let data = handle.readDataToEndOfFile()
                offset += UInt64(data.count)
                if !data.isEmpty { FileHandle.standardOutput.write(data) }
            }
            printNew()
            guard follow else { return }
            while true {
                Thread.sleep(forTimeInterval: 0.5)
                printNew()
                if let current = try store.job(id: found.id), current.state.isFinal {
                    printNew()
                    return
                }
            }
        }
    }
}
