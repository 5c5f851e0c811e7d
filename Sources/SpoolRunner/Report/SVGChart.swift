import Foundation

/// A small chart as inline SVG for `report.html`: axes with ticks, grid lines and labels, lines (learning
/// curves, precision-recall and ROC curves) and marks (a sweep's scatter), with an HTML legend below.
///
/// Axes are linear (nice 1-2-5 ticks), logarithmic (powers of ten) or categorical (one band per value).
/// Everything is drawn in a fixed view box and scales with the page; no script, no external resource.
struct SVGChart {
    /// How values map onto an axis.
    enum Scale {
        /// From `lower` to `upper`; `integer` keeps ticks on whole numbers (epochs).
        case linear(lower: Double, upper: Double, integer: Bool)
        /// Powers of ten from `10^lower` to `10^upper` (exponents).
        case log(lower: Int, upper: Int)
        /// One band per name; a value `i` (plus a jitter within ±0.5) is the i-th band.
        case bands([String])

        /// 0 at the start of the axis, 1 at its end.
        func fraction(_ value: Double) -> Double {
            switch self {
            case let .linear(lower, upper, _):
                return upper > lower ? (value - lower) / (upper - lower) : 0.5
            case let .log(lower, upper):
                guard value > 0, upper > lower else { return 0 }
                return (log10(value) - Double(lower)) / Double(upper - lower)
            case let .bands(names):
                return names.isEmpty ? 0.5 : (value + 0.5) / Double(names.count)
            }
        }

        /// Where the ticks go and what they say.
        var ticks: [(value: Double, label: String)] {
            switch self {
            case let .linear(lower, upper, integer):
                var step = Self.niceStep(upper - lower)
                if integer { step = max(1, step.rounded(.up)) }
                // The tolerance keeps 0.30000000000000004 / 0.1 from skipping the tick at 0.3.
                let first = (lower / step - 1e-9).rounded(.up) * step
                var ticks: [(Double, String)] = []
                var value = first
                while value <= upper + step * 1e-9, ticks.count < 50 {
                    ticks.append((value, ReportFormat.tick(value, step: step)))
                    value = first + Double(ticks.count) * step
                }
                return ticks
            case let .log(lower, upper):
                return (lower...max(lower, upper)).map { (pow(10, Double($0)), ReportFormat.power($0)) }
            case let .bands(names):
                return names.enumerated().map { (Double($0.offset), $0.element) }
            }
        }

        /// About `count` intervals of 1, 2 or 5 times a power of ten.
        static func niceStep(_ span: Double, count: Double = 5) -> Double {
            guard span > 0, span.isFinite else { return 1 }
            let raw = span / count
            let magnitude = pow(10, (log10(raw)).rounded(.down))
            let f = raw / magnitude
            let e = 1e-9
            return (f <= 1 + e ? 1 : f <= 2 + e ? 2 : f <= 5 + e ? 5 : 10) * magnitude
        }

        /// A linear axis that holds `values`, widened to whole ticks (a single value gets room around it).
        static func fitting(_ values: [Double], integer: Bool = false) -> Scale {
            let finite = values.filter(\.isFinite)
            guard var low = finite.min(), var high = finite.max() else { return .linear(lower: 0, upper: 1, integer: integer) }
            if high == low {
                let pad = integer ? 1 : max(abs(low) * 0.1, 0.05)
                low -= pad
                high += pad
            }
            // Widen to whole steps; then again if the wider span asks for a longer step, so that the ticks
            // (drawn with the span's step) fall on both ends.
            var lower = low, upper = high, step = 0.0
            for _ in 0..<4 {
                var next = niceStep(upper - lower)
                if integer { next = max(1, next.rounded(.up)) }
                if abs(next - step) <= next * 1e-9 { break }
                step = next
                lower = (low / step + 1e-9).rounded(.down) * step
                upper = (high / step - 1e-9).rounded(.up) * step
            }
            return .linear(lower: lower, upper: upper, integer: integer)
        }

        /// A numeric axis for sampled values: logarithmic when they are all positive and span more than two
        /// decades (learning rates), else linear.
        static func numeric(_ values: [Double]) -> Scale {
            let finite = values.filter(\.isFinite)
            if let low = finite.min(), let high = finite.max(), low > 0, high / low > 100 {
                return .log(lower: Int(log10(low).rounded(.down)), upper: Int(log10(high).rounded(.up)))
            }
            return fitting(finite)
        }
    }

    struct Axis {
        var label: String
        var scale: Scale
    }

    /// How a mark is drawn.
    enum Marker {
        case disc, ring, triangle, cross, star
    }

    struct Line {
        var label: String?
        var points: [(x: Double, y: Double)]
        var color: String
        var width: Double = 1.6
        var dashed = false
        var opacity = 1.0
        /// Draw a dot at each point (sparse evaluations).
        var dots = false
    }

    struct Mark {
        var x: Double
        var y: Double
        var marker: Marker
        var color: String
        /// Shown on hover (an SVG `<title>`).
        var title: String
        var size = 5.0
    }

    struct LegendEntry {
        /// The label as HTML (escaped by the caller; may hold a `data-metric` span).
        var html: String
        var color: String
        var marker: Marker?
        var width = 2.0
        var dashed = false
    }

    var title: String
    var x: Axis
    var y: Axis
    var lines: [Line] = []
    var marks: [Mark] = []
    var legend: [LegendEntry] = []
    /// A dashed diagonal from (0, 0) to (1, 1): chance on a ROC chart.
    var diagonal = false
    var width = 520.0
    var height = 300.0

    private let left = 58.0, right = 14.0, top = 12.0, bottom = 42.0

    private var plotWidth: Double { width - left - right }
    private var plotHeight: Double { height - top - bottom }

    private func px(_ value: Double) -> Double { left + min(1.04, max(-0.04, x.scale.fraction(value))) * plotWidth }
    private func py(_ value: Double) -> Double { top + (1 - min(1.04, max(-0.04, y.scale.fraction(value)))) * plotHeight }

    private static func n(_ value: Double) -> String { String(format: "%.1f", value) }

    /// `<figure>`: the title, the SVG, the legend.
    func html() -> String {
        var out = "<figure class=\"chart\"><figcaption>\(HTMLEscaping.escape(title))</figcaption>"
        out += "<svg viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(HTMLEscaping.escape(title))\">"
        out += frame()
        if diagonal {
            out += "<line class=\"chance\" x1=\"\(Self.n(px(0)))\" y1=\"\(Self.n(py(0)))\" x2=\"\(Self.n(px(1)))\" y2=\"\(Self.n(py(1)))\"/>"
        }
        for line in lines { out += draw(line) }
        for mark in marks { out += draw(mark) }
        out += "</svg>"
        out += Self.legend(legend)
        return out + "</figure>"
    }

    /// A row of legend entries, each its swatch and label (nothing when there are none).
    static func legend(_ entries: [LegendEntry]) -> String {
        guard !entries.isEmpty else { return "" }
        return "<div class=\"legend\">"
            + entries.map { "<span class=\"legend-entry\">\(swatch($0))\($0.html)</span>" }.joined() + "</div>"
    }

    /// The plot's background, grid lines, ticks and axis labels.
    private func frame() -> String {
        var out = "<rect class=\"plot\" x=\"\(Self.n(left))\" y=\"\(Self.n(top))\" width=\"\(Self.n(plotWidth))\" height=\"\(Self.n(plotHeight))\"/>"
        if case let .bands(names) = x.scale {
            for index in names.indices where index % 2 == 1 {
                let x0 = left + Double(index) / Double(names.count) * plotWidth
                out += "<rect class=\"band\" x=\"\(Self.n(x0))\" y=\"\(Self.n(top))\" width=\"\(Self.n(plotWidth / Double(names.count)))\" height=\"\(Self.n(plotHeight))\"/>"
            }
        }
        let bottomY = top + plotHeight
        for tick in x.scale.ticks {
            let tx = px(tick.value)
            if case .bands = x.scale {} else {
                out += "<line class=\"grid\" x1=\"\(Self.n(tx))\" y1=\"\(Self.n(top))\" x2=\"\(Self.n(tx))\" y2=\"\(Self.n(bottomY))\"/>"
            }
            out += "<line class=\"tick\" x1=\"\(Self.n(tx))\" y1=\"\(Self.n(bottomY))\" x2=\"\(Self.n(tx))\" y2=\"\(Self.n(bottomY + 4))\"/>"
            out += "<text x=\"\(Self.n(tx))\" y=\"\(Self.n(bottomY + 16))\" text-anchor=\"middle\">\(HTMLEscaping.escape(Self.clip(tick.label)))</text>"
        }
        for tick in y.scale.ticks {
            let ty = py(tick.value)
            out += "<line class=\"grid\" x1=\"\(Self.n(left))\" y1=\"\(Self.n(ty))\" x2=\"\(Self.n(left + plotWidth))\" y2=\"\(Self.n(ty))\"/>"
            out += "<line class=\"tick\" x1=\"\(Self.n(left - 4))\" y1=\"\(Self.n(ty))\" x2=\"\(Self.n(left))\" y2=\"\(Self.n(ty))\"/>"
            out += "<text x=\"\(Self.n(left - 7))\" y=\"\(Self.n(ty + 3.5))\" text-anchor=\"end\">\(HTMLEscaping.escape(tick.label))</text>"
        }
        out += "<line class=\"axis\" x1=\"\(Self.n(left))\" y1=\"\(Self.n(bottomY))\" x2=\"\(Self.n(left + plotWidth))\" y2=\"\(Self.n(bottomY))\"/>"
        out += "<line class=\"axis\" x1=\"\(Self.n(left))\" y1=\"\(Self.n(top))\" x2=\"\(Self.n(left))\" y2=\"\(Self.n(bottomY))\"/>"
        out += "<text class=\"axis-label\" x=\"\(Self.n(left + plotWidth / 2))\" y=\"\(Self.n(height - 6))\" text-anchor=\"middle\">\(HTMLEscaping.escape(x.label))</text>"
        let cy = top + plotHeight / 2
        out += "<text class=\"axis-label\" x=\"14\" y=\"\(Self.n(cy))\" text-anchor=\"middle\" transform=\"rotate(-90 14 \(Self.n(cy)))\">\(HTMLEscaping.escape(y.label))</text>"
        return out
    }

    /// A band's label, shortened to fit under it.
    private static func clip(_ label: String) -> String {
        label.count > 18 ? String(label.prefix(17)) + "…" : label
    }

    private func draw(_ line: Line) -> String {
        let points = line.points.filter { $0.x.isFinite && $0.y.isFinite }
        guard !points.isEmpty else { return "" }
        var style = "stroke:\(line.color);stroke-width:\(line.width)"
        if line.dashed { style += ";stroke-dasharray:5 4" }
        if line.opacity < 1 { style += ";opacity:\(line.opacity)" }
        var out = "<g>"
        if let label = line.label { out += "<title>\(HTMLEscaping.escape(label))</title>" }
        if points.count > 1 {
            let path = points.map { "\(Self.n(px($0.x))),\(Self.n(py($0.y)))" }.joined(separator: " ")
            out += "<polyline class=\"series\" points=\"\(path)\" style=\"\(style)\"/>"
        }
        if line.dots || points.count == 1 {
            let radius = max(2.2, line.width * 1.1)
            for point in points {
                out += "<circle cx=\"\(Self.n(px(point.x)))\" cy=\"\(Self.n(py(point.y)))\" r=\"\(Self.n(radius))\" style=\"fill:\(line.color)\(line.opacity < 1 ? ";opacity:\(line.opacity)" : "")\"/>"
            }
        }
        return out + "</g>"
    }

    private func draw(_ mark: Mark) -> String {
        "<g class=\"mark\"><title>\(HTMLEscaping.escape(mark.title))</title>"
            + Self.shape(mark.marker, x: px(mark.x), y: py(mark.y), size: mark.size, color: mark.color) + "</g>"
    }

    /// One marker centred on (x, y).
    static func shape(_ marker: Marker, x: Double, y: Double, size s: Double, color: String) -> String {
        switch marker {
        case .disc:
            return "<circle cx=\"\(n(x))\" cy=\"\(n(y))\" r=\"\(n(s))\" style=\"fill:\(color);fill-opacity:0.85;stroke:#fff;stroke-width:1\"/>"
        case .ring:
            return "<circle cx=\"\(n(x))\" cy=\"\(n(y))\" r=\"\(n(s))\" style=\"fill:#fff;stroke:\(color);stroke-width:1.8\"/>"
        case .triangle:
            let h = s * 1.15
            return "<polygon points=\"\(n(x)),\(n(y - h)) \(n(x + h)),\(n(y + h * 0.75)) \(n(x - h)),\(n(y + h * 0.75))\" style=\"fill:#fff;stroke:\(color);stroke-width:1.8\"/>"
        case .cross:
            let d = s * 0.9
            return "<path d=\"M\(n(x - d)) \(n(y - d))L\(n(x + d)) \(n(y + d))M\(n(x - d)) \(n(y + d))L\(n(x + d)) \(n(y - d))\" style=\"stroke:\(color);stroke-width:2.4;stroke-linecap:round\"/>"
        case .star:
            let points = (0..<10).map { i -> String in
                let radius = i % 2 == 0 ? s * 1.6 : s * 0.7
                let angle = Double(i) * .pi / 5 - .pi / 2
                return "\(n(x + radius * cos(angle))),\(n(y + radius * sin(angle)))"
            }.joined(separator: " ")
            return "<polygon points=\"\(points)\" style=\"fill:\(color);stroke:#5a4500;stroke-width:1\"/>"
        }
    }

    /// The small picture before a legend entry: its marker, or a stretch of its line.
    private static func swatch(_ entry: LegendEntry) -> String {
        var out = "<svg class=\"swatch\" viewBox=\"0 0 24 14\" width=\"24\" height=\"14\" aria-hidden=\"true\">"
        if let marker = entry.marker {
            out += shape(marker, x: 12, y: 7, size: 4.5, color: entry.color)
        } else {
            out += "<line x1=\"2\" y1=\"7\" x2=\"22\" y2=\"7\" style=\"stroke:\(entry.color);stroke-width:\(entry.width)\(entry.dashed ? ";stroke-dasharray:4 3" : "")\"/>"
        }
        return out + "</svg>"
    }
}
