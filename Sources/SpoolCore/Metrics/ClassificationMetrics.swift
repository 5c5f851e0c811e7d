/// The evaluation of a classifier on a validation set (spec section 9), as written to `metrics.json`.
///
/// Built from probabilities by `multiclass(...)` or `multilabel(...)`. Conventions follow scikit-learn
/// with `zero_division=0`: a precision, recall, F1 or IoU whose denominator is zero is 0. Averages run
/// over every class name given (also classes never seen in the targets), like sklearn with `labels=`.
public struct ClassificationMetrics: Sendable, Hashable, Codable {
    public var task: ImageTask
    /// `accuracy` (multiclass) or `iou` (multilabel).
    public var primaryMetric: String
    public var primaryMetricValue: Double
    public var sampleCount: Int
    public var classNames: [String]
    /// Multiclass: the share of samples whose argmax is the target. Multilabel: subset accuracy, the share
    /// of samples whose predicted label set equals the target set exactly.
    public var accuracy: Double
    /// Multilabel only: the mean over samples of |predicted ∩ true| / |predicted ∪ true|. A sample with
    /// no true label and no predicted label counts 1.0 (nothing to find, nothing wrongly found; sklearn
    /// `jaccard_score(average="samples", zero_division=1)`).
    public var iou: Double?
    /// Multilabel only: the score at or above which a label is predicted (0.5).
    public var decisionThreshold: Double?
    /// Multiclass only: `confusionMatrix[true][predicted]` counts.
    public var confusionMatrix: [[Int]]?
    public var perClass: [ClassScores]
    /// From the summed counts of all classes (multiclass micro precision = recall = F1 = accuracy).
    public var micro: AverageScores
    /// The plain mean over classes.
    public var macro: AverageScores
    /// The mean over classes weighted by support.
    public var weighted: AverageScores

    /// The scores of one class, taken one-versus-rest.
    public struct ClassScores: Sendable, Hashable, Codable {
        public var name: String
        public var precision: Double
        public var recall: Double
        public var f1: Double
        /// tp / (tp + fp + fn): sklearn's per-class `jaccard_score`.
        public var iou: Double
        /// Samples whose target includes this class.
        public var support: Int
        /// Area under the ROC curve of this class's scores; nil when the class is always or never present
        /// (the curve is undefined, where sklearn raises).
        public var rocAUC: Double?
        /// sklearn's `average_precision_score` (no interpolation); nil when the class is never present.
        public var averagePrecision: Double?
        /// At most a few dozen points, from the highest threshold down, for a report's chart.
        public var rocCurve: [ROCPoint]
        public var precisionRecallCurve: [PrecisionRecallPoint]

        enum CodingKeys: String, CodingKey {
            case name, precision, recall, f1, iou, support
            case rocAUC = "roc_auc"
            case averagePrecision = "average_precision"
            case rocCurve = "roc_curve"
            case precisionRecallCurve = "precision_recall_curve"
        }
    }

    /// Precision, recall, F1, IoU and the ranking scores, averaged one way.
    public struct AverageScores: Sendable, Hashable, Codable {
        public var precision: Double
        public var recall: Double
        public var f1: Double
        public var iou: Double
        /// Macro and weighted: over the classes whose curve is defined; micro: over all (sample, class)
        /// pairs. Nil when no class has a defined curve.
        public var rocAUC: Double?
        public var averagePrecision: Double?

        enum CodingKeys: String, CodingKey {
            case precision, recall, f1, iou
            case rocAUC = "roc_auc"
            case averagePrecision = "average_precision"
        }
    }

    public struct ROCPoint: Sendable, Hashable, Codable {
        public var threshold: Double
        public var falsePositiveRate: Double
        public var truePositiveRate: Double

        enum CodingKeys: String, CodingKey {
            case threshold
            case falsePositiveRate = "false_positive_rate"
            case truePositiveRate = "true_positive_rate"
        }
    }

    public struct PrecisionRecallPoint: Sendable, Hashable, Codable {
        public var threshold: Double
        public var recall: Double
        public var precision: Double
    }

    enum CodingKeys: String, CodingKey {
        case task
        case primaryMetric = "primary_metric"
        case primaryMetricValue = "primary_metric_value"
        case sampleCount = "sample_count"
        case classNames = "class_names"
        case accuracy, iou
        case decisionThreshold = "decision_threshold"
        case confusionMatrix = "confusion_matrix"
        case perClass = "per_class"
        case micro, macro, weighted
    }
}
