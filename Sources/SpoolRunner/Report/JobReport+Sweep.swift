import Foundation
import SpoolCore
import SpoolStore

extension JobReport {
    /// A chart per varying hyperparameter: each trial's best metric against its value. Numbers on a numeric
    /// axis (logarithmic past two decades), other values as bands; the best trial a star, completed trials
    /// discs, stopped ones (by a policy, or the budget) triangles, failed ones crosses (on the axis's floor when
    /// they have no metric).
    func sweepSection() -> String {
        var out = "<section class=\"card\"><h2>Sweep</h2>"
        guard !parameters.isEmpty else {
            return out + "<p class=\"note\">No hyperparameter varied between the trials.</p></section>\n"
        }
        out += parallelCoordinates()
        out += "<h3>Each hyperparameter</h3><p class=\"note\">Each trial's best \(HTMLEscaping.escape(metricName)) against the values it was given.</p>"
        out += SVGChart.legend([
            .init(html: "best", color: "#f5b700", marker: .star),
            .init(html: "completed", color: Self.palette[0], marker: .disc),
            .init(html: "stopped", color: "#e8871e", marker: .triangle),
            .init(html: "failed", color: "#c0392b", marker: .cross),
        ])
        let metricScale = SVGChart.Scale.fitting(trials.compactMap(\.bestMetricValue))
        let floor = metricScale.ticks.first?.value ?? 0
        out += "<div class=\"charts\">"
        for name in parameters {
            let given = trials.compactMap { trial in values[trial.number]?[name].map { (trial, $0) } }
            guard !given.isEmpty else { continue }
            let numbers = given.compactMap { Self.numeric($0.1) }
            var chart: SVGChart
            var positions: [Double]
            if numbers.count == given.count {
                chart = SVGChart(title: name, x: .init(label: name, scale: .numeric(numbers)),
                                 y: .init(label: "best \(metricName)", scale: metricScale))
                positions = numbers
            } else {
                let labels = given.map { Self.describe($0.1) }
                let bands = Array(Set(labels)).sorted()
                chart = SVGChart(title: name, x: .init(label: name, scale: .bands(bands)),
                                 y: .init(label: "best \(metricName)", scale: metricScale))
                positions = labels.map { Double(bands.firstIndex(of: $0)!) }
                // Spread the trials of a band side by side.
                var seen: [Double: Int] = [:]
                let counts = Dictionary(grouping: positions, by: { $0 }).mapValues(\.count)
                for i in positions.indices {
                    let band = positions[i], k = seen[band, default: 0], m = counts[band] ?? 1
                    seen[band] = k + 1
                    positions[i] = band + (Double(k) - Double(m - 1) / 2) * min(0.6 / Double(m), 0.12)
                }
            }
            // The best last, so that it is drawn over the others.
            let order = given.indices.sorted { (given[$0].0.number == bestTrial ? 1 : 0) < (given[$1].0.number == bestTrial ? 1 : 0) }
            for i in order {
                let (trial, value) = given[i]
                let metric = trial.bestMetricValue
                var title = "trial \(trial.number) (\(trial.state.rawValue)): \(name) = \(Self.describe(value)), "
                title += "best \(metricName) " + (metric.map { ReportFormat.fixed($0) } ?? "none")
                chart.marks.append(mark(for: trial, x: positions[i], y: metric ?? floor, title: title))
            }
            out += chart.html()
        }
        return out + "</div></section>\n"
    }

    private func mark(for trial: Trial, x: Double, y: Double, title: String) -> SVGChart.Mark {
        if trial.number == bestTrial { return .init(x: x, y: y, marker: .star, color: "#f5b700", title: title, size: 5.5) }
        switch Outcome(trial.state) {
        case .completed: return .init(x: x, y: y, marker: .disc, color: Self.palette[0], title: title)
        case .stopped: return .init(x: x, y: y, marker: .triangle, color: "#e8871e", title: title)
        case .failed: return .init(x: x, y: y, marker: .cross, color: "#c0392b", title: title)
        case .live: return .init(x: x, y: y, marker: .ring, color: "#7f7f7f", title: title)
        }
    }

    /// A sampled number, else nil (choices of text, booleans, lists are bands).
    static func numeric(_ value: SettingValue) -> Double? {
        switch value {
        case let .int(number): Double(number)
        case let .double(number): number.isFinite ? number : nil
        default: nil
        }
    }
}
