import Foundation

/// A retrained model against the one in use, on the new job's validation set (`comparison.json`).
public struct ModelComparison: Codable, Sendable, Equatable {
    public var lineage: String
    public var metric: String
    /// The new job's best, on its validation set.
    public var newValue: Double
    /// The model in use, scored on the same images; nil when there is none or it cannot be scored.
    public var previousValue: Double?
    /// The model folder in use before this job.
    public var previousModel: String?
    public var promoted: Bool
    public var reason: String

    enum CodingKeys: String, CodingKey {
        case lineage, metric, newValue = "new_value", previousValue = "previous_value", previousModel = "previous_model"
        case promoted, reason
    }

    /// Whether `latest` moves: no model in use yet, `promote: always`, a model in use that cannot be scored on
    /// the new data (other classes), or a strictly better metric.
    public static func decide(lineage: String, metric: String, newValue: Double, previous: (model: String, value: Double?, why: String?)?,
                       promote: String) -> ModelComparison {
        let fmt = { (x: Double) in String(format: "%.4f", x) }
        guard let previous else {
            return ModelComparison(lineage: lineage, metric: metric, newValue: newValue, previousValue: nil, previousModel: nil,
                                   promoted: true, reason: "the first model of \(lineage)")
        }
        guard let old = previous.value else {
            return ModelComparison(lineage: lineage, metric: metric, newValue: newValue, previousValue: nil, previousModel: previous.model,
                                   promoted: true, reason: "the model in use cannot be scored on the new data (\(previous.why ?? "unknown")): the new one replaces it")
        }
        let better = newValue > old
        let promoted = better || promote == "always"
        let verdict = better ? "better" : (newValue == old ? "no better" : "worse")
        return ModelComparison(
            lineage: lineage, metric: metric, newValue: newValue, previousValue: old, previousModel: previous.model, promoted: promoted,
            reason: "\(metric) \(fmt(newValue)) against \(fmt(old)) for the model in use on the new validation set: \(verdict)"
                + (promoted ? (better ? "; promoted" : "; promoted anyway (promote: always)") : "; the model in use stays"))
    }
}

/// One line of `outbox/LINEAGE/history.jsonl`: a job's model became the lineage's model in use.
public struct LineageEvent: Codable, Sendable, Equatable {
    public var job: String
    public var at: Date
    public var metric: String
    public var value: Double
    public var previousValue: Double?
    public var reason: String

    public init(job: String, at: Date, metric: String, value: Double, previousValue: Double?, reason: String) {
        self.job = job
        self.at = at
        self.metric = metric
        self.value = value
        self.previousValue = previousValue
        self.reason = reason
    }

    enum CodingKeys: String, CodingKey {
        case job, at, metric, value, previousValue = "previous_value", reason
    }
}
