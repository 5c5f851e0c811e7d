import ArgumentParser
import Foundation
import SpoolArguments
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
}
