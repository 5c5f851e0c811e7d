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

            Columns: JOB, NAME, TASK, STATE, TRIALS (done/total), BEST (primary metric), ELAPSED/BUDGET (the \
            budget the job runs under: its timeout_minutes, or the daemon's --max-job-seconds when lower), \
            PROGRESS (a running job's epoch and time left), REASON; then the totals per state and whether a \
            daemon is serving the spool. States are Slurm's: PENDING, RUNNING, COMPLETED, FAILED, TIMEOUT, \
            CANCELLED, OUT_OF_MEMORY; a PENDING job says why it waits.

            A job is named by its id, by a unique end of it (0003) or start of it, or by its name (the newest \
            job of that name).

            Examples:
              spoolctl status
              spoolctl status -t running,pending --watch
              spoolctl status 0003
              spoolctl status --name nightly-cats --format job,state,best --noheader
            """)
        @OptionGroup public var spool: SpoolOptions
        @Argument(help: "A job: its id, a unique end or start of it, or a name.")
        public var job: String?
        @Option(name: [.customShort("t"), .customLong("states")],
                help: "Only jobs in these states, comma-separated: names in any case or squeue's codes (PD, R, CD, F, TO, CA, OOM).")
        public var states: String?
        @Option(help: "Only the jobs of this name.")
        public var name: String?
        @Option(help: "The columns to print, comma-separated: \(QueueColumn.allCases.map(\.rawValue).joined(separator: ", ")).")
        public var format: String?
        @Flag(help: "Print only the rows: no header, totals or daemon line.")
        public var noheader = false
        @Flag(help: "Print again every --interval seconds, as `watch` does, until interrupted.")
        public var watch = false
        @Option(help: "Seconds between two prints with --watch.")
        public var interval: Double = 2
        @Option(help: "With --watch, stop after this many prints.")
        public var count: Int?
        @Flag(help: "Print JSON.")
        public var json = false
        @Option(help: "How many of the newest jobs to list.")
        public var limit: Int = 50
        public init() {}

        public func validate() throws {
            _ = try stateFilter()
            _ = try columns()
            guard interval > 0 else { throw ValidationError("--interval must be more than 0 seconds") }
            if let count, count < 1 { throw ValidationError("--count must be 1 or more") }
        }

        func stateFilter() throws -> Set<JobState>? {
            guard let states else { return nil }
            var set = Set<JobState>()
            for word in states.split(separator: ",") {
                if word.lowercased() == "all" { return nil }
                guard let state = JobState(named: String(word)) else {
                    throw ValidationError("-t/--states: '\(word)' is not a state; use "
                        + JobState.allCases.map { "\($0.rawValue) (\($0.code))" }.joined(separator: ", ") + " or all")
                }
                set.insert(state)
            }
            return set
        }

        func columns() throws -> [QueueColumn] {
            guard let format else { return QueueColumn.allCases }
            return try format.split(separator: ",").map { word in
                guard let column = QueueColumn(rawValue: word.lowercased().trimmingCharacters(in: .whitespaces)) else {
                    throw ValidationError("--format: '\(word)' is not a column; use "
                        + QueueColumn.allCases.map(\.rawValue).joined(separator: ", "))
                }
                return column
            }
        }

        public func run() throws {
            let layout = spool.layout
            guard FileManager.default.fileExists(atPath: layout.database.path) else {
                throw CommandError("no spool at \(layout.root.path) (no spool.sqlite): run `spoolctl init` or `spoolctl serve`, or pass --spool")
            }
            let store = try JobStore.openForReading(path: layout.database.path)
            var printed = 0
            while true {
                if watch && isatty(STDOUT_FILENO) == 1 { print("\u{1B}[H\u{1B}[2J", terminator: "") }
                if watch && !json && !noheader {
                    let stamp = DateFormatter()
                    stamp.dateFormat = "yyyy-MM-dd HH:mm:ss"
                    print("every \(ProgressEvent.duration(interval)): spoolctl status  \(stamp.string(from: Date()))\n")
                }
                if let job {
                    try showJob(job, store: store, layout: layout)
                } else {
                    try showQueue(store: store, layout: layout)
                }
                printed += 1
                fflush(nil)  // every stream: the print is seen before the wait
                guard watch, count.map({ printed < $0 }) ?? true else { return }
                Thread.sleep(forTimeInterval: interval)
                if !json && !noheader { print("") }
            }
        }

        func showQueue(store: JobStore, layout: SpoolLayout) throws {
            let status = try store.status(limit: limit, states: try stateFilter(), name: name)
            let now = Date()
            let daemon = DaemonLock.holder(layout)
            let waiting = (incoming: Self.dropCount(layout.incoming), processing: Self.dropCount(layout.processing))
            let drops = noheader || states != nil || name != nil ? [] : try store.unqueuedDrops(limit: 10)
            if json {
                let jobs = status.jobs.map { summary in StatusRow(summary, store: store, now: now).document }
                var counts: [String: Int] = [:]
                for (state, n) in status.counts { counts[state.rawValue] = n }
                let document = QueueStatusDocument(
                    jobs: jobs, totals: counts, total: status.total,
                    daemon: .init(serving: daemon != nil, pid: daemon.map { Int($0) }),
                    waiting: .init(incoming: waiting.incoming, processing: waiting.processing),
                    drops: drops.map { d in
                        .init(drop: d.name, outcome: d.outcome.rawValue, reason: d.reason, takenAt: d.takenAt, job: d.jobID,
                              kept: d.failedPath, sha256: d.sha256)
                    })
                print(String(decoding: try document.jsonData(), as: UTF8.self))
                return
            }
            let columns = try columns()
            var table = noheader ? [] : [columns.map { $0.rawValue.uppercased() }]
            for summary in status.jobs {
                let row = StatusRow(summary, store: store, now: now)
                table.append(columns.map { row.cell($0) })
            }
            printTable(table)
            guard !noheader else { return }
            let totals = JobState.allCases.compactMap { s in status.counts[s].flatMap { $0 > 0 ? "\($0) \(s.rawValue)" : nil } }
            print("\(status.total) job(s)" + (totals.isEmpty ? "" : ": " + totals.joined(separator: ", "))
                  + (states != nil || name != nil ? "; \(status.jobs.count) shown" : ""))
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
                throw CommandError("there is no job '\(id)' (an id, a unique end or start of one, or a name); `spoolctl status` lists them")
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
            func hyper(_ t: Trial) -> [String: SettingValue] {
                (try? JSONDecoder().decode([String: SettingValue].self, from: Data(t.hyperparametersJSON.utf8))) ?? [:]
            }
            func text(_ value: SettingValue?) -> String {
                switch value {
                case let .double(number)?: String(format: "%.4g", number)
                case let .int(number)?: String(format: "%.4g", Double(number))
                case let .string(text)?: text
                case let value?: "\(value)"
                case nil: "-"
                }
            }
            let varying = Array(Set(trials.flatMap { hyper($0).keys })).filter { $0 != "model_name" }.sorted()
            // Trials in Slurm: their job ids, and where the running ones run (one squeue, a few seconds at most).
            let inSlurm = trials.contains { $0.slurmJobID != nil }
            let runningIDs = trials.filter { $0.state == .running }.compactMap(\.slurmJobID)
            let slurmNow = runningIDs.isEmpty ? [:] : ((try? SlurmClient(timeout: 5).statuses(of: runningIDs)) ?? [:])
            func slurm(_ t: Trial) -> String {
                guard let id = t.slurmJobID else { return "-" }
                return id + (slurmNow[id].flatMap(\.nodes).map { $0.isEmpty ? "" : " on \($0)" } ?? "")
            }
            // Each trial's runs: its first, and one per resume after the daemon died or stopped under it.
            let runs = Dictionary(grouping: try store.trialRuns(jobID: job.id), by: \.trial)
            if json {
                var document = row.document
                document.detail = .init(bestTrial: bestTrial, varying: varying, trials: try trials.map { t in
                    let epochs = try store.epochs(trialID: t.id)
                    return JobStatusDocument.Trial(
                        number: t.number, state: t.state.rawValue, reason: t.reason, epochsDone: t.epochsDone,
                        best: t.bestMetricValue, isBest: t.number == bestTrial,
                        model: hyper(t)["model_name"]?.stringValue ?? fixedModel, branch: t.branch,
                        configurationIndex: t.configurationIndex, retryOf: t.retryOf, device: t.device, slurmJobID: t.slurmJobID,
                        slurmNodes: t.slurmJobID.flatMap { slurmNow[$0]?.nodes }, progress: TrialProgressView(t)?.document(),
                        runs: (runs[t.number] ?? []).map { r in
                            .init(run: r.run, resumedAfterEpoch: r.resumedAfter, outcome: r.outcome)
                        },
                        hyperparameters: hyper(t),
                        epochs: epochs.map { e in
                            .init(epoch: e.epoch, trainLoss: e.trainLoss, validationLoss: e.validationLoss, primaryMetric: e.primaryMetric)
                        })
                }, files: files, log: layout.jobLog(job.id).path)
                print(String(decoding: try document.jsonData(), as: UTF8.self))
                return
            }
            printTable([
                ["job", "\(job.id)  \(job.name)  \(job.task.rawValue)"],
                ["state", "\(job.state.rawValue): \(row.reason)"],
                ["best", row.bestText],
                ["time", "\(row.elapsedText)  (attempt \(job.attempts) of \(job.maxAttempts)"
                    + (job.interruptions > 0 ? "; interrupted \(job.interruptions) time\(job.interruptions == 1 ? "" : "s") by the daemon, not counted" : "") + ")"],
                ["outbox", job.outboxPath ?? "-"],
            ] + files.map { ["", $0] } + [["log", layout.jobLog(job.id).path]])
            let slurmHeader: [String] = inSlurm ? ["SLURM"] : []
            var table: [[String]] = [["TRIAL", "MODEL"] + varying.map { $0.uppercased() } + ["STATE"] + slurmHeader
                + ["EPOCHS", "BEST", "PROGRESS", "REASON"]]
            for t in trials {
                let values = hyper(t)
                let name: String = "\(t.number)\(t.number == bestTrial ? " *" : "")"
                let model: String = text(values["model_name"] ?? .string(fixedModel ?? "default"))
                let swept: [String] = varying.map { text(values[$0]) }
                let placement: [String] = inSlurm ? [slurm(t)] : []
                let best: String = t.bestMetricValue.map { String(format: "%.4f", $0) } ?? "-"
                let tail: [String] = ["\(t.epochsDone)", best, TrialProgressView(t)?.text ?? "-", t.reason]
                table.append([name, model] + swept + [t.state.rawValue] + placement + tail)
            }
            print("")
            printTable(table)
            if bestTrial != nil { print("* the best trial (\(job.task.primaryMetric)); its model is the job's result") }
            for t in trials {
                let epochs = try store.epochs(trialID: t.id)
                let history = runs[t.number] ?? []
                guard !epochs.isEmpty || history.count > 1 else { continue }
                print("\ntrial \(t.number)")
                if history.count > 1 { for r in history { print("  \(r.summary)") } }
                var rows = [["EPOCH", "TRAIN_LOSS", "VAL_LOSS", job.task.primaryMetric.uppercased()]]
                for e in epochs {
                    rows.append(["\(e.epoch)", e.trainLoss.map { String(format: "%.4f", $0) } ?? "-",
                                 e.validationLoss.map { String(format: "%.4f", $0) } ?? "-",
                                 e.primaryMetric.map { String(format: "%.4f", $0) } ?? "-"])
                }
                printTable(rows, rightAligned: true)
            }
        }
    }
}

/// The columns of `spoolctl status`, by the names `--format` takes.
enum QueueColumn: String, CaseIterable {
    case job, name, task, state, trials, best, elapsed, progress, reason
}

/// A running trial's latest progress, as the daemon stored it from the trainer's events.
struct TrialProgressView {
    let event: ProgressEvent

    init?(_ trial: Trial) {
        guard trial.state == .running, let json = trial.progressJSON,
              let event = ProgressEvent.parse(Data(json.utf8)) else { return nil }
        self.event = event
    }

    /// `epoch 3/15 step 12/40  312.5 img/s  ETA 1m20s`
    var text: String {
        var parts = ["epoch \(event.epoch)/\(event.epochs)" + (event.steps > 0 ? " step \(event.step)/\(event.steps)" : "")]
        if event.imagesPerSecond.isFinite, event.imagesPerSecond > 0 { parts.append(String(format: "%.1f img/s", event.imagesPerSecond)) }
        parts.append("ETA \(ProgressEvent.duration(event.etaSeconds))")
        return parts.joined(separator: "  ")
    }

    /// As `status --json` shows it; `trial` in a job's list of its running trials.
    func document(trial: Int? = nil) -> JobStatusDocument.Progress {
        JobStatusDocument.Progress(event, trial: trial)
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
    /// Its running trials' latest progress, by trial number.
    let progress: [(trial: Int, view: TrialProgressView)]

    init(_ summary: JobSummary, store: JobStore, now: Date) {
        job = summary.job
        let trials = (try? store.trials(jobID: summary.job.id)) ?? []
        let maxTrials = ResolvedSettings.decode(summary.job.settingsJSON)?.limits.maxTrials ?? 1
        trialsTotal = max(summary.trialCount, trials.count, maxTrials)
        trialsDone = trials.filter { $0.state.isFinal }.count
        best = summary.bestMetric
        reason = summary.displayReason
        if let start = job.startedAt { elapsed = (job.finishedAt ?? now).timeIntervalSince(start) } else { elapsed = nil }
        progress = job.state == .running ? trials.compactMap { t in TrialProgressView(t).map { (t.number, $0) } } : []
    }

    func cell(_ column: QueueColumn) -> String {
        switch column {
        case .job: job.id
        case .name: job.name
        case .task: taskShort
        case .state: job.state.rawValue
        case .trials: "\(trialsDone)/\(trialsTotal)"
        case .best: bestText
        case .elapsed: elapsedText
        case .progress: progressText
        case .reason: reason
        }
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
        "\(elapsed.map(Self.duration) ?? "-")/\(Self.duration(TimeInterval(job.effectiveBudgetSeconds)))"
    }

    /// A running job's progress: its trial's epoch and time left (several trials: how many, and the longest).
    var progressText: String {
        guard let slowest = progress.max(by: { $0.view.event.etaSeconds < $1.view.event.etaSeconds }) else { return "-" }
        let eta = "ETA \(ProgressEvent.duration(slowest.view.event.etaSeconds))"
        if progress.count == 1 { return "trial \(slowest.trial): epoch \(slowest.view.event.epoch)/\(slowest.view.event.epochs), \(eta)" }
        return "\(progress.count) trials running, \(eta)"
    }

    static func duration(_ seconds: TimeInterval) -> String {
        let s = Int(seconds.rounded())
        if s >= 86400 { return "\(s / 86400)d\(String(format: "%02d", (s % 86400) / 3600))h" }
        if s >= 3600 { return "\(s / 3600)h\(String(format: "%02d", (s % 3600) / 60))m" }
        return "\(s / 60)m\(String(format: "%02d", s % 60))s"
    }

    var document: JobStatusDocument {
        JobStatusDocument(
            id: job.id, name: job.name, task: job.task, state: job.state.rawValue, reason: reason,
            trials: .init(total: trialsTotal, done: trialsDone),
            best: best.map { ModelManifest.PrimaryMetric(name: job.task.primaryMetric, value: $0) }, outbox: job.outboxPath,
            attempts: job.attempts, interruptions: job.interruptions, createdAt: job.createdAt, startedAt: job.startedAt,
            finishedAt: job.finishedAt, elapsedSeconds: elapsed, budgetSeconds: job.effectiveBudgetSeconds,
            budgetCapSeconds: job.budgetCapSeconds, progress: progress.map { $0.view.document(trial: $0.trial) })
    }
}

/// Prints a typed value as JSON (sorted keys, slashes unescaped).
func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// Prints rows in aligned columns, two spaces apart (the last column unpadded); `rightAligned` right-aligns
/// every column but the first (numbers).
func printTable(_ rows: [[String]], rightAligned: Bool = false) {
    guard let first = rows.first else { return }
    var widths = first.map(\.count)
    for row in rows { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
    for row in rows {
        let cells = row.enumerated().map { i, cell -> String in
            if rightAligned && i > 0 { return String(repeating: " ", count: max(0, widths[i] - cell.count)) + cell }
            return i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
        }
        print(cells.joined(separator: "  "))
    }
}
