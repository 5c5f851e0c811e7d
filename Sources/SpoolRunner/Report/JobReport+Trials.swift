import Foundation

extension JobReport {
    /// The trials table: number, state, the varying hyperparameters, epochs, best metric, time, reason.
    func trialsSection() -> String {
        var out = "<section class=\"card\"><h2>Trials</h2>"
        guard !trials.isEmpty else { return out + "<p class=\"note\">The job ran no trial.</p></section>\n" }
        var columns: [HTMLTable.Cell] = [.text("trial"), .text("state")]
        columns += parameters.map { .text($0) }
        columns += [.text("epochs", classes: ["num"]), .text("best \(metricName)", classes: ["num"]),
                    .text("time", classes: ["num"]), .text("reason")]
        let rows = trials.map { trial -> HTMLTable.Row in
            var label = "#\(trial.number)"
            if trial.number == bestTrial { label += " <span class=\"star\" title=\"best\">★</span>" }
            if let retryOf = trial.retryOf { label += " <span class=\"muted\">retry of #\(retryOf)</span>" }
            var cells: [HTMLTable.Cell] = [.init(html: label, isHeader: true), .init(html: Self.badge(trial.state))]
            cells += parameters.map { name in
                values[trial.number]?[name].map { .text(Self.describe($0)) } ?? .text(ReportFormat.missing, classes: ["missing"])
            }
            cells.append(.count(trial.epochsDone))
            cells.append(.number(trial.bestMetricValue))
            let time = both(trial.startedAt, trial.finishedAt).map { ReportFormat.duration($1.timeIntervalSince($0)) }
            cells.append(.text(time ?? ReportFormat.missing, classes: ["num"]))
            cells.append(.text(trial.reason, classes: ["reason"]))
            return .init(cells: cells, classes: trial.number == bestTrial ? ["best"] : [])
        }
        out += HTMLTable(columns: columns, rows: rows, classes: ["trials"]).html()
        return out + "</section>\n"
    }
}

/// Both, or nil.
private func both<A, B>(_ a: A?, _ b: B?) -> (A, B)? {
    guard let a, let b else { return nil }
    return (a, b)
}
