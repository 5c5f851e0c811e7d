/// The evaluation of a model at one epoch, by task: what `metrics.json` keeps for the best epoch and what
/// the report shows. Encoded as the wrapped report itself (its `task` key tells which it is).
public enum TaskReport: Sendable, Hashable, Codable {
    case classification(ClassificationMetrics)
    case detection(DetectionMetrics)

    public var task: ImageTask {
        switch self {
        case let .classification(m): m.task
        case let .detection(m): m.task
        }
    }

    public var primaryMetric: String {
        switch self {
        case let .classification(m): m.primaryMetric
        case let .detection(m): m.primaryMetric
        }
    }

    public var primaryValue: Double {
        switch self {
        case let .classification(m): m.primaryMetricValue
        case let .detection(m): m.primaryMetricValue
        }
    }

    /// Every scalar metric, as the per-epoch history keeps them.
    public var scalarMetrics: [String: Double] {
        switch self {
        case let .classification(m): m.scalarMetrics
        case let .detection(m): m.scalarMetrics
        }
    }

    public var classification: ClassificationMetrics? {
        if case let .classification(m) = self { return m }
        return nil
    }

    public var detection: DetectionMetrics? {
        if case let .detection(m) = self { return m }
        return nil
    }

    enum Key: String, CodingKey { case task }

    public init(from decoder: any Decoder) throws {
        let task = try decoder.container(keyedBy: Key.self).decode(ImageTask.self, forKey: .task)
        self = task.isClassification ? .classification(try ClassificationMetrics(from: decoder))
            : .detection(try DetectionMetrics(from: decoder))
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case let .classification(m): try m.encode(to: encoder)
        case let .detection(m): try m.encode(to: encoder)
        }
    }
}

extension ClassificationMetrics {
    /// Every scalar metric of the task, as the per-epoch history keeps them.
    public var scalarMetrics: [String: Double] {
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

    /// Computes the task's metrics from probabilities and each image's class indices.
    public init(task: ImageTask, probabilities: [Float], labels: [[Int]], classes: [String]) {
        if task == .imageClassificationMultilabel {
            self = .multilabel(probabilities: probabilities, targets: labels, classNames: classes)
        } else {
            self = .multiclass(probabilities: probabilities, targets: labels.map { $0.first ?? 0 }, classNames: classes)
        }
    }
}
