extension ClassificationMetrics {
    /// How many points each class's curves keep, by default.
    public static let defaultCurvePoints = 40

    /// Multiclass metrics: each sample is decided by argmax.
    /// - Parameters:
    ///   - probabilities: row-major `[sampleCount][classNames.count]` scores.
    ///   - targets: the true class index of each sample.
    public static func multiclass(
        probabilities: [Float], targets: [Int], classNames: [String], curvePoints: Int = defaultCurvePoints
    ) -> ClassificationMetrics {
        let classCount = classNames.count
        let scores = checkedScores(probabilities, sampleCount: targets.count, classCount: classCount)
        precondition(targets.allSatisfy { (0..<classCount).contains($0) }, "targets must be class indices")
        let decisions = argmax(scores, classCount: classCount)
        var matrix = Array(repeating: Array(repeating: 0, count: classCount), count: classCount)
        for (target, decision) in zip(targets, decisions) { matrix[target][decision] += 1 }
        let correct = (0..<classCount).reduce(0) { $0 + matrix[$1][$1] }
        let accuracy = targets.isEmpty ? 0 : Double(correct) / Double(targets.count)
        let truth = targets.map { [$0] }
        let predicted = decisions.map { [$0] }
        var metrics = build(
            task: .imageClassification, scores: scores, truth: truth, predicted: predicted,
            classNames: classNames, curvePoints: curvePoints)
        metrics.accuracy = accuracy
        metrics.primaryMetricValue = accuracy
        metrics.confusionMatrix = matrix
        return metrics
    }

    /// Multilabel metrics: a label is predicted where its score is >= `threshold`.
    /// - Parameters:
    ///   - probabilities: row-major `[sampleCount][classNames.count]` scores (sigmoids).
    ///   - targets: the true class indices of each sample (possibly none).
    public static func multilabel(
        probabilities: [Float], targets: [[Int]], classNames: [String], threshold: Double = 0.5,
        curvePoints: Int = defaultCurvePoints
    ) -> ClassificationMetrics {
        let classCount = classNames.count
        let scores = checkedScores(probabilities, sampleCount: targets.count, classCount: classCount)
        precondition(targets.allSatisfy { $0.allSatisfy { (0..<classCount).contains($0) } }, "targets must be class indices")
        let predicted = thresholded(scores, classCount: classCount, threshold: threshold)
        let truth = targets.map { Array(Set($0)).sorted() }
        var exact = 0
        var iouSum = 0.0
        for (trueSet, predictedSet) in zip(truth.map(Set.init), predicted.map(Set.init)) {
            if trueSet == predictedSet { exact += 1 }
            let union = trueSet.union(predictedSet).count
            iouSum += union == 0 ? 1 : Double(trueSet.intersection(predictedSet).count) / Double(union)
        }
        let count = Double(max(targets.count, 1))
        var metrics = build(
            task: .imageClassificationMultilabel, scores: scores, truth: truth, predicted: predicted,
            classNames: classNames, curvePoints: curvePoints)
        metrics.accuracy = targets.isEmpty ? 0 : Double(exact) / count
        metrics.iou = targets.isEmpty ? 0 : iouSum / count
        metrics.primaryMetricValue = metrics.iou!
        metrics.decisionThreshold = threshold
        return metrics
    }

    /// The argmax class of each row (the first on ties).
    public static func argmaxDecisions(probabilities: [Float], classCount: Int) -> [Int] {
        precondition(classCount > 0 && probabilities.count % classCount == 0, "rows of classCount scores")
        return argmax(probabilities.map(finite), classCount: classCount)
    }

    /// The classes of each row scoring at or above `threshold`.
    public static func thresholdDecisions(probabilities: [Float], classCount: Int, threshold: Double = 0.5) -> [[Int]] {
        precondition(classCount > 0 && probabilities.count % classCount == 0, "rows of classCount scores")
        return thresholded(probabilities.map(finite), classCount: classCount, threshold: threshold)
    }

    // MARK: - Shared computation

    /// Per-class counts, scores and curves, and their averages, from index sets of truth and decisions.
    private static func build(
        task: ImageTask, scores: [Double], truth: [[Int]], predicted: [[Int]], classNames: [String], curvePoints: Int
    ) -> ClassificationMetrics {
        let classCount = classNames.count
        var tp = Array(repeating: 0, count: classCount)
        var fp = tp, fn = tp
        var labels = Array(repeating: Array(repeating: false, count: truth.count), count: classCount)
        for (sample, (trueClasses, predictedClasses)) in zip(truth, predicted).enumerated() {
            for c in trueClasses { labels[c][sample] = true }
            for c in predictedClasses {
                if labels[c][sample] { tp[c] += 1 } else { fp[c] += 1 }
            }
            for c in trueClasses where !predictedClasses.contains(c) { fn[c] += 1 }
        }

        var perClass: [ClassScores] = []
        for c in 0..<classCount {
            let columnScores = stride(from: c, to: scores.count, by: classCount).map { scores[$0] }
            let ranking = BinaryRanking(scores: columnScores, labels: labels[c])
            let precision = ratio(tp[c], tp[c] + fp[c])
            let recall = ratio(tp[c], tp[c] + fn[c])
            perClass.append(ClassScores(
                name: classNames[c], precision: precision, recall: recall, f1: harmonic(precision, recall),
                iou: ratio(tp[c], tp[c] + fp[c] + fn[c]), support: tp[c] + fn[c],
                rocAUC: ranking.rocAUC, averagePrecision: ranking.averagePrecision,
                rocCurve: ranking.rocCurve(maxPoints: curvePoints),
                precisionRecallCurve: ranking.precisionRecallCurve(maxPoints: curvePoints)))
        }

        let sumTP = tp.reduce(0, +), sumFP = fp.reduce(0, +), sumFN = fn.reduce(0, +)
        let microPrecision = ratio(sumTP, sumTP + sumFP), microRecall = ratio(sumTP, sumTP + sumFN)
        let flattened = BinaryRanking(scores: scores, labels: (0..<truth.count).flatMap { s in
            (0..<classCount).map { labels[$0][s] }
        })
        let micro = AverageScores(
            precision: microPrecision, recall: microRecall, f1: harmonic(microPrecision, microRecall),
            iou: ratio(sumTP, sumTP + sumFP + sumFN), rocAUC: flattened.rocAUC,
            averagePrecision: flattened.averagePrecision)

        return ClassificationMetrics(
            task: task, primaryMetric: task.primaryMetric, primaryMetricValue: 0, sampleCount: truth.count,
            classNames: classNames, accuracy: 0, iou: nil, decisionThreshold: nil, confusionMatrix: nil,
            perClass: perClass, micro: micro, macro: average(perClass, weighted: false),
            weighted: average(perClass, weighted: true))
    }

    private static func average(_ classes: [ClassScores], weighted: Bool) -> AverageScores {
        func mean(_ value: (ClassScores) -> Double?) -> Double? {
            let defined = classes.compactMap { scores in value(scores).map { ($0, scores.support) } }
            guard !defined.isEmpty else { return nil }
            if !weighted { return defined.reduce(0) { $0 + $1.0 } / Double(defined.count) }
            let total = defined.reduce(0) { $0 + $1.1 }
            guard total > 0 else { return 0 }
            return defined.reduce(0) { $0 + $1.0 * Double($1.1) } / Double(total)
        }
        return AverageScores(
            precision: mean(\.precision) ?? 0, recall: mean(\.recall) ?? 0, f1: mean(\.f1) ?? 0,
            iou: mean(\.iou) ?? 0, rocAUC: mean(\.rocAUC), averagePrecision: mean(\.averagePrecision))
    }

    private static func checkedScores(_ probabilities: [Float], sampleCount: Int, classCount: Int) -> [Double] {
        precondition(classCount > 0, "at least one class")
        precondition(probabilities.count == sampleCount * classCount,
                     "\(probabilities.count) scores for \(sampleCount) samples of \(classCount) classes")
        return probabilities.map(finite)
    }

    /// A diverged model's NaN or infinite score is read as 0, so that metrics stay encodable.
    private static func finite(_ value: Float) -> Double {
        value.isFinite ? Double(value) : 0
    }

    private static func argmax(_ scores: [Double], classCount: Int) -> [Int] {
        stride(from: 0, to: scores.count, by: classCount).map { start in
            var best = 0
            for c in 1..<classCount where scores[start + c] > scores[start + best] { best = c }
            return best
        }
    }

    private static func thresholded(_ scores: [Double], classCount: Int, threshold: Double) -> [[Int]] {
        stride(from: 0, to: scores.count, by: classCount).map { start in
            (0..<classCount).filter { scores[start + $0] >= threshold }
        }
    }

    private static func ratio(_ numerator: Int, _ denominator: Int) -> Double {
        denominator == 0 ? 0 : Double(numerator) / Double(denominator)
    }

    private static func harmonic(_ precision: Double, _ recall: Double) -> Double {
        precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall)
    }
}
