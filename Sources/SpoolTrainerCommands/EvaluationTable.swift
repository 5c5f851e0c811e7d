import Foundation
import SpoolCore

/// `evaluate`'s short answer: where, the primary metric and its value, then a line per class with the report's
/// per-class metrics and its count (images of the class; objects for a detector). `--json` prints the whole
/// `EvaluationDocument` instead.
enum EvaluationTable {
    static func text(_ document: EvaluationDocument) -> String {
        var lines = ["model: \(document.model)", "data: \(document.data), \(document.images) image(s)",
                     "\(document.primaryMetric.name): \(format(document.primaryMetric.value))", ""]
        let header: [String], rows: [[String]]
        switch document.report {
        case let .classification(m):
            header = ["class", "precision", "recall", "f1"] + (m.task == .imageClassificationMultilabel ? ["iou"] : []) + ["count"]
            rows = m.perClass.map { c in
                [c.name, format(c.precision), format(c.recall), format(c.f1)]
                    + (m.task == .imageClassificationMultilabel ? [format(c.iou)] : []) + ["\(c.support)"]
            }
        case let .detection(m):
            header = ["class", "average_precision", "precision", "recall", "count"]
            rows = m.perLabel.map { l in
                [l.name, l.averagePrecision.map(format) ?? "-", format(l.precision), format(l.recall), "\(l.support)"]
            }
        }
        let table = [header] + rows
        let widths = header.indices.map { column in table.map { $0[column].count }.max() ?? 0 }
        for row in table {
            // The class name left-aligned, numbers right-aligned.
            let cells = row.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                return column == 0 ? cell + pad : pad + cell
            }
            lines.append(cells.joined(separator: "  "))
        }
        if case let .detection(m) = document.report {
            lines.append("")
            lines.append("count: objects of the class; average precision at IoU \(format(m.iouThreshold)), '-' where the class has none")
        }
        if let predictions = document.predictions { lines.append("predictions: \(predictions)") }
        return lines.joined(separator: "\n")
    }

    static func format(_ value: Double) -> String {
        value.isFinite ? String(format: "%.4f", value) : "\(value)"
    }
}
