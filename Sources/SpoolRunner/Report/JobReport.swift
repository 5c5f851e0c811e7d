import Foundation
import SpoolCore
import SpoolStore

/// `report.html` in the outbox: one self-contained page (inline CSS and SVG, no script, nothing fetched) that
/// shows a finished job.
///
/// - a header: the job's id, name, task, state and reason, the best trial and its primary metric, the trials;
/// - learning curves: the primary metric at each evaluation and the train loss at each epoch, a line per
///   trial, the best one highlighted;
/// - the sweep, when there is more than one trial: for each hyperparameter that varied, each trial's best
///   metric against its value (a log axis when the values span more than two decades, a band per value for
///   choices), stopped and failed trials marked apart;
/// - the trials: number, state, varying hyperparameters, epochs, best metric, reason;
/// - the best trial's evaluation from its `metrics.json`: confusion matrix, per-class table with the micro,
///   macro and weighted averages, precision-recall and ROC curves per class.
///
/// Every number taken from `metrics.json` sits in an element whose `data-metric` attribute says where it came
/// from, so a test can hold the rendered page against the file. Paths are looked up in `best_epoch_report`,
/// and when their first key is not there, in the document's top level (`best_epoch`):
/// `accuracy`, `primary_metric_value`, `sample_count`, `macro.f1`, `per_class.<class name>.roc_auc`
/// (the class name may itself hold dots: the key is after the last one), `confusion.<true>.<predicted>` for
/// `confusion_matrix[true][predicted]`.
struct JobReport {
    let job: Job
    /// By number.
    let trials: [Trial]
    /// By trial id, each by epoch.
    let epochs: [Int64: [EpochMetric]]
    /// The hyperparameters that varied: the sweep's, and any whose sampled values differ between trials
    /// (a retry's smaller `training_batch_size`).
    let parameters: [String]
    let bestTrial: Int?
    /// The best trial's `metrics.json`, when it was there and readable.
    let document: MetricsDocument?
    /// The classification section's view of it.
    let metrics: ReportMetrics?
    /// The best trial's folder (its `examples.json` and thumbnails, for detection's drawn images).
    let bestDirectory: URL?
    /// The task's primary metric (`accuracy`, `iou`).
    let metricName: String
    let generatedAt: Date
    /// Each trial's sampled values, by trial number.
    let values: [Int: [String: SettingValue]]
    /// The job's folder in the outbox, for the commands that use its model (nil: written relative to it).
    let outboxDirectory: URL?
    /// Each trial's per-epoch records from its own `metrics.json` (learning rates), by trial number.
    let histories: [Int: [EpochRecord]]

    init(job: Job, trials: [Trial], epochs: [Int64: [EpochMetric]], varying: [String], bestTrial: Int?,
         bestMetrics: MetricsDocument?, bestDirectory: URL? = nil, outboxDirectory: URL? = nil,
         trialDirectory: ((Int) -> URL)? = nil, generatedAt: Date = Date()) {
        self.outboxDirectory = outboxDirectory
        var histories: [Int: [EpochRecord]] = [:]
        for trial in trials {
            if trial.number == bestTrial, let bestMetrics {
                histories[trial.number] = bestMetrics.history
            } else if let url = trialDirectory?(trial.number).appendingPathComponent(MetricsDocument.fileName),
                      let document = try? MetricsDocument.read(from: url) {
                histories[trial.number] = document.history
            }
        }
        self.histories = histories
        self.job = job
        self.trials = trials.sorted { $0.number < $1.number }
        self.epochs = epochs.mapValues { $0.sorted { $0.epoch < $1.epoch } }
        self.bestTrial = bestTrial
        document = bestMetrics
        metrics = bestMetrics.flatMap { doc in doc.bestReport.classification.map { ReportMetrics($0, bestEpoch: doc.bestEpoch) } }
        self.bestDirectory = bestDirectory
        metricName = job.task.primaryMetric
        self.generatedAt = generatedAt
        var values: [Int: [String: SettingValue]] = [:]
        for trial in trials { values[trial.number] = SweepState.values(trial.hyperparametersJSON) }
        self.values = values
        let sampled = Set(values.values.flatMap(\.keys))
        let differing = sampled.filter { name in Set(trials.compactMap { values[$0.number]?[name] }).count > 1 }
        parameters = Set(varying).union(differing).sorted()
    }

    /// The page.
    func html() -> String {
        let title = "\(job.name) (\(job.id)) · Spool report"
        var out = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(HTMLEscaping.escape(title))</title>
            <style>\(ReportStyle.css)</style>
            </head><body><main>

            """
        out += header()
        out += trainedSection()
        out += dataSection()
        out += curvesSection()
        out += classificationExamplesSection()
        out += usageSection()
        if trials.count > 1 { out += sweepSection() }
        out += trialsSection()
        out += bestTrialSection()
        out += "<footer>Written by Spool on \(HTMLEscaping.escape(Self.stamp(generatedAt))).</footer>\n"
        return out + "</main></body></html>\n"
    }

    /// The page as UTF-8, for the outbox.
    func data() -> Data { Data(html().utf8) }

    // MARK: The header

    func header() -> String {
        let warnings = self.warnings()
        var out = "<nav class=\"crumbs\"><a href=\"../index.html\">← all jobs</a></nav>\n"
        out += "<header class=\"card job\"><div class=\"title\"><h1>\(HTMLEscaping.escape(job.name))</h1>"
        out += "<span class=\"job-id\">\(HTMLEscaping.escape(job.id))</span></div><dl class=\"facts\">"
        out += fact("Task", HTMLEscaping.escape(job.task.rawValue))
        // A result no better than chance, or a diverged loss, is not shown as a success.
        out += fact("State", warnings.isEmpty ? Self.badge(job.state)
            : "<span class=\"badge state-warning\">\(HTMLEscaping.escape(job.state.rawValue)) · \(HTMLEscaping.escape(warnings.map(\.short).joined(separator: ", ")))</span>")
        if let bestTrial, let trial = trials.first(where: { $0.number == bestTrial }) {
            let value: String
            let flagged = warnings.isEmpty ? "" : " class=\"flagged\""
            if let reported = document?.bestReport.primaryValue {
                value = "<span\(flagged) data-metric=\"primary_metric_value\">\(ReportFormat.fixed(reported))</span>"
            } else {
                value = "<span\(flagged)>\(ReportFormat.fixed(trial.bestMetricValue))</span>"
            }
            out += fact("Best trial", "#\(trial.number) · \(HTMLEscaping.escape(metricName)) \(value)")
        } else {
            out += fact("Best trial", "none")
        }
        out += fact("Trials", "\(trials.count)" + (trials.isEmpty ? "" : " <span class=\"muted\">(\(HTMLEscaping.escape(outcomeSummary())))</span>"))
        out += fact("Created", HTMLEscaping.escape(Self.stamp(job.createdAt)))
        if let started = job.startedAt {
            out += fact("Started", HTMLEscaping.escape(Self.stamp(started)))
            if let finished = job.finishedAt {
                out += fact("Elapsed", HTMLEscaping.escape(ReportFormat.duration(finished.timeIntervalSince(started)))
                    + " <span class=\"muted\">of \(HTMLEscaping.escape(ReportFormat.duration(TimeInterval(job.effectiveBudgetSeconds))))</span>")
            }
        }
        out += "</dl>"
        if !job.reason.isEmpty { out += "<p class=\"job-reason\">\(HTMLEscaping.escape(job.reason))</p>" }
        out += warnings.map(\.html).joined()
        return out + "</header>\n"
    }

    func fact(_ term: String, _ html: String) -> String {
        "<div><dt>\(HTMLEscaping.escape(term))</dt><dd>\(html)</dd></div>"
    }

    /// `4 completed, 2 stopped`.
    private func outcomeSummary() -> String {
        let counts = Dictionary(grouping: trials, by: { Outcome($0.state) }).mapValues(\.count)
        return Outcome.allCases.compactMap { outcome in counts[outcome].map { "\($0) \(outcome.word)" } }
            .joined(separator: ", ")
    }

    // MARK: Shared pieces

    /// How a trial ended, as the sweep's scatter marks it.
    enum Outcome: CaseIterable {
        case completed, stopped, failed, live

        init(_ state: JobState) {
            switch state {
            case .completed: self = .completed
            case .cancelled, .timeout: self = .stopped
            case .failed, .outOfMemory: self = .failed
            case .pending, .running: self = .live
            }
        }

        var word: String {
            switch self {
            case .completed: "completed"
            case .stopped: "stopped"
            case .failed: "failed"
            case .live: "unfinished"
            }
        }
    }

    /// A trial's colour, by its place in the job.
    func color(ofTrial number: Int) -> String {
        let index = trials.firstIndex { $0.number == number } ?? number
        return Self.palette[index % Self.palette.count]
    }

    /// Tableau 10: distinct, and readable on white.
    static let palette = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
                          "#9c755f", "#7f7f7f"]

    /// A state as a coloured badge.
    static func badge(_ state: JobState) -> String {
        "<span class=\"badge state-\(Outcome(state).word)\">\(HTMLEscaping.escape(state.rawValue))</span>"
    }

    /// A sampled value as written in the table and on a band.
    static func describe(_ value: SettingValue) -> String {
        switch value {
        case let .string(text): text
        case let .int(number): String(number)
        case let .double(number): ReportFormat.plain(number)
        case let .bool(flag): flag ? "true" : "false"
        case let .list(items): "[" + items.map(describe).joined(separator: ", ") + "]"
        case let .map(entries): "{" + entries.keys.sorted().map { "\($0): \(describe(entries[$0]!))" }.joined(separator: ", ") + "}"
        case .null: "null"
        }
    }

    /// `2025-01-31 14:05 UTC`.
    static func stamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss 'UTC'"
        return formatter.string(from: date)
    }
}
