import Foundation
import Testing
@testable import SpoolCore

/// scikit-learn's numbers for the same predictions: the reference the metrics must match.
private let sklearnScript = #"""
import json, sys
try:
    import numpy as np
    from sklearn.metrics import (accuracy_score, average_precision_score, confusion_matrix, jaccard_score,
                                 precision_recall_curve, precision_recall_fscore_support, roc_auc_score, roc_curve)
except ImportError:
    sys.exit(3)

d = json.load(open(sys.argv[1]))
P = np.array(d["probs"], dtype=np.float64)
n = P.shape[1]
labels = list(range(n))
out = {}
if d["kind"] == "multiclass":
    y = np.array(d["targets"])
    yp = P.argmax(axis=1)
    Y = np.eye(n)[y]
    out["accuracy"] = accuracy_score(y, yp)
    out["confusion"] = confusion_matrix(y, yp, labels=labels).tolist()
else:
    Y = np.zeros(P.shape)
    for i, t in enumerate(d["targets"]):
        Y[i, t] = 1
    y, yp = Y.astype(int), (P >= 0.5).astype(int)
    out["accuracy"] = accuracy_score(y, yp)
    out["iou_samples"] = jaccard_score(y, yp, average="samples", zero_division=1)
for avg in [None, "micro", "macro", "weighted"]:
    p, r, f, s = precision_recall_fscore_support(y, yp, labels=labels, average=avg, zero_division=0)
    j = jaccard_score(y, yp, labels=labels, average=avg, zero_division=0)
    out[str(avg)] = {"precision": np.atleast_1d(p).tolist(), "recall": np.atleast_1d(r).tolist(),
                     "f1": np.atleast_1d(f).tolist(), "iou": np.atleast_1d(j).tolist()}
    if avg is None:
        out[str(avg)]["support"] = s.tolist()
defined_auc = [0 < Y[:, c].sum() < len(Y) for c in labels]
defined_ap = [Y[:, c].sum() > 0 for c in labels]
out["roc_auc"] = [roc_auc_score(Y[:, c], P[:, c]) if defined_auc[c] else None for c in labels]
out["average_precision"] = [average_precision_score(Y[:, c], P[:, c]) if defined_ap[c] else None for c in labels]
out["micro_roc_auc"] = roc_auc_score(Y, P, average="micro")
out["micro_average_precision"] = average_precision_score(Y, P, average="micro")
if all(defined_auc):
    out["macro_roc_auc"] = roc_auc_score(Y, P, average="macro")
    out["weighted_roc_auc"] = roc_auc_score(Y, P, average="weighted")
    out["macro_average_precision"] = average_precision_score(Y, P, average="macro")
    out["weighted_average_precision"] = average_precision_score(Y, P, average="weighted")
fpr, tpr, thr = roc_curve(Y[:, 0], P[:, 0], drop_intermediate=False)
out["roc_curve_0"] = {"fpr": fpr.tolist(), "tpr": tpr.tolist(), "thresholds": thr.tolist()}
prec, rec, thr = precision_recall_curve(Y[:, 0], P[:, 0])
out["pr_curve_0"] = {"precision": prec[::-1][1:].tolist(), "recall": rec[::-1][1:].tolist(), "thresholds": thr[::-1].tolist()}
print(json.dumps(out))
"""#

/// Random but reproducible predictions that exercise the corners: a class the model never picks,
/// tied scores, samples with no label at all.
private enum Predictions {
    static let classNames = ["can", "carton", "milk_bottle", "water_bottle"]

    /// Multiclass: class 2 ("milk_bottle") is in the targets but never the argmax.
    static func multiclass(seed: UInt64, count: Int = 240) -> (probabilities: [Float], targets: [Int]) {
        var generator = SplitMix64(seed: seed)
        var probabilities: [Float] = []
        var targets: [Int] = []
        for _ in 0..<count {
            var row = (0..<4).map { _ in Double(generator.next() % 1000 + 1) }
            let total = row.reduce(0, +)
            row = row.map { $0 / total }
            row[2] = min(row[2], 0.1)  // a class never predicted: every row has a score >= 0.25 elsewhere
            // Quantized to hundredths, so that many scores tie.
            probabilities += row.map { Float(($0 * 100).rounded() / 100) }
            let best = row.indices.max { row[$0] < row[$1] }!
            targets.append(generator.next() % 10 < 6 ? best : Int(generator.next() % 4))
        }
        return (probabilities, targets)
    }

    /// Multilabel: label 3 is in the targets but never scores 0.5; some samples have no label and no
    /// prediction; label 1 is never a target when `withAbsentLabel`.
    static func multilabel(seed: UInt64, count: Int = 240, withAbsentLabel: Bool = false) -> (probabilities: [Float], targets: [[Int]]) {
        var generator = SplitMix64(seed: seed)
        var probabilities: [Float] = []
        var targets: [[Int]] = []
        for sample in 0..<count {
            var row = (0..<4).map { _ in Double(generator.next() % 1000) / 1000 }
            row[3] *= 0.45
            if sample % 17 == 0 { row = row.map { $0 * 0.4 } }
            probabilities += row.map { Float(($0 * 50).rounded() / 50) }
            var labels: [Int] = []
            for c in 0..<4 where sample % 17 != 0 {
                let noise = Double(generator.next() % 1000) / 1000 - 0.5
                if row[c] + 0.5 * noise > (c == 3 ? 0.25 : 0.5) { labels.append(c) }
            }
            if withAbsentLabel { labels.removeAll { $0 == 1 } }
            targets.append(labels)
        }
        return (probabilities, targets)
    }
}

private func near(_ actual: Double?, _ expected: Any?, _ what: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    guard let expectedNumber = expected as? Double ?? (expected as? Int).map(Double.init) else {
        #expect(actual == nil, "\(what): sklearn has no value, Spool has \(String(describing: actual))", sourceLocation: sourceLocation)
        return
    }
    guard let actual else {
        Issue.record("\(what): Spool has no value, sklearn has \(expectedNumber)", sourceLocation: sourceLocation)
        return
    }
    #expect(abs(actual - expectedNumber) <= 1e-6, "\(what): Spool \(actual), sklearn \(expectedNumber)", sourceLocation: sourceLocation)
}

private func compareWithSklearn(_ metrics: ClassificationMetrics, _ reference: [String: Any]) throws {
    near(metrics.accuracy, reference["accuracy"], "accuracy")
    let perClass = try #require(reference["None"] as? [String: [Double]])
    for (c, scores) in metrics.perClass.enumerated() {
        near(scores.precision, perClass["precision"]?[c], "precision[\(c)]")
        near(scores.recall, perClass["recall"]?[c], "recall[\(c)]")
        near(scores.f1, perClass["f1"]?[c], "f1[\(c)]")
        near(scores.iou, perClass["iou"]?[c], "iou[\(c)]")
        near(Double(scores.support), perClass["support"]?[c], "support[\(c)]")
        near(scores.rocAUC, (reference["roc_auc"] as? [Any])?[c], "roc_auc[\(c)]")
        near(scores.averagePrecision, (reference["average_precision"] as? [Any])?[c], "average_precision[\(c)]")
    }
    for (name, average) in [("micro", metrics.micro), ("macro", metrics.macro), ("weighted", metrics.weighted)] {
        let expected = try #require(reference[name] as? [String: [Double]])
        near(average.precision, expected["precision"]?.first, "\(name) precision")
        near(average.recall, expected["recall"]?.first, "\(name) recall")
        near(average.f1, expected["f1"]?.first, "\(name) f1")
        near(average.iou, expected["iou"]?.first, "\(name) iou")
    }
    near(metrics.micro.rocAUC, reference["micro_roc_auc"], "micro roc_auc")
    near(metrics.micro.averagePrecision, reference["micro_average_precision"], "micro average_precision")
}

@Suite struct ClassificationMetricsTests {
    @Test func multiclassMatchesScikitLearn() throws {
        let (probabilities, targets) = Predictions.multiclass(seed: 11)
        let names = Predictions.classNames
        let metrics = ClassificationMetrics.multiclass(
            probabilities: probabilities, targets: targets, classNames: names, curvePoints: 100_000)
        let reference = try runReferencePython(sklearnScript, input: [
            "kind": "multiclass", "targets": targets,
            "probs": stride(from: 0, to: probabilities.count, by: 4).map { probabilities[$0..<$0 + 4].map(Double.init) },
        ])
        // The scenario is what it claims: class 2 is a target but never predicted.
        #expect(metrics.perClass[2].support > 0)
        #expect(metrics.confusionMatrix?.allSatisfy { $0[2] == 0 } == true)
        #expect(metrics.perClass[2].precision == 0)

        try compareWithSklearn(metrics, reference)
        #expect(metrics.confusionMatrix == reference["confusion"] as? [[Int]])
        #expect(metrics.primaryMetric == "accuracy")
        #expect(metrics.primaryMetricValue == metrics.accuracy)
        near(metrics.macro.rocAUC, reference["macro_roc_auc"], "macro roc_auc")
        near(metrics.weighted.rocAUC, reference["weighted_roc_auc"], "weighted roc_auc")
        near(metrics.macro.averagePrecision, reference["macro_average_precision"], "macro average_precision")
        near(metrics.weighted.averagePrecision, reference["weighted_average_precision"], "weighted average_precision")

        // The unthinned curves are sklearn's, point for point.
        let roc = try #require(reference["roc_curve_0"] as? [String: [Double]])
        let curve = metrics.perClass[0].rocCurve
        #expect(curve.count == roc["fpr"]?.count)
        for (i, point) in curve.enumerated() {
            near(point.falsePositiveRate, roc["fpr"]?[i], "roc fpr[\(i)]")
            near(point.truePositiveRate, roc["tpr"]?[i], "roc tpr[\(i)]")
            near(point.threshold, roc["thresholds"]?[i], "roc threshold[\(i)]")
        }
        let pr = try #require(reference["pr_curve_0"] as? [String: [Double]])
        let prCurve = metrics.perClass[0].precisionRecallCurve
        let sklearnCount = try #require(pr["recall"]?.count)
        #expect(prCurve.count >= sklearnCount, "sklearn stops at full recall; Spool goes on to the lowest score")
        for (i, point) in prCurve.prefix(sklearnCount).enumerated() {
            near(point.recall, pr["recall"]?[i], "pr recall[\(i)]")
            near(point.precision, pr["precision"]?[i], "pr precision[\(i)]")
            near(point.threshold, pr["thresholds"]?[i], "pr threshold[\(i)]")
        }
    }

    @Test func multilabelMatchesScikitLearn() throws {
        let (probabilities, targets) = Predictions.multilabel(seed: 5)
        let metrics = ClassificationMetrics.multilabel(
            probabilities: probabilities, targets: targets, classNames: Predictions.classNames)
        let reference = try runReferencePython(sklearnScript, input: [
            "kind": "multilabel", "targets": targets,
            "probs": stride(from: 0, to: probabilities.count, by: 4).map { probabilities[$0..<$0 + 4].map(Double.init) },
        ])
        // The scenario: label 3 is a target but never predicted; some samples are empty on both sides.
        #expect(metrics.perClass[3].support > 0)
        #expect(metrics.perClass[3].precision == 0 && metrics.perClass[3].recall == 0)
        #expect(targets.enumerated().contains { $0.element.isEmpty && $0.offset % 17 == 0 })

        try compareWithSklearn(metrics, reference)
        near(metrics.iou, reference["iou_samples"], "samples iou")
        #expect(metrics.primaryMetric == "iou")
        #expect(metrics.primaryMetricValue == metrics.iou)
        #expect(metrics.decisionThreshold == 0.5)
        #expect(metrics.confusionMatrix == nil)
        near(metrics.macro.rocAUC, reference["macro_roc_auc"], "macro roc_auc")
        near(metrics.weighted.averagePrecision, reference["weighted_average_precision"], "weighted average_precision")
    }

    @Test func multilabelWithALabelNeverPresentMatchesScikitLearn() throws {
        let (probabilities, targets) = Predictions.multilabel(seed: 9, withAbsentLabel: true)
        let metrics = ClassificationMetrics.multilabel(
            probabilities: probabilities, targets: targets, classNames: Predictions.classNames)
        let reference = try runReferencePython(sklearnScript, input: [
            "kind": "multilabel", "targets": targets,
            "probs": stride(from: 0, to: probabilities.count, by: 4).map { probabilities[$0..<$0 + 4].map(Double.init) },
        ])
        #expect(metrics.perClass[1].support == 0)
        #expect(metrics.perClass[1].rocAUC == nil)
        #expect(metrics.perClass[1].averagePrecision == nil)
        #expect(metrics.perClass[1].rocCurve.isEmpty)
        try compareWithSklearn(metrics, reference)
        near(metrics.iou, reference["iou_samples"], "samples iou")
    }

    @Test func emptyPredictionOfAnEmptySampleCountsAsPerfect() {
        let metrics = ClassificationMetrics.multilabel(
            probabilities: [0.1, 0.2, 0.9, 0.2], targets: [[], [0]], classNames: ["a", "b"])
        // Sample 0: nothing true, nothing predicted: 1. Sample 1: {a} against {a}: 1.
        #expect(metrics.iou == 1)
        let half = ClassificationMetrics.multilabel(
            probabilities: [0.1, 0.2, 0.9, 0.9], targets: [[], [0]], classNames: ["a", "b"])
        #expect(half.iou == 0.75)
        #expect(half.accuracy == 0.5)
    }

    @Test func curvesAreThinnedForReports() {
        let (probabilities, targets) = Predictions.multiclass(seed: 3, count: 600)
        let full = ClassificationMetrics.multiclass(
            probabilities: probabilities, targets: targets, classNames: Predictions.classNames, curvePoints: 100_000)
        let thinned = ClassificationMetrics.multiclass(
            probabilities: probabilities, targets: targets, classNames: Predictions.classNames)
        let fullCurve = full.perClass[0].rocCurve, shortCurve = thinned.perClass[0].rocCurve
        #expect(fullCurve.count > ClassificationMetrics.defaultCurvePoints)
        #expect(shortCurve.count == ClassificationMetrics.defaultCurvePoints)
        #expect(shortCurve.first == fullCurve.first)
        #expect(shortCurve.last == fullCurve.last)
        #expect(thinned.perClass[0].rocAUC == full.perClass[0].rocAUC, "thinning changes the chart, not the area")
    }

    @Test func decisions() {
        let scores: [Float] = [0.2, 0.5, 0.3, 0.4, 0.4, 0.2]
        #expect(ClassificationMetrics.argmaxDecisions(probabilities: scores, classCount: 3) == [1, 0])
        #expect(ClassificationMetrics.thresholdDecisions(probabilities: scores, classCount: 3) == [[1], []])
        #expect(ClassificationMetrics.thresholdDecisions(probabilities: scores, classCount: 3, threshold: 0.3) == [[1, 2], [0, 1]])
    }

    @Test func encodesWithSnakeCaseKeys() throws {
        let metrics = ClassificationMetrics.multiclass(
            probabilities: [0.9, 0.1, 0.2, 0.8, .nan, 0.5], targets: [0, 1, 1], classNames: ["cat", "dog"])
        let data = try JSONEncoder().encode(metrics)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["primary_metric"] as? String == "accuracy")
        #expect(object["primary_metric_value"] as? Double == 1)
        #expect(object["confusion_matrix"] as? [[Int]] == [[1, 0], [0, 2]])
        #expect(object["class_names"] as? [String] == ["cat", "dog"])
        let perClass = try #require(object["per_class"] as? [[String: Any]])
        #expect(perClass.first?["roc_auc"] as? Double == 1)
        #expect(perClass.first?["precision_recall_curve"] is [Any])
        #expect((object["weighted"] as? [String: Any])?["f1"] as? Double == 1)
        #expect(try JSONDecoder().decode(ClassificationMetrics.self, from: data) == metrics)
    }
}
