import Foundation

/// How many training and validation examples each class has (`metrics.json`'s `class_counts`): images per
/// class for classification (an image with several labels counts once for each), objects per class for
/// detection and segmentation (crowd regions left out).
public struct ClassCounts: Codable, Sendable, Equatable {
    /// `images` or `objects`.
    public var unit: String
    /// By class name; every class is present (0 when it has none on that side).
    public var train: [String: Int]
    public var validation: [String: Int]

    public init(unit: String, train: [String: Int], validation: [String: Int]) {
        self.unit = unit
        self.train = train
        self.validation = validation
    }

    /// The counts of a run's data.
    public init(_ data: TrainingData, task: ImageTask) {
        func count(_ images: [LabeledImage]) -> [String: Int] {
            var counts = Dictionary(uniqueKeysWithValues: data.classes.map { ($0, 0) })
            for image in images {
                let indices = task.isClassification ? image.labels : image.objects.filter { !$0.isCrowd }.map(\.classIndex)
                for index in indices where index < data.classes.count { counts[data.classes[index], default: 0] += 1 }
            }
            return counts
        }
        self.init(unit: task.isClassification ? "images" : "objects", train: count(data.train), validation: count(data.validation))
    }
}

/// How the validation images were chosen (`metrics.json`'s `split`): a validation JSONL of the bundle, or a
/// seeded share of the training JSONL (`DatasetSplit`).
public struct SplitDescription: Codable, Sendable, Equatable {
    /// `validation_data` or `split_ratio`.
    public var method: String
    /// The validation JSONL, as the settings name it.
    public var validationData: String?
    public var splitRatio: Double?
    public var seed: UInt64?

    public static func validationData(_ path: String) -> SplitDescription {
        SplitDescription(method: "validation_data", validationData: path, splitRatio: nil, seed: nil)
    }

    public static func splitRatio(_ ratio: Double, seed: UInt64) -> SplitDescription {
        SplitDescription(method: "split_ratio", validationData: nil, splitRatio: ratio, seed: seed)
    }

    /// `validation_data: validation.jsonl`, `split_ratio 0.2 of the training data, seed 7`.
    public var summary: String {
        if method == "validation_data" { return "validation_data: \(validationData ?? "given")" }
        let ratio = splitRatio.map { "\($0)" } ?? "?"
        return "split_ratio \(ratio) of the training data held out (stratified by class), seed \(seed.map(String.init) ?? "?")"
    }

    enum CodingKeys: String, CodingKey {
        case method, validationData = "validation_data", splitRatio = "split_ratio", seed
    }
}

/// The primary metric a model reaches without looking at the images (`metrics.json`'s `chance_level`):
/// multiclass, always answering the most frequent validation class (or guessing among K, 1/K, if that is
/// higher); multilabel, always answering the same set of the most frequent labels (the best such set, by IoU).
/// A result at or below it has learnt nothing useful.
public struct ChanceLevel: Codable, Sendable, Equatable {
    public var value: Double
    /// What reaches it: `always answering 'cat'`.
    public var rule: String

    public init(value: Double, rule: String) {
        self.value = value
        self.rule = rule
    }

    /// The chance level of a classification task on `validation`; nil for detection or no image.
    public static func of(task: ImageTask, classes: [String], validation: [LabeledImage]) -> ChanceLevel? {
        guard task.isClassification, !validation.isEmpty, !classes.isEmpty else { return nil }
        var counts = [Int](repeating: 0, count: classes.count)
        for image in validation { for label in Set(image.labels) where label < classes.count { counts[label] += 1 } }
        let total = Double(validation.count)
        if task == .imageClassification {
            return multiclass(counts: counts, classes: classes, total: total)
        }
        // Multilabel: the most frequent labels, as many as give the best mean IoU (an image with no true and no
        // predicted label counts 1, as the metric does).
        let order = counts.indices.sorted { counts[$0] != counts[$1] ? counts[$0] > counts[$1] : $0 < $1 }
        var best = (value: -1.0, size: 0)
        for size in 0...order.count {
            let predicted = Set(order.prefix(size))
            var sum = 0.0
            for image in validation {
                let truth = Set(image.labels)
                let union = truth.union(predicted).count
                sum += union == 0 ? 1 : Double(truth.intersection(predicted).count) / Double(union)
            }
            if sum / total > best.value + 1e-12 { best = (sum / total, size) }
        }
        let names = order.prefix(best.size).map { "'\(classes[$0])'" }
        let rule = names.isEmpty ? "always answering no label" : "always answering \(names.joined(separator: ", ")) (the most frequent labels)"
        return ChanceLevel(value: best.value, rule: rule)
    }

    /// Multiclass: the most frequent class's share, or 1/K when that is higher.
    public static func multiclass(counts: [Int], classes: [String], total: Double) -> ChanceLevel? {
        guard total > 0, !classes.isEmpty, let top = counts.indices.max(by: { counts[$0] < counts[$1] || (counts[$0] == counts[$1] && $0 > $1) }) else { return nil }
        let share = Double(counts[top]) / total
        let guess = 1 / Double(classes.count)
        if share >= guess {
            return ChanceLevel(value: share, rule: "always answering '\(classes[top])', the most frequent validation class (\(counts[top]) of \(Int(total)))")
        }
        return ChanceLevel(value: guess, rule: "guessing among \(classes.count) classes (1/\(classes.count))")
    }
}
