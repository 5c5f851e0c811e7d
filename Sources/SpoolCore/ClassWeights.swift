/// Class weights for the loss (`weighted_loss`), so that rare classes count as much as common ones.
public enum ClassWeights {
    /// `n_samples / (n_classes * count_c)` (sklearn's "balanced" weights) for `.inverseFrequency`, their
    /// square root for `.squareRoot`, nil (an unweighted loss) for `.off`. A class absent from the
    /// training data gets 1: it never appears as a target, so its weight changes nothing.
    /// - Parameters:
    ///   - classCounts: training samples whose target includes each class.
    ///   - sampleCount: training samples (for multiclass, the sum of `classCounts`).
    public static func weights(
        classCounts: [Int], sampleCount: Int, mode: TrainingParameters.WeightedLoss
    ) -> [Double]? {
        guard mode != .off else { return nil }
        let classCount = Double(classCounts.count)
        return classCounts.map { count in
            guard count > 0 else { return 1 }
            let weight = Double(sampleCount) / (classCount * Double(count))
            return mode == .squareRoot ? weight.squareRoot() : weight
        }
    }

    /// The weights for `records`, one per name of `classNames` (the model's output order).
    public static func weights(
        records: [DatasetRecord], classNames: [String], mode: TrainingParameters.WeightedLoss
    ) -> [Double]? {
        var counts = Dictionary(classNames.map { ($0, 0) }, uniquingKeysWith: { first, _ in first })
        for record in records {
            for name in record.label.classNames where counts[name] != nil { counts[name]! += 1 }
        }
        return weights(classCounts: classNames.map { counts[$0]! }, sampleCount: records.count, mode: mode)
    }
}
