import Foundation
import SpoolStore

extension JobReport {
    /// The learning curves: the primary metric at each evaluation and the train loss at each epoch, a line per
    /// trial; the best trial's line is drawn last, thicker, and named in the legend.
    func curvesSection() -> String {
        var out = "<section class=\"card\"><h2>Learning curves</h2>"
        let withEpochs = trials.filter { !(epochs[$0.id] ?? []).isEmpty }
        guard !withEpochs.isEmpty else {
            return out + "<p class=\"note\">No trial recorded an epoch.</p></section>\n"
        }
        // The best trial last, so that it is drawn over the others.
        let ordered = withEpochs.filter { $0.number != bestTrial } + withEpochs.filter { $0.number == bestTrial }
        let lastEpoch = withEpochs.flatMap { epochs[$0.id] ?? [] }.map(\.epoch).max() ?? 1
        let epochAxis = SVGChart.Axis(label: "epoch", scale: .linear(lower: 1, upper: Double(max(2, lastEpoch)), integer: true))

        func chart(title: String, axis: String, value: (EpochMetric) -> Double?) -> SVGChart {
            let series = ordered.map { trial in
                (trial, (epochs[trial.id] ?? []).compactMap { e in value(e).map { (x: Double(e.epoch), y: $0) } })
            }
            let all = series.flatMap { $0.1.map(\.y) }
            var chart = SVGChart(title: title, x: epochAxis, y: .init(label: axis, scale: .fitting(all)))
            for (trial, points) in series where !points.isEmpty {
                let best = trial.number == bestTrial
                chart.lines.append(.init(label: "trial \(trial.number)", points: points, color: color(ofTrial: trial.number),
                                         width: best ? 3.2 : 1.6, opacity: best || bestTrial == nil ? 1 : 0.6, dots: true))
            }
            chart.legend = withEpochs.map { trial in
                let best = trial.number == bestTrial
                return .init(html: "trial \(trial.number)" + (best ? " <strong>(best)</strong>" : ""),
                             color: color(ofTrial: trial.number), width: best ? 3.2 : 1.6)
            }
            return chart
        }

        let metric = chart(title: "\(metricName) at each evaluation", axis: metricName) { $0.primaryMetric }
        let loss = chart(title: "train loss at each epoch", axis: "train loss") { $0.trainLoss }
        out += "<div class=\"charts\">"
        out += metric.lines.isEmpty ? "<p class=\"note\">No evaluation was recorded.</p>" : metric.html()
        out += loss.lines.isEmpty ? "<p class=\"note\">No train loss was recorded.</p>" : loss.html()
        return out + "</div></section>\n"
    }
}
