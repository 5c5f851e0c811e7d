import ArgumentParser
import Foundation
import SpoolArguments
import SpoolCore
import SpoolIngest
import SpoolRunner
import SpoolStore

extension Spoolctl {
    /// `spoolctl status [JOB]`: the queue, in the spirit of `squeue`; works while the daemon is down.
    public struct Status: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Show the jobs (or one job: its trials, metrics and files).",
            discussion: """
            Reads spool.sqlite directly, so it works while the daemon writes and while it is down.
            Columns: JOB, NAME, TASK, STATE, TRIALS (done/total), BEST (primary metric), ELAPSED/BUDGET, REASON,
            then the totals per state. States are Slurm's: PENDING, RUNNING, COMPLETED, FAILED, TIMEOUT,
            CANCELLED, OUT_OF_MEMORY; a PENDING job says why it waits.
            """)
        @OptionGroup public var spool: SpoolOptions
        @Argument(help: "A job id (or a unique prefix).")
        public var job: String?
        @Flag(help: "Print JSON.")
        public var json = false
        @Option(help: "How many of the newest jobs to list.")
        public var limit: Int = 50
        public init() {}

        public func run() throws {
            let layout = spool.layout
            guard FileManager.default.fileExists(atPath: layout.database.path) else {
                throw CommandError("no spool at \(layout.root.path) (no spool.sqlite): run `spoolctl init` or `spoolctl serve`, or pass --spool")
            }
            let store = try JobStore.openForReading(path: layout.database.path)
            if let job {
                try showJob(job, store: store, layout: layout)
            } else {
                try showQueue(store: store, layout: layout)
            }
        }

        func showQueue(store: JobStore, layout: SpoolLayout) throws {
            let status = try store.status(limit: limit)
            let now = Date()
            let daemon = DaemonLock.holder(layout)
            let waiting = (incoming: Self.dropCount(layout.incoming), processing: Self.dropCount(layout.processing))
            let drops = try store.unqueuedDrops(limit: 10)
            if json {
                let jobs = status.jobs.map { summary in StatusRow(summary, store: store, now: now).json }
                var counts: [String: Int] = [:]
                for (state, n) in status.counts { counts[state.rawValue] = n }
                let stamp = ISO8601DateFormatter()
                try printJSON(["jobs": jobs, "totals": counts, "total": status.total,
                               "daemon": ["serving": daemon != nil, "pid": daemon.map { Int($0) } ?? NSNull()] as [String: Any],
                               "waiting": ["incoming": waiting.incoming, "processing": waiting.processing],
                               "drops": drops.map { d -> [String: Any] in
                                   ["drop": d.name, "outcome": d.outcome.rawValue, "reason": d.reason,
                                    "taken_at": stamp.string(from: d.takenAt), "job": d.jobID ?? NSNull(),
                                    "kept": d.failedPath ?? NSNull(), "sha256": d.sha256 ?? NSNull()]
                               }])
                return
            }
            var table = [["JOB", "NAME", "TASK", "STATE", "TRIALS", "BEST", "ELAPSED/BUDGET", "REASON"]]
            for summary in status.jobs {
                let row = StatusRow(summary, store: store, now: now)
                table.append([row.job.id, row.job.name, row.taskShort, row.job.state.rawValue,
                              "\(row.trialsDone)/\(row.trialsTotal)", row.bestText, row.elapsedText, row.reason])
            }
            printTable(table)
            let totals = JobState.allCases.compactMap { s in status.counts[s].flatMap { $0 > 0 ? "\($0) \(s.rawValue)" : nil } }
            print("\(status.total) job(s)" + (totals.isEmpty ? "" : ": " + totals.joined(separator: ", ")))
            if !drops.isEmpty {
                print("")
                var rejected = [["DROP", "OUTCOME", "TAKEN", "REASON"]]
                let format = DateFormatter()
                format.dateFormat = "yyyy-MM-dd HH:mm"
                for d in drops {
                    let kept = d.failedPath.map { " (kept in \(Self.relative($0, layout)))" } ?? ""
                    rejected.append([d.name, d.outcome.rawValue, format.string(from: d.takenAt), d.reason + kept])
                }
                printTable(rejected)
            }
            print("")
            if let daemon {
                print("daemon: serving \(layout.root.path) (pid \(daemon))")
            } else {
                print("daemon: none is serving \(layout.root.path); `spoolctl serve` takes drops and trains the queue")
            }
            if waiting.incoming + waiting.processing > 0 {
                print("waiting: \(waiting.incoming) drop(s) in incoming/, \(waiting.processing) in processing/")
            }
        }

        /// Drops in a folder: its entries, less dotfiles, partial uploads and unpacking scratch.
        static func dropCount(_ folder: URL) -> Int {
            ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { name in
                !DropRules().ignores(name) && !name.hasSuffix(".unpacked")
            }.count
        }

        static func relative(_ path: String, _ layout: SpoolLayout) -> String {
            let root = layout.root.path + "/"
            return path.hasPrefix(root) ? String(path.dropFirst(root.count)) : path
        }

        func showJob(_ id: String, store: JobStore, layout: SpoolLayout) throws {
            guard let job = try store.job(id: id) else {
                throw CommandError("there is no job '\(id)'; `spoolctl status` lists them")
            }
            let trials = try store.trials(jobID: job.id)
            let summary = JobSummary(job: job, trialCount: trials.count,
                                     bestTrialMetric: trials.compactMap(\.bestMetricValue).max(), jobsAhead: nil)
            let row = StatusRow(summary, store: store, now: Date())
            let files = job.outboxPath.map { path in
                ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
            } ?? []
            let bestTrial = Trial.best(of: trials)?.number
            let fixedModel = ResolvedSettings.decode(job.settingsJSON)?.trainingParameters.modelName.rawValue
            func hyper(_ t: Trial) -> [String: Any] {
                (try? JSONSerialization.jsonObject(with: Data(t.hyperparametersJSON.utf8))) as? [String: Any] ?? [:]
            }
            func text(_ value: Any?) -> String {
                switch value {
                case let number as Double: String(format: "%.4g", number)
                case let value?: "\(value)"
                case nil: "-"
                }
            }
            let varying = Array(Set(trials.flatMap { hyper($0).keys })).filter { $0 != "model_name" }.sorted()
            if json {
                var object = row.json
                object["best_trial"] = bestTrial ?? NSNull()
                object["varying"] = varying
                object["trials_detail"] = try trials.map { t -> [String: Any] in
                    let epochs = try store.epochs(trialID: t.id)
                    return ["number": t.number, "state": t.state.rawValue, "reason": t.reason,
                            "epochs_done": t.epochsDone, "best": t.bestMetricValue ?? NSNull(),
                            "is_best": t.number == bestTrial, "model": hyper(t)["model_name"] ?? fixedModel ?? NSNull(),
                            "branch": t.branch ?? NSNull(), "configuration_index": t.configurationIndex ?? NSNull(),
                            "retry_of": t.retryOf ?? NSNull(), "device": t.device ?? NSNull(),
                            "hyperparameters": (try? JSONSerialization.jsonObject(with: Data(t.hyperparametersJSON.utf8))) ?? [:],
                            "epochs": epochs.map { e in
                                ["epoch": e.epoch, "train_loss": e.trainLoss ?? NSNull(),
                                 "validation_loss": e.validationLoss ?? NSNull(), "primary_metric": e.primaryMetric ?? NSNull()] as [String: Any]
                            }]
                }
                object["files"] = files
                object["log"] = layout.jobLog(job.id).path
                try printJSON(object)
                return
            }
            print("job \(job.id)  \(job.name)  \(job.task.rawValue)")
            print("state   \(job.state.rawValue): \(row.reason)")
            print("best    \(row.bestText)")
            print("time    \(row.elapsedText)  (attempt \(job.attempts) of \(job.maxAttempts))")
            print("outbox  \(job.outboxPath ?? "-")")
            for file in files { print("          \(file)") }
            print("log     \(layout.jobLog(job.id).path)")
            var table = [["TRIAL", "MODEL"] + varying.map { $0.uppercased() } + ["STATE", "EPOCHS", "BEST", "REASON"]]
            for t in trials {
                let values = hyper(t)
                table.append(["\(t.number)\(t.number == bestTrial ? " *" : "")", text(values["model_name"] ?? fixedModel ?? "default")]
                    + varying.map { text(values[$0]) }
                    + [t.state.rawValue, "\(t.epochsDone)", t.bestMetricValue.map { String(format: "%.4f", $0) } ?? "-", t.reason])
            }
            print("")
            printTable(table)
            if bestTrial != nil { print("* the best trial (\(job.task.primaryMetric)); its model is the job's result") }
            for t in trials {
                let epochs = try store.epochs(trialID: t.id)
                guard !epochs.isEmpty else { continue }
                print("\ntrial \(t.number): epoch  train_loss  val_loss  \(job.task.primaryMetric)")
                for e in epochs {
                    print(String(format: "         %5d  %10.4f  %8@  %@", e.epoch, e.trainLoss ?? .nan,
                                 e.validationLoss.map { String(format: "%.4f", $0) } ?? "-",
                                 e.primaryMetric.map { String(format: "%.4f", $0) } ?? "-"))
                }
            }
        }
    }
}

/// One job as the status table and JSON show it.
struct StatusRow {
    let job: Job
    let trialsTotal: Int
    let trialsDone: Int
    let best: Double?
    let reason: String
    let elapsed: TimeInterval?

    init(_ summary: JobSummary, store: JobStore, now: Date) {
        job = summary.job
        let trials = (try? store.trials(jobID: summary.job.id)) ?? []
        let maxTrials = ResolvedSettings.decode(summary.job.settingsJSON)?.limits.maxTrials ?? 1
        trialsTotal = max(summary.trialCount, trials.count, maxTrials)
        trialsDone = trials.filter { $0.state.isFinal }.count
        best = summary.bestMetric
        reason = summary.displayReason
        if let start = job.startedAt { elapsed = (job.finishedAt ?? now).timeIntervalSince(start) } else { elapsed = nil }
    }

    var taskShort: String {
        switch job.task {
        case .imageClassification: "multiclass"
        case .imageClassificationMultilabel: "multilabel"
        case .imageObjectDetection: "detection"
        case .imageInstanceSegmentation: "segmentation"
        }
    }

    var bestText: String {
        best.map { "\(job.task.primaryMetric) \(String(format: "%.4f", $0))" } ?? "-"
    }

    var elapsedText: String {
        "\(elapsed.map(Self.duration) ?? "-")/\(Self.duration(TimeInterval(job.budgetSeconds)))"
    }

    static func duration(_ seconds: TimeInterval) -> String {
        let s = Int(seconds.rounded())
        if s >= 86400 { return "\(s / 86400)d\(String(format: "%02d", (s % 86400) / 3600))h" }
        if s >= 3600 { return "\(s / 3600)h\(String(format: "%02d", (s % 3600) / 60))m" }
        return "\(s / 60)m\(String(format: "%02d", s % 60))s"
    }

    var json: [String: Any] {
        let stamp = ISO8601DateFormatter()
        return [
            "id": job.id, "name": job.name, "task": job.task.rawValue, "state": job.state.rawValue,
            "reason": reason, "trials": ["total": trialsTotal, "done": trialsDone],
            "best": best.map { ["name": job.task.primaryMetric, "value": $0] as [String: Any] } ?? NSNull(),
            "outbox": job.outboxPath ?? NSNull(), "attempts": job.attempts,
            "created_at": stamp.string(from: job.createdAt),
            "started_at": job.startedAt.map { stamp.string(from: $0) } ?? NSNull(),
            "finished_at": job.finishedAt.map { stamp.string(from: $0) } ?? NSNull(),
            "elapsed_seconds": elapsed ?? NSNull(), "budget_seconds": job.budgetSeconds,
        ]
    }
}

func printJSON(_ object: Any) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    print(String(decoding: data, as: UTF8.self))
}

/// Prints a typed value as JSON (sorted keys, slashes unescaped).
func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

func printTable(_ rows: [[String]]) {
    guard let header = rows.first else { return }
    var widths = header.map(\.count)
    for row in rows { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
    for row in rows {
        let cells = row.enumerated().map { i, cell in i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
        print(cells.joined(separator: "  "))
    }
}
