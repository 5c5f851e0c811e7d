import Foundation
import SpoolCore

extension JobReport {
    /// A classifier's validation images with their predictions, from the best trial's `examples.json` and
    /// thumbnails (inlined as data URIs): the most confident mistakes first, marked, then the most confident
    /// correct answers; each with its true class(es), the decision and the top scores.
    func classificationExamplesSection() -> String {
        guard let document, document.task.isClassification, let dir = bestDirectory,
              let examples = try? ClassificationExamples.read(from: dir.appendingPathComponent(ClassificationExamples.fileName)),
              !examples.images.isEmpty else { return "" }
        let classes = document.classes
        func name(_ index: Int) -> String { index >= 0 && index < classes.count ? classes[index] : "class \(index)" }
        func names(_ indices: [Int]) -> String { indices.isEmpty ? "(none)" : indices.map(name).joined(separator: ", ") }
        let mistakes = examples.images.filter { !$0.correct }.count
        var out = "<section class=\"card\"><h2>Validation images</h2><p class=\"note\">The best trial's predictions at its best "
            + "epoch: the most confident mistakes first (\(mistakes) shown, marked red), then the most confident correct answers."
            + "</p><div class=\"gallery\">"
        for image in examples.images {
            guard let data = FileManager.default.contents(atPath: dir.appendingPathComponent(image.thumbnail).path) else { continue }
            out += "<figure class=\"sample \(image.correct ? "right" : "wrong")\" data-example=\"\(image.correct ? "correct" : "mistake")\">"
            out += "<div class=\"thumb\"><img alt=\"\(HTMLEscaping.escape(image.name))\" width=\"\(image.thumbnailWidth)\" "
                + "height=\"\(image.thumbnailHeight)\" src=\"data:image/png;base64,\(data.base64EncodedString())\">"
            out += "<span class=\"verdict\">\(image.correct ? "✓ right" : "✗ wrong")</span></div><figcaption>"
            out += "<div class=\"sample-name\" title=\"\(HTMLEscaping.escape(image.name))\">\(HTMLEscaping.escape(image.name))</div>"
            out += "<div><span class=\"muted\">true</span> <span data-truth>\(HTMLEscaping.escape(names(image.truths)))</span></div>"
            out += "<div><span class=\"muted\">predicted</span> <strong data-predicted>\(HTMLEscaping.escape(names(image.predicted)))</strong></div>"
            out += "<div class=\"scores\">" + image.scores.map { s in
                "<span>\(HTMLEscaping.escape(name(s.label))) <span class=\"score\">\(String(format: "%.2f", s.score))</span></span>"
            }.joined(separator: " · ") + "</div>"
            out += "</figcaption></figure>"
        }
        return out + "</div></section>\n"
    }
}
