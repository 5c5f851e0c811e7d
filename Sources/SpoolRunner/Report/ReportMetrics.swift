import Foundation

/// What `report.html` shows of the best trial's `metrics.json`: its `best_epoch_report` (the classifier's
/// evaluation at the best epoch), read leniently with `JSONSerialization` so that any key may be absent
/// (a multilabel report has no confusion matrix; a class that never occurs has no ROC AUC).
///
/// The daemon does not link the training modules, so this mirrors only the keys it needs. Each value keeps
/// the path by which `report.html` cites it in `data-metric` (see `JobReport`).
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

    /// Nil when `data` is not a JSON object.
    init?(data: Data) {
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { return nil }
        let report = root["best_epoch_report"] as? [String: Any] ?? root
        task = report["task"] as? String ?? root["task"] as? String
        primaryMetric = report["primary_metric"] as? String ?? (root["primary_metric"] as? [String: Any])?["name"] as? String
        primaryMetricValue = Self.number(report["primary_metric_value"])
        accuracy = Self.number(report["accuracy"])
        iou = Self.number(report["iou"])
        sampleCount = Self.integer(report["sample_count"])
        decisionThreshold = Self.number(report["decision_threshold"])
        bestEpoch = Self.integer(root["best_epoch"])
        confusion = (report["confusion_matrix"] as? [Any])?.map { row in ((row as? [Any]) ?? []).map { Self.integer($0) ?? 0 } }
        perClass = ((report["per_class"] as? [Any]) ?? []).enumerated().compactMap { index, item in
            guard let entry = item as? [String: Any] else { return nil }
            var scores: [String: Double] = [:]
            for key in Self.scoreKeys { scores[key] = Self.number(entry[key]) }
            let pr = ((entry["precision_recall_curve"] as? [Any]) ?? []).compactMap { point -> (x: Double, y: Double)? in
                guard let p = point as? [String: Any], let r = Self.number(p["recall"]), let q = Self.number(p["precision"]) else { return nil }
                return (r, q)
            }
            let roc = ((entry["roc_curve"] as? [Any]) ?? []).compactMap { point -> (x: Double, y: Double)? in
                guard let p = point as? [String: Any], let f = Self.number(p["false_positive_rate"]),
                      let t = Self.number(p["true_positive_rate"]) else { return nil }
                return (f, t)
            }
            return ClassScores(name: entry["name"] as? String ?? "class \(index)", scores: scores,
                               support: Self.integer(entry["support"]), precisionRecall: pr, roc: roc)
        }
        classNames = (report["class_names"] as? [Any])?.compactMap { $0 as? String } ?? perClass.map(\.name)
        averages = ["micro", "macro", "weighted"].compactMap { name in
            guard let entry = report[name] as? [String: Any] else { return nil }
            var scores: [String: Double] = [:]
            for key in Self.scoreKeys { scores[key] = Self.number(entry[key]) }
            return (name, scores)
        }
    }

    /// A JSON number as a Double.
    static func number(_ value: Any?) -> Double? {
        switch value {
        case let number as Double: number
        case let number as Int: Double(number)
        case let number as NSNumber: number.doubleValue
        default: nil
        }
    }

    /// A JSON number that is a whole number, as an Int.
    static func integer(_ value: Any?) -> Int? {
        guard let number = number(value), number == number.rounded(), abs(number) < 1e15 else { return nil }
        return Int(number)
    }
}
