import Foundation
import SpoolCore
import SpoolStore

/// `trials.csv` and `trials.json` in the outbox: every trial of the job with its varying hyperparameters,
/// state, reason and primary metric at each evaluation, the best marked.
struct TrialsReport {
    struct Row {
        var trial: Trial
        var evaluations: [EpochMetric]
    }

    let metricName: String
    let varying: [String]
    let rows: [Row]
    let best: Int?

    init(metricName: String, varying: [String], trials: [Trial], epochs: (Int64) -> [EpochMetric], best: Int?) {
        self.metricName = metricName
        self.best = best
        rows = trials.sorted { $0.number < $1.number }.map { trial in
            Row(trial: trial, evaluations: epochs(trial.id).filter { $0.primaryMetric != nil }.sorted { $0.epoch < $1.epoch })
        }
        // Columns: the sweep's parameters, and any a retry added (training_batch_size).
        let extra = rows.flatMap { SweepState.values($0.trial.hyperparametersJSON).keys }
        self.varying = Array(Set(varying + extra)).sorted()
    }

    var document: TrialsDocument {
        TrialsDocument(primaryMetric: metricName, bestTrial: best, varying: varying, trials: rows.map { row in
            let t = row.trial
            return TrialsDocument.Trial(
                number: t.number, state: t.state.rawValue, reason: t.reason, best: t.number == best,
                hyperparameters: SweepState.values(t.hyperparametersJSON), branch: t.branch,
                configurationIndex: t.configurationIndex, retryOf: t.retryOf, bestMetric: t.bestMetricValue,
                epochsDone: t.epochsDone, device: t.device, startedAt: t.startedAt, finishedAt: t.finishedAt,
                evaluations: row.evaluations.enumerated().map { interval, e in
                    .init(interval: interval + 1, epoch: e.epoch, metric: metricName, value: e.primaryMetric!,
                          trainLoss: e.trainLoss, validationLoss: e.validationLoss)
                })
        })
    }

    func json() throws -> Data { try document.jsonData() }

    /// One row per trial; the metric per evaluation in one column, `;`-separated, in interval order.
    func csv() -> Data {
        var lines = [(["trial", "state", "best", metricName, "epochs_done"] + varying + ["reason", "\(metricName)_per_evaluation"])
            .map(Self.field).joined(separator: ",")]
        for row in rows {
            let t = row.trial
            let values = SweepState.values(t.hyperparametersJSON)
            var fields = ["\(t.number)", t.state.rawValue, t.number == best ? "yes" : "",
                          t.bestMetricValue.map { String(format: "%.6f", $0) } ?? "", "\(t.epochsDone)"]
            fields += varying.map { name in values[name].map { $0.stringValue ?? $0.description } ?? "" }
            fields += [t.reason, row.evaluations.map { String(format: "%.6f", $0.primaryMetric!) }.joined(separator: ";")]
            lines.append(fields.map(Self.field).joined(separator: ","))
        }
        return Data((lines.joined(separator: "\n") + "\n").utf8)
    }

    /// RFC 4180: quoted when it holds a comma, quote or newline.
    static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
