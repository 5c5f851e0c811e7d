import Foundation
import SpoolCore

extension JobReport {
    /// A detector's evaluation at its best epoch: headline numbers, COCO's twelve, the per-label table, the
    /// precision-recall curve of every label, mAP and every loss per epoch, and validation images drawn with
    /// their true (dashed) and predicted boxes.
    ///
    /// `data-metric` paths: `primary_metric_value`, `precision`, `recall`, `image_count`,
    /// `coco_stats.<i>`, `per_label.<name>.<key>` (in `best_epoch_report`), `best_epoch` (top level).
    func detectionSection(_ m: DetectionMetrics, document: MetricsDocument) -> String {
        var out = ""
        func number(_ value: Double?, _ path: String) -> String {
            guard let value, value.isFinite else { return ReportFormat.fixed(nil) }
            return "<span data-metric=\"\(HTMLEscaping.escape(path))\">\(ReportFormat.fixed(value))</span>"
        }
        var tiles: [(String, String)] = [
            ("\(m.primaryMetric) (\(m.metricType), IoU \(ReportFormat.fixed(m.iouThreshold)))", number(m.primaryMetricValue, "primary_metric_value")),
            ("precision", number(m.precision, "precision")),
            ("recall", number(m.recall, "recall")),
            ("validation images", "<span data-metric=\"image_count\">\(m.imageCount)</span>"),
            ("best epoch", "<span data-metric=\"best_epoch\">\(document.bestEpoch)</span>"),
        ]
        tiles.append(("box score threshold", ReportFormat.fixed(document.parameters.boxScoreThresh)))
        out += "<div class=\"tiles\">" + tiles.map { name, value in
            "<div class=\"tile\"><div class=\"tile-name\">\(HTMLEscaping.escape(name))</div><div class=\"tile-value\">\(value)</div></div>"
        }.joined() + "</div>"

        if let stats = m.cocoStats {
            let columns: [HTMLTable.Cell] = [.text("COCO"), .text("value", classes: ["num"])]
            let rows = zip(DetectionMetrics.cocoStatNames, stats).enumerated().map { index, pair -> HTMLTable.Row in
                .init(cells: [.label(pair.0), pair.1 >= 0 ? .number(pair.1, metric: "coco_stats.\(index)") : .text("—", classes: ["num", "missing"])])
            }
            out += "<h3>COCO metrics</h3><p class=\"note\">pycocotools' twelve numbers; a dash where undefined "
                + "(no object of that size).</p>" + HTMLTable(columns: columns, rows: rows, classes: ["classes"]).html()
        }

        let heads = ["AP", "COCO AP", "precision", "recall"]
        let keys = ["average_precision", "coco_average_precision", "precision", "recall"]
        let columns: [HTMLTable.Cell] = [.text("label")] + heads.map { .text($0, classes: ["num"]) }
            + [.text("objects", classes: ["num"]), .text("detections", classes: ["num"])]
        let rows = m.perLabel.map { label -> HTMLTable.Row in
            let values = [label.averagePrecision, label.cocoAveragePrecision, label.precision, label.recall]
            let cells = zip(keys, values).map { key, value in HTMLTable.Cell.number(value, metric: "per_label.\(label.name).\(key)") }
            return .init(cells: [.label(label.name)] + cells + [.count(label.support, metric: "per_label.\(label.name).support"),
                                                               .count(label.detections, metric: "per_label.\(label.name).detections")])
        }
        out += "<h3>Per label</h3>" + HTMLTable(columns: columns, rows: rows, classes: ["classes"]).html()

        out += "<div class=\"charts\">" + labelCurves(m) + epochCharts(document) + "</div>"
        out += examplesSection(classes: m.classNames)
        return out
    }

    /// Every label's precision-recall curve at the IoU threshold.
    private func labelCurves(_ m: DetectionMetrics) -> String {
        let unit = SVGChart.Scale.linear(lower: 0, upper: 1, integer: false)
        var chart = SVGChart(title: "Precision-recall curve per label (IoU \(ReportFormat.fixed(m.iouThreshold)))",
                             x: .init(label: "recall", scale: unit), y: .init(label: "precision", scale: unit))
        for (index, label) in m.perLabel.enumerated() where !label.precisionRecallCurve.isEmpty {
            let color = Self.palette[index % Self.palette.count]
            let points = label.precisionRecallCurve.map { (x: $0.recall, y: $0.precision) }
            chart.lines.append(.init(label: label.name, points: points, color: color, width: 2, dots: points.count <= 12))
            chart.legend.append(.init(html: HTMLEscaping.escape(label.name), color: color))
        }
        return chart.lines.isEmpty ? "<p class=\"note\">No label has a precision-recall curve (no detections).</p>" : chart.html()
    }

    /// The best trial's mAP at each evaluation, and each of its losses at each epoch.
    private func epochCharts(_ document: MetricsDocument) -> String {
        let history = document.history
        guard !history.isEmpty else { return "" }
        let last = history.map(\.epoch).max() ?? 1
        let axis = SVGChart.Axis(label: "epoch", scale: .linear(lower: 1, upper: Double(max(2, last)), integer: true))
        let metricPoints = history.compactMap { r in r.metrics?[document.primaryMetric.name].map { (x: Double(r.epoch), y: $0) } }
        var out = ""
        if !metricPoints.isEmpty {
            var chart = SVGChart(title: "\(document.primaryMetric.name) per epoch (best trial)", x: axis,
                                 y: .init(label: document.primaryMetric.name, scale: .fitting(metricPoints.map(\.y))))
            chart.lines.append(.init(label: document.primaryMetric.name, points: metricPoints, color: Self.palette[0], width: 2.4, dots: true))
            out += chart.html()
        }
        let names = Set(history.flatMap { ($0.losses ?? [:]).keys }).sorted()
        if !names.isEmpty {
            let all = history.flatMap { ($0.losses ?? [:]).values }
            var chart = SVGChart(title: "Training losses per epoch (best trial)", x: axis, y: .init(label: "loss", scale: .fitting(all)))
            for (index, name) in names.enumerated() {
                let points = history.compactMap { r in r.losses?[name].map { (x: Double(r.epoch), y: $0) } }
                let color = Self.palette[(index + 1) % Self.palette.count]
                chart.lines.append(.init(label: name, points: points, color: color, width: 2, dots: true))
                chart.legend.append(.init(html: HTMLEscaping.escape(name), color: color))
            }
            out += chart.html()
        }
        return out
    }

    /// Validation images with their boxes, from the best trial's `examples.json` and thumbnails: true boxes
    /// dashed, predictions solid with label and score. The pictures are inlined (data URIs), so the page stays
    /// one file that fetches nothing.
    private func examplesSection(classes: [String]) -> String {
        guard let dir = bestDirectory,
              let examples = try? DetectionExamples.read(from: dir.appendingPathComponent(DetectionExamples.fileName)),
              !examples.images.isEmpty else { return "" }
        var out = "<h3>Validation images</h3><p class=\"note\">True boxes (and masks) dashed, predictions solid (label and score); "
            + "at most \(examples.images.count) images, predictions above the score threshold.</p><div class=\"examples\">"
        for image in examples.images {
            guard let data = FileManager.default.contents(atPath: dir.appendingPathComponent(image.thumbnail).path) else { continue }
            let w = Double(image.thumbnailWidth), h = Double(image.thumbnailHeight)
            var svg = "<svg class=\"example\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" width=\"\(Int(w))\" height=\"\(Int(h))\" role=\"img\">"
            svg += "<title>\(HTMLEscaping.escape(image.name))</title>"
            svg += "<image width=\"\(Int(w))\" height=\"\(Int(h))\" href=\"data:image/png;base64,\(data.base64EncodedString())\"/>"
            func rect(_ b: [Double], color: String, dashed: Bool) -> String {
                let x = b[0] * w, y = b[1] * h, bw = (b[2] - b[0]) * w, bh = (b[3] - b[1]) * h
                return String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"%@\" stroke-width=\"2\"%@/>",
                              x, y, bw, bh, color, dashed ? " stroke-dasharray=\"4 3\"" : "")
            }
            // Segmentation: each mask's polygons, filled lightly, under its box.
            func polygons(_ parts: [[Double]]?, color: String, dashed: Bool) -> String {
                (parts ?? []).filter { $0.count >= 6 }.map { part in
                    let points = stride(from: 0, to: part.count - 1, by: 2)
                        .map { String(format: "%.1f,%.1f", part[$0] * w, part[$0 + 1] * h) }.joined(separator: " ")
                    return "<polygon points=\"\(points)\" fill=\"\(color)\" fill-opacity=\"0.3\" stroke=\"\(color)\" stroke-width=\"1\""
                        + (dashed ? " stroke-dasharray=\"3 2\"" : "") + "/>"
                }.joined()
            }
            for t in image.truths where t.box.count == 4 {
                svg += polygons(t.polygon, color: "#ffffff", dashed: true)
                svg += rect(t.box, color: "#ffffff", dashed: true)
            }
            for p in image.predictions where p.box.count == 4 {
                let color = Self.palette[p.label % Self.palette.count]
                svg += polygons(p.polygon, color: color, dashed: false)
                svg += rect(p.box, color: color, dashed: false)
                let name = p.label < classes.count ? classes[p.label] : "\(p.label)"
                svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" class=\"box-label\" fill=\"%@\">", p.box[0] * w + 2, max(10, p.box[1] * h - 2), color)
                    + "\(HTMLEscaping.escape(name)) \(String(format: "%.2f", p.score))</text>"
            }
            out += svg + "</svg>"
        }
        return out + "</div>"
    }
}
