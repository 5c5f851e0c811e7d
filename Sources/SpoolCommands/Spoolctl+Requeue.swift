import ArgumentParser
import Foundation
import SpoolArguments
import SpoolRunner
import SpoolStore

extension Spoolctl {
    /// `spoolctl requeue JOB`: drops a job that ended without a model again.
    public struct Requeue: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Queue a FAILED, CANCELLED, TIMEOUT or OUT_OF_MEMORY job again, with the same bundle and settings.",
            discussion: """
            The job's bundle is copied into tmp/ and renamed into incoming/, marked as a requeue of the job (its \
            .spool-job.json says requeue_of), so the daemon takes it as a new job of the same name. A COMPLETED \
            job is refused: `spoolctl retrain JOB` trains its configuration again. A pending or running job is \
            refused too. The new job continues where this one stopped: its finished trials count, and the others \
            resume from their last checkpoints; --restart starts every trial over.

            Examples:
              spoolctl requeue 0003
              spoolctl requeue 0003 --restart
              spoolctl requeue j-20261129-0003 && spoolctl serve --once
            """)
        @OptionGroup public var spool: SpoolOptions
        @Argument(help: "The job: an id, a unique end or start of it, or a name.")
        public var job: String
        @Flag(help: "Start the trials over instead of resuming them from the job's checkpoints.")
        public var restart = false
        public init() {}

        public func run() throws {
            let layout = spool.layout
            let store = try openStore(layout)
            guard let found = try store.job(id: job) else {
                throw CommandError("there is no job '\(job)'; `spoolctl status` lists them")
            }
            do {
                let drop = try Requeuer(layout: layout, store: store).requeue(found, restart: restart)
                print("requeue of \(found.id) dropped as \(drop)\(restart ? " (its trials start over)" : " (its trials resume)"); "
                    + "the daemon queues it, or run `spoolctl serve --once`")
            } catch let error as RunnerError {
                throw CommandError(error.description)
            }
        }
    }
}
