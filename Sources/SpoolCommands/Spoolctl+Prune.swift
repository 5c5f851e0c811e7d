import ArgumentParser
import Foundation
import SpoolArguments
import SpoolCore
import SpoolRunner
import SpoolStore

extension Spoolctl {
    /// `spoolctl prune`: removes finished jobs (folders and rows) and old rejected drops.
    public struct Prune: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Remove finished jobs (their folders and rows) and old rejected drops, by age, state and count.",
            discussion: """
            A job is removed when it is in one of the --state states, finished before --older-than, and is not \
            among the newest --keep jobs of its name; jobs/<id>/, outbox/<id>/ and its rows (trials, epoch \
            metrics, events) go. Drops in failed/ go by --older-than alone. Never removed: a PENDING or RUNNING \
            job, a job whose model a line's outbox/LINE/latest points at (the model in use), and the newest job \
            of a name a schedule takes its bundle from. --dry-run lists what would go and the bytes freed.

            Examples:
              spoolctl prune --older-than 30d --dry-run
              spoolctl prune --state FAILED,CANCELLED --older-than 12h
              spoolctl prune --keep 3 --json
            """)
        @OptionGroup public var spool: SpoolOptions
        @Option(name: .customLong("older-than"), help: ArgumentHelp("Only jobs that finished longer ago than this: 30d, 12h, 90m.", valueName: "age"))
        public var olderThan: String?
        @Option(help: ArgumentHelp("Only jobs in these states (comma list; default: every finished state).", valueName: "states"))
        public var state: String?
        @Option(help: ArgumentHelp("Keep the newest N jobs of each name.", valueName: "n"))
        public var keep: Int?
        @Flag(name: .customLong("dry-run"), help: "Print what would be removed and the bytes freed; remove nothing.")
        public var dryRun = false
        @Flag(help: "Print one JSON object: the jobs and drops removed, those kept and why, the bytes.")
        public var json = false
        public init() {}

        public func validate() throws {
            guard olderThan != nil || state != nil || keep != nil else {
                throw ValidationError("say what to remove: --older-than AGE, --state STATES or --keep N")
            }
            if let olderThan, Pruner.parseAge(olderThan) == nil {
                throw ValidationError("--older-than \(olderThan): expected a number and a unit, e.g. 30d, 12h, 90m")
            }
            if let keep, keep < 0 { throw ValidationError("--keep must be 0 or more") }
            _ = try rules()
        }

        func rules() throws -> Pruner.Rules {
            var states = Set(JobState.finalStates)
            if let state {
                states = []
                for word in state.split(separator: ",") {
                    guard let parsed = JobState(named: String(word)), parsed.isFinal else {
                        throw ValidationError("--state \(word): expected finished states, a comma list of "
                            + JobState.finalStates.map(\.rawValue).joined(separator: ", "))
                    }
                    states.insert(parsed)
                }
            }
            return Pruner.Rules(olderThan: olderThan.flatMap(Pruner.parseAge), states: states, keepPerName: keep)
        }

        public func run() throws {
            let layout = spool.layout
            guard FileManager.default.fileExists(atPath: layout.database.path) else {
                throw CommandError("there is no queue at \(layout.database.path); nothing to prune")
            }
            let pruner = Pruner(layout: layout, store: try openStore(layout))
            let now = Date()
            let plan = try pruner.plan(try rules(), now: now)
            let problems = dryRun ? [] : pruner.apply(plan, now: now)
            if json {
                try printJSON(PruneOutcome(dryRun: dryRun, plan: plan, problems: problems))
            } else {
                let verb = dryRun ? "would remove" : "removed"
                for job in plan.jobs {
                    print("\(verb) \(job.id)  \(job.name)  \(job.state)  finished \(job.finishedAt.map(Pruner.stamp) ?? "-")  "
                        + Pruner.formatBytes(job.bytes))
                }
                for drop in plan.failedDrops {
                    print("\(verb) failed/\(drop.name)  rejected \(Pruner.stamp(drop.rejectedAt))  \(Pruner.formatBytes(drop.bytes))")
                }
                for kept in plan.kept { print("kept \(kept.id)  \(kept.name): \(kept.reason)") }
                print("\(verb) \(plan.jobs.count) job(s) and \(plan.failedDrops.count) rejected drop(s): "
                    + "\(Pruner.formatBytes(plan.bytes)) \(dryRun ? "would be " : "")freed")
            }
            for problem in problems { FileHandle.standardError.write(Data("error: \(problem)\n".utf8)) }
            if !problems.isEmpty { throw ExitCode(1) }
        }
    }
}

/// What `spoolctl prune --json` prints.
struct PruneOutcome: Encodable {
    var dryRun: Bool
    var plan: Pruner.Plan
    var problems: [String]

    enum CodingKeys: String, CodingKey { case dryRun = "dry_run", jobs, failedDrops = "failed_drops", kept, bytes, problems }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(dryRun, forKey: .dryRun)
        try container.encode(plan.jobs, forKey: .jobs)
        try container.encode(plan.failedDrops, forKey: .failedDrops)
        try container.encode(plan.kept, forKey: .kept)
        try container.encode(plan.bytes, forKey: .bytes)
        try container.encode(problems, forKey: .problems)
    }
}
