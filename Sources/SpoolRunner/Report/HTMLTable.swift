import Foundation

/// A `<table>` for `report.html`: a header row and body rows of cells, numbers right-aligned, and a
/// `data-metric` attribute on every cell whose number comes from `metrics.json`.
struct HTMLTable {
    struct Cell {
        /// The cell's contents as HTML (already escaped).
        var html: String
        /// Where its number sits in `metrics.json` (see `JobReport`), written as `data-metric`.
        var metric: String?
        var classes: [String] = []
        /// An inline `style` (a shaded confusion-matrix cell).
        var style: String?
        /// A `<th>` rather than a `<td>` (a row's label).
        var isHeader = false

        /// A cell of text, escaped.
        static func text(_ text: String, classes: [String] = []) -> Cell {
            Cell(html: HTMLEscaping.escape(text), classes: classes)
        }

        /// A row's label: a `<th scope="row">` of escaped text.
        static func label(_ text: String) -> Cell {
            Cell(html: HTMLEscaping.escape(text), isHeader: true)
        }

        /// A metric with 4 decimals, right-aligned; the dash (and no `data-metric`) when absent.
        static func number(_ value: Double?, metric: String? = nil) -> Cell {
            guard let value, value.isFinite else { return Cell(html: ReportFormat.missing, classes: ["num", "missing"]) }
            return Cell(html: ReportFormat.fixed(value), metric: metric, classes: ["num"])
        }

        /// A count, right-aligned.
        static func count(_ value: Int?, metric: String? = nil) -> Cell {
            guard let value else { return Cell(html: ReportFormat.missing, classes: ["num", "missing"]) }
            return Cell(html: String(value), metric: metric, classes: ["num"])
        }

        /// `<td>`, or `<th scope="row">` for a label; `scope` is given for a column's header.
        func html(scope: String? = nil) -> String {
            let name = isHeader || scope != nil ? "th" : "td"
            var attributes = ""
            if let scope { attributes += " scope=\"\(scope)\"" } else if isHeader { attributes += " scope=\"row\"" }
            if !classes.isEmpty { attributes += " class=\"\(HTMLEscaping.escape(classes.joined(separator: " ")))\"" }
            if let metric { attributes += " data-metric=\"\(HTMLEscaping.escape(metric))\"" }
            if let style { attributes += " style=\"\(HTMLEscaping.escape(style))\"" }
            return "<\(name)\(attributes)>\(html)</\(name)>"
        }
    }

    struct Row {
        var cells: [Cell]
        var classes: [String] = []
    }

    /// The header row.
    var columns: [Cell]
    var rows: [Row]
    var classes: [String] = []
    var caption: String?

    func html() -> String {
        var out = "<div class=\"table-scroll\"><table"
        if !classes.isEmpty { out += " class=\"\(HTMLEscaping.escape(classes.joined(separator: " ")))\"" }
        out += ">"
        if let caption { out += "<caption>\(HTMLEscaping.escape(caption))</caption>" }
        out += "<thead><tr>" + columns.map { $0.html(scope: "col") }.joined() + "</tr></thead><tbody>"
        for row in rows {
            out += row.classes.isEmpty ? "<tr>" : "<tr class=\"\(HTMLEscaping.escape(row.classes.joined(separator: " ")))\">"
            out += row.cells.map { $0.html() }.joined() + "</tr>"
        }
        return out + "</tbody></table></div>"
    }
}
