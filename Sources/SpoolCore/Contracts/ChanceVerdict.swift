/// A result no better than chance: the one judgement behind the report's warning and `train`'s closing warning.
///
/// A classifier is no better than chance when its primary metric does not exceed the chance level (what
/// answering without looking at the images reaches: `ChanceLevel`); a detector when its primary metric (mAP) is
/// at most `detectionFloor`: it finds (almost) none of the objects.
public struct ChanceVerdict: Sendable, Equatable {
    /// The primary metric's name and value.
    public var metric: String
    public var value: Double
    /// The chance level it does not beat; nil for a detector.
    public var level: ChanceLevel?

    /// A detector's mAP at or below this finds (almost) none of the objects.
    public static let detectionFloor = 0.01

    /// The verdict on a report given its task's chance level (nil when unknown: no verdict for a classifier);
    /// nil when the result is better than chance.
    public static func judge(_ report: TaskReport, chance: ChanceLevel?) -> ChanceVerdict? {
        let value = report.primaryValue
        if report.detection != nil {
            return value > detectionFloor ? nil : ChanceVerdict(metric: report.primaryMetric, value: value, level: nil)
        }
        guard let chance, !(value > chance.value + 1e-9) else { return nil }
        return ChanceVerdict(metric: report.primaryMetric, value: value, level: chance)
    }

    /// One plain line for a terminal: what, and what to do.
    public var text: String {
        let shown = String(format: "%.4f", value)
        guard let level else {
            return "the best \(metric) is \(shown), no better than chance: the detector finds (almost) none of the objects; "
                + "train for more epochs (number_of_epochs), start from pretrained weights (spoolctl weights pull), "
                + "check that the boxes match the images, or add images"
        }
        return "the best \(metric) is \(shown), no better than chance (\(String(format: "%.4f", level.value)), reached by "
            + "\(level.rule)): the model has not learnt to tell the classes apart, do not use it; check the labels, "
            + "train for more epochs (number_of_epochs), start from pretrained weights (spoolctl weights pull), or add images"
    }
}

extension MetricsDocument {
    /// Whether the run's best result is no better than chance (`metrics.json`'s `chance_level`).
    public var noBetterThanChance: ChanceVerdict? {
        ChanceVerdict.judge(bestReport, chance: chanceLevel)
    }
}
