import Foundation
import SpoolCore

/// What the classification section of `report.html` shows of the best epoch's `ClassificationMetrics`, as
/// rows and curves; each value keeps the path by which the page cites it in `data-metric` (see `JobReport`).
struct ReportMetrics {
    /// Precision, recall, F1, IoU, AP and ROC AUC of one class or one average, by their `metrics.json` keys.
    static let scoreKeys = ["precision", "recall", "f1", "iou", "average_precision", "roc_auc"]

    struct ClassScores {
        var name: String
        /// By the keys of `scoreKeys`.
        var scores: [String: Double]
        var support: Int?
        var precisionRecall: [(x: Double, y: Double)]
        var roc: [(x: Double, y: Double)]
    }

    var task: String?
    /// `accuracy`, `iou`.
    var primaryMetric: String?
    var primaryMetricValue: Double?
    var accuracy: Double?
    var iou: Double?
    var sampleCount: Int?
    var decisionThreshold: Double?
    /// The top level's `best_epoch`.
    var bestEpoch: Int?
    var classNames: [String]
    /// `confusion[true][predicted]`.
    var confusion: [[Int]]?
    var perClass: [ClassScores]
    /// `micro`, `macro`, `weighted`, those present, in that order.
    var averages: [(name: String, scores: [String: Double])]

    /// The classification section's view of the best epoch's report (`metrics.json`'s `best_epoch_report`).
    init(_ m: ClassificationMetrics, bestEpoch: Int) {
        task = m.task.rawValue
        primaryMetric = m.primaryMetric
        primaryMetricValue = m.primaryMetricValue
        accuracy = m.accuracy
        iou = m.iou
        sampleCount = m.sampleCount
        decisionThreshold = m.decisionThreshold
        self.bestEpoch = bestEpoch
        confusion = m.confusionMatrix
        classNames = m.classNames
        perClass = m.perClass.map { c in
            ClassScores(name: c.name,
                        scores: ["precision": c.precision, "recall": c.recall, "f1": c.f1, "iou": c.iou,
                                 "average_precision": c.averagePrecision, "roc_auc": c.rocAUC].compactMapValues { $0 },
                        support: c.support,
                        precisionRecall: c.precisionRecallCurve.map { (x: $0.recall, y: $0.precision) },
                        roc: c.rocCurve.map { (x: $0.falsePositiveRate, y: $0.truePositiveRate) })
        }
        averages = [("micro", m.micro), ("macro", m.macro), ("weighted", m.weighted)].map { name, a in
            (name, ["precision": a.precision, "recall": a.recall, "f1": a.f1, "iou": a.iou,
                    "average_precision": a.averagePrecision, "roc_auc": a.rocAUC].compactMapValues { $0 })
        }
    }
}
