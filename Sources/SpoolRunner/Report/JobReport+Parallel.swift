import Foundation
import SpoolCore
import SpoolStore

extension JobReport {
    /// The sweep's trials as parallel coordinates: an axis per varying hyperparameter (numeric, logarithmic past
    /// two decades, or one band per value) and the best metric last; a line per trial through its values,
    /// coloured by its metric (light for low, dark blue for high), the best one gold and on top, trials without
    /// a metric grey and dashed (they stop before the metric axis).
    func parallelCoordinates() -> String {
        let axes: [(name: String, scale: SVGChart.Scale, position: (Trial) -> Double?)] = parameters.compactMap { name in
            let given = trials.compactMap { values[$0.number]?[name] }
            guard !given.isEmpty else { return nil }
            let numbers = given.compactMap { Self.numeric($0) }
            if numbers.count == given.count {
                return (name, .numeric(numbers), { trial in values[trial.number]?[name].flatMap { Self.numeric($0) } })
            }
            let bands = Array(Set(given.map { Self.describe($0) })).sorted()
            return (name, .bands(bands), { trial in
                values[trial.number]?[name].flatMap { value in bands.firstIndex(of: Self.describe(value)).map(Double.init) }
            })
        }
        guard !axes.isEmpty, trials.count > 1 else { return "" }
        let metrics = trials.compactMap(\.bestMetricValue).filter(\.isFinite)
        let metricScale = SVGChart.Scale.fitting(metrics)
        let all = axes + [(name: "best \(metricName)", scale: metricScale, position: { (trial: Trial) in trial.bestMetricValue })]
        let width = 1000.0, height = 330.0, left = 70.0, right = 70.0, top = 34.0, bottom = 22.0
        let plotHeight = height - top - bottom
        let step = (width - left - right) / Double(max(1, all.count - 1))
        func x(_ i: Int) -> Double { all.count == 1 ? width / 2 : left + Double(i) * step }
        func y(_ scale: SVGChart.Scale, _ value: Double) -> Double { top + (1 - min(1.02, max(-0.02, scale.fraction(value)))) * plotHeight }
        func n(_ v: Double) -> String { String(format: "%.1f", v) }
        let low = metrics.min() ?? 0, high = metrics.max() ?? 1

        var svg = "<svg class=\"parallel\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"parallel coordinates of the trials\">"
        // Lines: no metric first, then by metric (low first), the best last.
        let order = trials.sorted { a, b in
            func rank(_ t: Trial) -> (Int, Double) {
                t.number == bestTrial ? (2, 0) : t.bestMetricValue.map { (1, $0) } ?? (0, 0)
            }
            return rank(a) < rank(b)
        }
        for trial in order {
            var points: [String] = []
            for (i, axis) in all.enumerated() {
                guard let value = axis.position(trial), value.isFinite else { continue }
                points.append("\(n(x(i))),\(n(y(axis.scale, value)))")
            }
            guard points.count > 1 else { continue }
            let metric = trial.bestMetricValue.map { ReportFormat.fixed($0) } ?? "none"
            let title = "trial \(trial.number) (\(trial.state.rawValue)): " + parameters.map { name in
                "\(name) = \(values[trial.number]?[name].map { Self.describe($0) } ?? ReportFormat.missing)"
            }.joined(separator: ", ") + ", best \(metricName) \(metric)"
            svg += "<g class=\"trial-line\" data-trial=\"\(trial.number)\"><title>\(HTMLEscaping.escape(title))</title>"
            let path = points.joined(separator: " ")
            if trial.number == bestTrial {
                svg += "<polyline points=\"\(path)\" style=\"fill:none;stroke:#5a4500;stroke-width:6.5;stroke-linejoin:round;opacity:0.85\"/>"
                svg += "<polyline points=\"\(path)\" style=\"fill:none;stroke:#f5b700;stroke-width:3.6;stroke-linejoin:round\"/>"
            } else if let value = trial.bestMetricValue, value.isFinite {
                let t = high > low ? (value - low) / (high - low) : 1
                svg += "<polyline points=\"\(path)\" style=\"fill:none;stroke:\(Self.rampColor(t));stroke-width:2;stroke-linejoin:round;opacity:0.85\"/>"
            } else {
                svg += "<polyline points=\"\(path)\" style=\"fill:none;stroke:#9aa5b1;stroke-width:1.5;stroke-dasharray:5 4\"/>"
            }
            svg += "</g>"
        }
        // Axes over the lines: the line, ticks with labels, the name on top.
        for (i, axis) in all.enumerated() {
            let ax = x(i)
            svg += "<line class=\"axis\" x1=\"\(n(ax))\" y1=\"\(n(top))\" x2=\"\(n(ax))\" y2=\"\(n(top + plotHeight))\"/>"
            for tick in axis.scale.ticks {
                let ty = y(axis.scale, tick.value)
                let label = tick.label.count > 14 ? String(tick.label.prefix(13)) + "…" : tick.label
                svg += "<line class=\"tick\" x1=\"\(n(ax - 4))\" y1=\"\(n(ty))\" x2=\"\(n(ax))\" y2=\"\(n(ty))\"/>"
                svg += "<text class=\"tick-label\" x=\"\(n(ax - 7))\" y=\"\(n(ty + 3.5))\" text-anchor=\"end\">\(HTMLEscaping.escape(label))</text>"
            }
            let anchor = i == 0 ? "start" : i == all.count - 1 ? "end" : "middle"
            let lx = i == 0 ? ax - 8 : i == all.count - 1 ? ax + 8 : ax
            svg += "<text class=\"axis-name\" x=\"\(n(lx))\" y=\"\(n(top - 14))\" text-anchor=\"\(anchor)\">\(HTMLEscaping.escape(axis.name))</text>"
        }
        svg += "</svg>"
        let bar = "<span class=\"legend-entry\"><span class=\"muted\">\(HTMLEscaping.escape(ReportFormat.fixed(low)))</span>"
            + "<svg class=\"swatch\" viewBox=\"0 0 80 10\" width=\"80\" height=\"10\" aria-hidden=\"true\">"
            + (0..<16).map { "<rect x=\"\($0 * 5)\" width=\"5.2\" height=\"10\" fill=\"\(Self.rampColor(Double($0) / 15))\"/>" }.joined() + "</svg>"
            + "<span class=\"muted\">\(HTMLEscaping.escape(ReportFormat.fixed(high)))</span> best \(HTMLEscaping.escape(metricName))</span>"
        let legend = "<div class=\"legend\">" + bar
            + "<span class=\"legend-entry\"><svg class=\"swatch\" viewBox=\"0 0 24 14\" width=\"24\" height=\"14\" aria-hidden=\"true\"><line x1=\"2\" y1=\"7\" x2=\"22\" y2=\"7\" style=\"stroke:#5a4500;stroke-width:6\"/><line x1=\"2\" y1=\"7\" x2=\"22\" y2=\"7\" style=\"stroke:#f5b700;stroke-width:3.4\"/></svg>best trial</span>"
            + "<span class=\"legend-entry\"><svg class=\"swatch\" viewBox=\"0 0 24 14\" width=\"24\" height=\"14\" aria-hidden=\"true\"><line x1=\"2\" y1=\"7\" x2=\"22\" y2=\"7\" style=\"stroke:#9aa5b1;stroke-width:1.5;stroke-dasharray:5 4\"/></svg>no metric (failed)</span></div>"
        return "<figure class=\"chart parallel-chart\"><figcaption>Parallel coordinates: every trial across the hyperparameters that varied</figcaption>"
            + svg + legend + "</figure>"
    }

    /// Low to high metric: light orange to dark blue (readable on white, apart from the best trial's gold).
    static let ramp = ["#f4a582", "#d1c4c0", "#92c5de", "#4393c3", "#2166ac"]

    /// A colour of `ramp` at `t` in [0, 1], interpolated.
    static func rampColor(_ t: Double) -> String {
        let t = min(1, max(0, t.isFinite ? t : 0)) * Double(ramp.count - 1)
        let i = min(ramp.count - 2, Int(t)), f = t - Double(i)
        func rgb(_ hex: String) -> [Double] {
            let v = Int(hex.dropFirst(), radix: 16) ?? 0
            return [Double((v >> 16) & 255), Double((v >> 8) & 255), Double(v & 255)]
        }
        let a = rgb(ramp[i]), b = rgb(ramp[i + 1])
        let c = zip(a, b).map { Int(($0 + ($1 - $0) * f).rounded()) }
        return String(format: "#%02x%02x%02x", c[0], c[1], c[2])
    }
}
