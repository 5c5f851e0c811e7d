import SpoolCore

/// The validation report of one epoch: SpoolCore's metrics, plus the flat numbers kept per epoch.
public typealias ClassificationReport = ClassificationMetrics

extension ClassificationMetrics {
    /// Computes the task's metrics from probabilities and each image's class indices.
    init(task: ImageTask, probabilities: [Float], labels: [[Int]], classes: [String]) throws {
        if task == .imageClassificationMultilabel {
            self = .multilabel(probabilities: probabilities, targets: labels, classNames: classes)
        } else {
            self = .multiclass(probabilities: probabilities, targets: labels.map { $0.first ?? 0 }, classNames: classes)
        }
    }

    var primaryValue: Double { primaryMetricValue }

    /// Every scalar metric of the task, as the per-epoch history keeps them.
    var scalarMetrics: [String: Double] {
        var out: [String: Double] = ["accuracy": accuracy]
        if let iou { out["iou"] = iou }
        for (name, avg) in [("micro", micro), ("macro", macro), ("weighted", weighted)] {
            out["precision_\(name)"] = avg.precision
            out["recall_\(name)"] = avg.recall
            out["f1_\(name)"] = avg.f1
            if let auc = avg.rocAUC { out["auc_\(name)"] = auc }
            if let ap = avg.averagePrecision { out["average_precision_\(name)"] = ap }
        }
        return out
    }
}
