/// One class's scores ranked from highest to lowest, with the true and false positives counted at each
/// distinct score: what ROC and precision-recall curves are made of (as sklearn's `_binary_clf_curve`).
struct BinaryRanking {
    /// The distinct scores, highest first.
    private(set) var thresholds: [Double] = []
    /// True positives among the samples scoring >= `thresholds[i]`.
    private(set) var truePositives: [Int] = []
    /// False positives among the samples scoring >= `thresholds[i]`.
    private(set) var falsePositives: [Int] = []
    let positives: Int
    let negatives: Int

    init(scores: [Double], labels: [Bool]) {
        precondition(scores.count == labels.count, "one label per score")
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var tp = 0, fp = 0
        for (rank, index) in order.enumerated() {
            if labels[index] { tp += 1 } else { fp += 1 }
            let isLastOfTie = rank == order.count - 1 || scores[order[rank + 1]] != scores[index]
            if isLastOfTie {
                thresholds.append(scores[index])
                truePositives.append(tp)
                falsePositives.append(fp)
            }
        }
        positives = tp
        negatives = fp
    }

    /// Area under the ROC curve (trapezoids, ties on a diagonal); nil without both kinds of sample.
    var rocAUC: Double? {
        guard positives > 0, negatives > 0 else { return nil }
        var area = 0.0, previousFPR = 0.0, previousTPR = 0.0
        for i in thresholds.indices {
            let fpr = Double(falsePositives[i]) / Double(negatives)
            let tpr = Double(truePositives[i]) / Double(positives)
            area += (fpr - previousFPR) * (tpr + previousTPR) / 2
            previousFPR = fpr
            previousTPR = tpr
        }
        return area
    }

    /// Sum over thresholds of (recall gained) x precision, as sklearn; nil without a positive sample.
    var averagePrecision: Double? {
        guard positives > 0 else { return nil }
        var sum = 0.0, previousRecall = 0.0
        for i in thresholds.indices {
            let recall = Double(truePositives[i]) / Double(positives)
            let precision = Double(truePositives[i]) / Double(truePositives[i] + falsePositives[i])
            sum += (recall - previousRecall) * precision
            previousRecall = recall
        }
        return sum
    }

    /// The ROC curve from (0, 0) (threshold above every score, as sklearn 1.2) to (1, 1), thinned to
    /// at most `maxPoints`; empty when undefined.
    func rocCurve(maxPoints: Int) -> [ClassificationMetrics.ROCPoint] {
        guard positives > 0, negatives > 0 else { return [] }
        var points = [ClassificationMetrics.ROCPoint(
            threshold: (thresholds.first ?? 0) + 1, falsePositiveRate: 0, truePositiveRate: 0)]
        for i in thresholds.indices {
            points.append(ClassificationMetrics.ROCPoint(
                threshold: thresholds[i],
                falsePositiveRate: Double(falsePositives[i]) / Double(negatives),
                truePositiveRate: Double(truePositives[i]) / Double(positives)))
        }
        return BinaryRanking.thinned(points, to: maxPoints)
    }

    /// Precision and recall at each distinct threshold, highest first, thinned to at most `maxPoints`;
    /// empty without a positive sample.
    func precisionRecallCurve(maxPoints: Int) -> [ClassificationMetrics.PrecisionRecallPoint] {
        guard positives > 0 else { return [] }
        let points = thresholds.indices.map { i in
            ClassificationMetrics.PrecisionRecallPoint(
                threshold: thresholds[i],
                recall: Double(truePositives[i]) / Double(positives),
                precision: Double(truePositives[i]) / Double(truePositives[i] + falsePositives[i]))
        }
        return BinaryRanking.thinned(points, to: maxPoints)
    }

    /// Evenly spaced points of `points`, keeping the first and the last.
    static func thinned<Point>(_ points: [Point], to maxPoints: Int) -> [Point] {
        guard points.count > maxPoints, maxPoints >= 2 else { return points }
        let last = points.count - 1
        return (0..<maxPoints).map { k in
            points[Int((Double(k) * Double(last) / Double(maxPoints - 1)).rounded())]
        }
    }
}
