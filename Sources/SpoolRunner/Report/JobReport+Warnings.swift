import Foundation
import SpoolCore

extension JobReport {
    /// A plain warning at the top of the page: a published model that is no better than chance, or whose
    /// loss diverged. The header then shows its state and metric as flagged, not as a success.
    struct Warning {
        /// `no better than chance`, `loss diverged`: beside the state badge.
        var short: String
        /// The callout (numbers in `data-metric` spans).
        var html: String
    }

    /// The best trial's warnings: chance and divergence (none without a best trial).
    func warnings() -> [Warning] {
        guard bestTrial != nil else { return [] }
        return [chanceWarning(), divergenceWarning()].compactMap { $0 }
    }

    /// The level a model reaches without looking at the images, for this job's best trial: `metrics.json`'s
    /// `chance_level`; for an older file, the most frequent validation class's share of the supports (or 1/K)
    /// for multiclass; nil when unknown.
    func chanceLevel() -> (level: ChanceLevel, cited: Bool)? {
        if let level = document?.chanceLevel { return (level, true) }
        guard let metrics, metrics.confusion != nil else { return nil }
        let supports = metrics.perClass.map { $0.support ?? 0 }
        let total = supports.reduce(0, +)
        return ChanceLevel.multiclass(counts: supports, classes: metrics.perClass.map(\.name), total: Double(total)).map { ($0, false) }
    }

    private func chanceWarning() -> Warning? {
        guard let document else { return nil }
        let value = document.bestReport.primaryValue
        let shown = "<span data-metric=\"primary_metric_value\">\(ReportFormat.fixed(value))</span>"
        let name = HTMLEscaping.escape(document.bestReport.primaryMetric)
        // The judgement is ChanceVerdict's, shared with `train`'s closing warning; the words here are the page's.
        if document.bestReport.detection != nil {
            guard ChanceVerdict.judge(document.bestReport, chance: nil) != nil else { return nil }
            return Warning(short: "no better than chance", html: callout(
                "No better than chance",
                "The best \(name) is \(shown): the detector finds (almost) none of the objects. Train for more epochs "
                    + "(number_of_epochs), start from pretrained weights (<code>spoolctl weights pull</code>), check that "
                    + "the boxes match the images, or add images."))
        }
        guard let (level, cited) = chanceLevel(), ChanceVerdict.judge(document.bestReport, chance: level) != nil else { return nil }
        let levelText = cited ? "<span data-metric=\"chance_level.value\">\(ReportFormat.fixed(level.value))</span>" : ReportFormat.fixed(level.value)
        return Warning(short: "no better than chance", html: callout(
            "No better than chance",
            "The best \(name) is \(shown), no more than the \(levelText) reached by \(HTMLEscaping.escape(level.rule)). "
                + "The model has not learnt to tell the classes apart: do not use it. Check the labels, train for more "
                + "epochs (number_of_epochs), start from pretrained weights (<code>spoolctl weights pull</code>), or add images."))
    }

    /// The loss became NaN or infinite, or ended above where it started (the best trial's per-epoch train loss).
    private func divergenceWarning() -> Warning? {
        let records: [(epoch: Int, train: Double?, validation: Double?, cite: Int?)]
        if let history = document?.history, !history.isEmpty {
            records = history.enumerated().map { ($1.epoch, $1.trainLoss, $1.validationLoss, $0) }
        } else if let best = trials.first(where: { $0.number == bestTrial }), let rows = epochs[best.id], !rows.isEmpty {
            records = rows.map { ($0.epoch, $0.trainLoss, $0.validationLoss, nil) }
        } else {
            return nil
        }
        func cite(_ value: Double?, _ index: Int?, _ key: String) -> String {
            guard let value, value.isFinite else { return "\(value.map { "\($0)" } ?? "missing")" }
            guard let index else { return ReportFormat.fixed(value) }
            return "<span data-metric=\"history.\(index).\(key)\">\(ReportFormat.fixed(value))</span>"
        }
        let learningRate = document.map { " (now \(ReportFormat.plain($0.parameters.learningRate)))" } ?? ""
        let advice = "Lower learning_rate\(learningRate), use a learning-rate warm-up, or check the data."
        if let bad = records.first(where: { !($0.train?.isFinite ?? true) || !($0.validation?.isFinite ?? true) }) {
            let which = !(bad.train?.isFinite ?? true) ? "train" : "validation"
            return Warning(short: "loss diverged", html: callout(
                "The loss diverged", "The \(which) loss became \(HTMLEscaping.escape("\((which == "train" ? bad.train : bad.validation) ?? .nan)")) at epoch \(bad.epoch). \(advice)"))
        }
        guard records.count >= 2, let first = records.first, let last = records.last,
              let a = first.train, let b = last.train, b > a else { return nil }
        return Warning(short: "loss diverged", html: callout(
            "The loss diverged",
            "The train loss rose from \(cite(a, first.cite, "train_loss")) at epoch \(first.epoch) to "
                + "\(cite(b, last.cite, "train_loss")) at epoch \(last.epoch) instead of falling. \(advice)"))
    }

    private func callout(_ title: String, _ body: String) -> String {
        "<div class=\"callout danger\" role=\"alert\"><strong>\(HTMLEscaping.escape(title)).</strong> \(body)</div>"
    }
}
