import Foundation
import SpoolCore
import SpoolStore

extension JobReport {
    /// The learning curves, a line per trial: the primary metric at each evaluation, the learning rate at each
    /// epoch, and the train and validation loss side by side on one scale (one trial: both on one chart,
    /// validation dashed). In a sweep the best trial is drawn last and thick, the others thin and translucent,
    /// so that overlapping curves stay readable. Below, the best trial's numbers per epoch from `metrics.json`.
    ///
    /// `data-metric` paths of that table: `history.<i>.<key>` (`train_loss`, `validation_loss`,
    /// `learning_rate`, `seconds`), `history.<i>.metrics.<primary metric>`.
    func curvesSection() -> String {
        var out = "<section class=\"card\"><h2>Learning curves</h2>"
        let withEpochs = trials.filter { !(epochs[$0.id] ?? []).isEmpty }
        guard !withEpochs.isEmpty else {
            return out + "<p class=\"note\">No trial recorded an epoch.</p></section>\n"
        }
        let sweep = withEpochs.count > 1
        if sweep {
            out += "<p class=\"note\">One line per trial; the best trial (#\(bestTrial.map(String.init) ?? "?")) thick and on top, the others thin.</p>"
        }
        // The best trial last, so that it is drawn over the others.
        let ordered = withEpochs.filter { $0.number != bestTrial } + withEpochs.filter { $0.number == bestTrial }
        let lastEpoch = withEpochs.flatMap { epochs[$0.id] ?? [] }.map(\.epoch).max() ?? 1
        let epochAxis = SVGChart.Axis(label: "epoch", scale: .linear(lower: 1, upper: Double(max(2, lastEpoch)), integer: true))

        func style(_ trial: Trial) -> (width: Double, opacity: Double) {
            guard sweep, bestTrial != nil else { return (2.4, 1) }
            return trial.number == bestTrial ? (3.4, 1) : (1.3, 0.45)
        }
        func legend(dashedValidation: Bool = false) -> [SVGChart.LegendEntry] {
            var entries: [SVGChart.LegendEntry] = withEpochs.map { trial in
                let best = trial.number == bestTrial
                return .init(html: "trial \(trial.number)" + (best ? " <strong>(best)</strong>" : ""),
                             color: color(ofTrial: trial.number), width: style(trial).width)
            }
            if dashedValidation {
                entries = [.init(html: "train", color: "#3e4c59"), .init(html: "validation", color: "#3e4c59", dashed: true)]
            }
            return entries
        }
        func series(_ value: (EpochMetric) -> Double?) -> [(Trial, [(x: Double, y: Double)])] {
            ordered.map { trial in
                (trial, (epochs[trial.id] ?? []).compactMap { e in value(e).flatMap { $0.isFinite ? (x: Double(e.epoch), y: $0) : nil } })
            }
        }
        func chart(title: String, axis: String, scale: SVGChart.Scale? = nil, _ lines: [(Trial, [(x: Double, y: Double)])],
                   dashed: Bool = false) -> SVGChart {
            let all = lines.flatMap { $0.1.map(\.y) }
            var chart = SVGChart(title: title, x: epochAxis, y: .init(label: axis, scale: scale ?? .fitting(all)))
            for (trial, points) in lines where !points.isEmpty {
                let (width, opacity) = style(trial)
                chart.lines.append(.init(label: "trial \(trial.number)", points: points, color: color(ofTrial: trial.number),
                                         width: width, dashed: dashed, opacity: opacity, dots: points.count <= 30 && (!sweep || trial.number == bestTrial)))
            }
            chart.legend = legend()
            return chart
        }

        let metric = chart(title: "\(metricName) at each evaluation", axis: metricName, series { $0.primaryMetric })
        let train = series { $0.trainLoss }, validation = series { $0.validationLoss }
        let lossScale = SVGChart.Scale.fitting((train + validation).flatMap { $0.1.map(\.y) })
        var charts = [metric.lines.isEmpty ? "<p class=\"note\">No evaluation was recorded.</p>" : metric.html()]
        if let rate = learningRateChart(ordered, axis: epochAxis, style: style) { charts.append(rate.html()) }
        if sweep {
            let t = chart(title: "train loss per epoch", axis: "train loss", scale: lossScale, train)
            let v = chart(title: "validation loss per epoch", axis: "validation loss", scale: lossScale, validation)
            charts.append(t.lines.isEmpty ? "<p class=\"note\">No train loss was recorded.</p>" : t.html())
            if !v.lines.isEmpty { charts.append(v.html()) }
        } else {
            var both = chart(title: "train and validation loss per epoch", axis: "loss", scale: lossScale, train)
            let dashedValidation = chart(title: "", axis: "", scale: lossScale, validation, dashed: true)
            both.lines += dashedValidation.lines
            both.legend = legend(dashedValidation: true)
            charts.append(both.lines.isEmpty ? "<p class=\"note\">No train loss was recorded.</p>" : both.html())
        }
        out += "<div class=\"charts\">" + charts.joined() + "</div>"
        out += epochTable()
        return out + "</section>\n"
    }

    /// Each trial's learning rate per epoch (from its metrics.json), logarithmic past two decades.
    private func learningRateChart(_ ordered: [Trial], axis: SVGChart.Axis,
                                   style: (Trial) -> (width: Double, opacity: Double)) -> SVGChart? {
        let lines = ordered.compactMap { trial -> (Trial, [(x: Double, y: Double)])? in
            guard let history = histories[trial.number] else { return nil }
            let points = history.filter { $0.learningRate.isFinite && $0.learningRate > 0 }.map { (x: Double($0.epoch), y: $0.learningRate) }
            return points.isEmpty ? nil : (trial, points)
        }
        guard !lines.isEmpty else { return nil }
        let all = lines.flatMap { $0.1.map(\.y) }
        var chart = SVGChart(title: "learning rate per epoch (at its last step)", x: axis,
                             y: .init(label: "learning rate", scale: .numeric(all)))
        for (trial, points) in lines {
            let (width, opacity) = style(trial)
            chart.lines.append(.init(label: "trial \(trial.number)", points: points, color: color(ofTrial: trial.number),
                                     width: width, opacity: opacity, dots: points.count <= 30 && (lines.count == 1 || trial.number == bestTrial)))
        }
        chart.legend = lines.map { trial, _ in
            .init(html: "trial \(trial.number)" + (trial.number == bestTrial ? " <strong>(best)</strong>" : ""),
                  color: color(ofTrial: trial.number), width: style(trial).width)
        }
        return chart
    }

    /// The best trial's numbers per epoch, from its metrics.json, folded away.
    private func epochTable() -> String {
        guard let document, !document.history.isEmpty else { return "" }
        let primary = document.primaryMetric.name
        let columns: [HTMLTable.Cell] = [.text("epoch", classes: ["num"]), .text("train loss", classes: ["num"]),
                                         .text("validation loss", classes: ["num"]), .text(primary, classes: ["num"]),
                                         .text("learning rate", classes: ["num"]), .text("seconds", classes: ["num"])]
        let rows = document.history.enumerated().map { index, r -> HTMLTable.Row in
            let lr: HTMLTable.Cell = r.learningRate.isFinite
                ? .init(html: String(format: "%.6g", r.learningRate), metric: "history.\(index).learning_rate", classes: ["num"])
                : .number(nil)
            let seconds: HTMLTable.Cell = r.seconds.isFinite
                ? .init(html: String(format: "%.2f", r.seconds), metric: "history.\(index).seconds", classes: ["num"]) : .number(nil)
            return .init(cells: [
                .count(r.epoch), .number(r.trainLoss, metric: "history.\(index).train_loss"),
                .number(r.validationLoss, metric: "history.\(index).validation_loss"),
                .number(r.metrics?[primary], metric: "history.\(index).metrics.\(primary)"), lr, seconds,
            ], classes: r.epoch == document.bestEpoch ? ["best"] : [])
        }
        return "<details class=\"epochs\"\(document.history.count <= 12 ? " open" : "")><summary>The best trial's numbers per epoch</summary>"
            + HTMLTable(columns: columns, rows: rows, classes: ["classes"]).html() + "</details>"
    }
}
