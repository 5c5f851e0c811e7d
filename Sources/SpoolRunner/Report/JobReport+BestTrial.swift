import Foundation

extension JobReport {
    /// The best trial's evaluation at its best epoch: headline numbers, the confusion matrix (multiclass),
    /// the per-class table with its averages, and the precision-recall and ROC curves of every class.
    func bestTrialSection() -> String {
        guard let bestTrial else {
            return "<section class=\"card\"><h2>Best trial</h2><p class=\"note\">No trial produced a model.</p></section>\n"
        }
        var out = "<section class=\"card\"><h2>Best trial #\(bestTrial)</h2>"
        if let document, let detection = document.bestReport.detection {
            return out + detectionSection(detection, document: document) + "</section>\n"
        }
        guard let metrics else {
            return out + "<p class=\"note\">Its metrics.json was not available.</p></section>\n"
        }
        out += summary(metrics)
        if let confusion = metrics.confusion, !confusion.isEmpty {
            out += "<h3>Confusion matrix</h3><p class=\"note\">Rows: the true class; columns: the predicted one. "
                + "Shaded by the share of the row.</p>" + confusionTable(confusion, names: metrics.classNames)
        }
        if !metrics.perClass.isEmpty || !metrics.averages.isEmpty {
            out += "<h3>Per class</h3>" + classTable(metrics)
        }
        if metrics.perClass.contains(where: { !$0.precisionRecall.isEmpty || !$0.roc.isEmpty }) {
            out += "<div class=\"charts\">" + curveChart(metrics, roc: false) + curveChart(metrics, roc: true) + "</div>"
        }
        return out + "</section>\n"
    }

    /// Tiles: the primary metric, accuracy and IoU where they differ from it, the evaluation's size and epoch.
    private func summary(_ metrics: ReportMetrics) -> String {
        var tiles: [(String, String)] = []
        func number(_ value: Double?, _ path: String) -> String? {
            value.map { "<span data-metric=\"\(path)\">\(ReportFormat.fixed($0))</span>" }
        }
        // The primary metric under its own key when the report has one (`accuracy`, `iou`).
        let primary = metrics.primaryMetric ?? metricName
        if primary == "accuracy", let value = number(metrics.accuracy, "accuracy") {
            tiles.append((primary, value))
        } else if primary == "iou", let value = number(metrics.iou, "iou") {
            tiles.append((primary, value))
        } else if let value = number(metrics.primaryMetricValue, "primary_metric_value") {
            tiles.append((primary, value))
        }
        if primary != "accuracy", let value = number(metrics.accuracy, "accuracy") {
            tiles.append((metrics.confusion == nil ? "subset accuracy" : "accuracy", value))
        }
        if primary != "iou", let value = number(metrics.iou, "iou") { tiles.append(("iou", value)) }
        if let f1 = metrics.averages.first(where: { $0.name == "macro" })?.scores["f1"], let value = number(f1, "macro.f1") {
            tiles.append(("macro F1", value))
        }
        if let threshold = number(metrics.decisionThreshold, "decision_threshold") { tiles.append(("decision threshold", threshold)) }
        if let count = metrics.sampleCount { tiles.append(("validation images", "<span data-metric=\"sample_count\">\(count)</span>")) }
        if let epoch = metrics.bestEpoch { tiles.append(("best epoch", "<span data-metric=\"best_epoch\">\(epoch)</span>")) }
        guard !tiles.isEmpty else { return "" }
        return "<div class=\"tiles\">" + tiles.map { name, value in
            "<div class=\"tile\"><div class=\"tile-name\">\(HTMLEscaping.escape(name))</div><div class=\"tile-value\">\(value)</div></div>"
        }.joined() + "</div>"
    }

    /// The matrix with class names on both sides, each cell shaded by its share of the row.
    private func confusionTable(_ confusion: [[Int]], names: [String]) -> String {
        func name(_ index: Int) -> String { index < names.count ? names[index] : "class \(index)" }
        let width = confusion.map(\.count).max() ?? 0
        let columns: [HTMLTable.Cell] = [.init(html: "true \\ predicted", classes: ["corner"])]
            + (0..<width).map { HTMLTable.Cell.text(name($0), classes: ["num"]) }
        let rows = confusion.enumerated().map { i, row -> HTMLTable.Row in
            let total = max(1, row.reduce(0, +))
            let cells = row.enumerated().map { j, count -> HTMLTable.Cell in
                let share = Double(count) / Double(total)
                var cell = HTMLTable.Cell.count(count, metric: "confusion.\(i).\(j)")
                if count > 0 {
                    cell.style = String(format: "background:rgba(37,99,235,%.3f)", 0.08 + 0.82 * share)
                    if share > 0.5 { cell.classes.append("dark") }
                }
                if i == j { cell.classes.append("diagonal") }
                return cell
            }
            return .init(cells: [.label(name(i))] + cells)
        }
        return HTMLTable(columns: columns, rows: rows, classes: ["confusion"]).html()
    }

    /// Precision, recall, F1, IoU, AP, ROC AUC and support per class, then the micro, macro and weighted rows.
    private func classTable(_ metrics: ReportMetrics) -> String {
        let keys = ReportMetrics.scoreKeys
        let heads = ["precision", "recall", "F1", "IoU", "AP", "ROC AUC"]
        let columns: [HTMLTable.Cell] = [.text("class")] + heads.map { .text($0, classes: ["num"]) } + [.text("support", classes: ["num"])]
        var rows = metrics.perClass.map { entry -> HTMLTable.Row in
            let cells = keys.map { HTMLTable.Cell.number(entry.scores[$0], metric: "per_class.\(entry.name).\($0)") }
            return .init(cells: [.label(entry.name)] + cells + [.count(entry.support, metric: "per_class.\(entry.name).support")])
        }
        rows += metrics.averages.map { average in
            let cells = keys.map { HTMLTable.Cell.number(average.scores[$0], metric: "\(average.name).\($0)") }
            return .init(cells: [.label("\(average.name) average")] + cells + [.text("", classes: ["num"])], classes: ["average"])
        }
        return HTMLTable(columns: columns, rows: rows, classes: ["classes"]).html()
    }

    /// Every class's precision-recall curve (recall across, precision up) or ROC curve (false positive rate
    /// across, true positive rate up, chance dashed), on axes from 0 to 1.
    private func curveChart(_ metrics: ReportMetrics, roc: Bool) -> String {
        let unit = SVGChart.Scale.linear(lower: 0, upper: 1, integer: false)
        var chart = SVGChart(
            title: roc ? "ROC curve per class" : "Precision-recall curve per class",
            x: .init(label: roc ? "false positive rate" : "recall", scale: unit),
            y: .init(label: roc ? "true positive rate" : "precision", scale: unit))
        chart.diagonal = roc
        for (index, entry) in metrics.perClass.enumerated() {
            let points = roc ? entry.roc : entry.precisionRecall
            guard !points.isEmpty else { continue }
            let color = Self.palette[index % Self.palette.count]
            chart.lines.append(.init(label: entry.name, points: points, color: color, width: 2, dots: points.count <= 12))
            let key = roc ? "roc_auc" : "average_precision"
            var label = HTMLEscaping.escape(entry.name)
            if let value = entry.scores[key] {
                label += " <span class=\"muted\">\(roc ? "AUC" : "AP")</span> "
                    + "<span data-metric=\"\(HTMLEscaping.escape("per_class.\(entry.name).\(key)"))\">\(ReportFormat.fixed(value))</span>"
            }
            chart.legend.append(.init(html: label, color: color))
        }
        if roc { chart.legend.append(.init(html: "chance", color: "#9aa5b1", dashed: true)) }
        return chart.html()
    }
}
