import ArgumentParser
import Foundation
import SpoolArguments
import SpoolCore
import SpoolRunner
import SpoolStore

extension Spoolctl {
    /// `spoolctl cancel JOB...`: as scancel, a non-zero exit when a job cannot be cancelled.
    public struct Cancel: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Cancel jobs: a pending one at once; a running one is stopped by the daemon within a second or so.",
            discussion: """
            A running trial gets SIGTERM, then SIGKILL after the daemon's grace period; the job ends CANCELLED. \
            A job is named by its id, a unique end or start of it (0003), or its name (the newest job of that \
            name). As scancel, the exit status is 1 when a job is unknown or has already ended (the others are \
            still cancelled).

            Examples:
              spoolctl cancel 0003
              spoolctl cancel nightly-cats --json
            """)
        @OptionGroup public var spool: SpoolOptions
        @Argument(help: "The jobs: ids, unique ends or starts of ids, or names.")
        public var jobs: [String]
        @Flag(help: "Print one JSON object per job: {\"job\", \"outcome\" (cancelled, requested, already_finished, not_found), \"state\", \"message\"}.")
        public var json = false
        public init() {}

        public func validate() throws {
            guard !jobs.isEmpty else { throw ValidationError("name a job to cancel (`spoolctl status` lists them)") }
        }

        public func run() throws {
            let store = try openStore(spool.layout)
            var failed = false
            for reference in jobs {
                let (job, outcome, state, message): (String?, String, String?, String)
                do {
                    if let found = try store.job(id: reference) {
                        switch try store.requestCancel(jobID: found.id) {
                        case .cancelled(let j):
                            (job, outcome, state, message) = (j.id, "cancelled", j.state.rawValue,
                                                              "\(j.id): CANCELLED" + (try Self.cancelSlurmTrials(of: j.id, store: store)))
                        case .requested(let j):
                            (job, outcome, state, message) = (j.id, "requested", j.state.rawValue,
                                                              "\(j.id): cancellation requested; the daemon stops it shortly")
                        case .alreadyFinished(let j):
                            (job, outcome, state, message) = (j.id, "already_finished", j.state.rawValue,
                                                              "\(j.id): already \(j.state.rawValue); nothing to cancel")
                            failed = true
                        }
                    } else {
                        (job, outcome, state, message) = (nil, "not_found", nil,
                                                          "there is no job '\(reference)'; `spoolctl status` lists them")
                        failed = true
                    }
                } catch let error as JobStoreError where error.code == .ambiguousID {
                    (job, outcome, state, message) = (nil, "not_found", nil, error.message)
                    failed = true
                }
                if json {
                    print(CancellationDocument(job: job, reference: reference, outcome: outcome, state: state, message: message)
                        .jsonLine())
                } else if outcome == "cancelled" || outcome == "requested" {
                    print(message)
                } else {
                    FileHandle.standardError.write(Data("spoolctl cancel: \(message)\n".utf8))
                }
            }
            if failed { throw ExitCode(1) }
        }
    }
}

extension Spoolctl.Cancel {
    /// A pending job may still have trials in Slurm: a stopped daemon leaves them running for the next one. They
    /// are cancelled with `scancel` and closed; what could not be cancelled is named, for the operator.
    static func cancelSlurmTrials(of jobID: String, store: JobStore) throws -> String {
        let left = try store.trials(jobID: jobID).filter { $0.state == .running && $0.slurmJobID != nil }
        guard !left.isEmpty else { return "" }
        let client = SlurmClient()
        var missed: [String] = []
        var problem: String?
        for trial in left {
            guard let slurmID = trial.slurmJobID else { continue }
            do {
                try client.cancel(slurmID)
                _ = try store.finishTrial(trialID: trial.id, state: .cancelled, reason: "cancelled by the user (scancel \(slurmID))")
            } catch {
                missed.append(slurmID)
                problem = ErrorText.describe(error)
            }
        }
        if missed.isEmpty { return "; its trials in Slurm cancelled (scancel \(left.compactMap(\.slurmJobID).joined(separator: " ")))" }
        return "; its Slurm jobs \(missed.joined(separator: " ")) may still run (\(problem ?? "scancel failed")): scancel them"
    }
}

/// Prints one JSON object on one line (JSON Lines: sorted keys, slashes unescaped).
func printJSONLine(_ object: [String: Any]) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    print(String(decoding: data, as: UTF8.self))
}
